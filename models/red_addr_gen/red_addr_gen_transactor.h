// TLM-side adapter of the Verilated pixel_wise address generator (rtl/red_addr_gen.sv): loads a
// layer's geometry, pulses start and collects one step per clock (step_ready held high) until
// the step flagged done. The RTL sits where the C++ model (mapping::RedAddressWalker) sits: in
// the layer engine, which asks it for the addressing of every pixel_wise scatter it runs.
//
// Clock: gated, the platform's period, driven only while a sequence runs; inputs change half a
// period before each rising edge. A sequence of n steps takes n + 2 clocks (load, n steps, one
// idle clock); a reset clock precedes the first. docs/rtl.md describes the pins.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>

#include "models/red_addr_gen/red_addr_gen_source.h"
#include "core/observe/observer.h"
#include "models/base/rtl_clock.h"

class Vred_addr_gen_sc;

namespace memgan::rtl {

class RedAddrGenTransactor : public sc_core::sc_module, public RedAddrGenSource {
 public:
  // Field widths the RTL is verilated with (rtl/CMakeLists.txt): DIM_W, TILE_W, ADDR_W.
  static constexpr int kDimBits = 10, kTileBits = 6, kAddrBits = 24;

  // `observer` may be null; with a trace, the RTL's signals go into it under "<name>.rtl".
  RedAddrGenTransactor(sc_core::sc_module_name name, sc_core::sc_time clock_period, RunObserver* observer);
  ~RedAddrGenTransactor() override;

  uint64_t generate(const mapping::RedGeometry& g, std::vector<mapping::RedStep>& steps) override;
  uint64_t clocks() const { return clock_.clocks(); }

 private:
  RtlClock clock_;  // first: the model binds its clk and rst_n
  sc_core::sc_signal<bool> start_{"start"}, step_ready_{"step_ready"},
      step_valid_{"step_valid"}, step_first_{"step_first"}, step_last_{"step_last"}, step_done_{"step_done"},
      busy_{"busy"};
  sc_core::sc_signal<uint32_t> cfg_h_{"cfg_h"}, cfg_w_{"cfg_w"}, cfg_stride_{"cfg_stride"}, cfg_pad_{"cfg_pad"},
      cfg_cin_{"cfg_cin"}, cfg_rows_{"cfg_rows"}, cfg_row_tiles_{"cfg_row_tiles"}, cfg_col_tiles_{"cfg_col_tiles"},
      step_pixel_{"step_pixel"}, step_in_addr_{"step_in_addr"}, step_array_{"step_array"},
      step_out_y0_{"step_out_y0"}, step_out_x0_{"step_out_x0"};
  std::unique_ptr<Vred_addr_gen_sc> rtl_;
};

}  // namespace memgan::rtl
