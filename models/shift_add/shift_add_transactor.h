// TLM-side adapter of the Verilated shift-and-add unit (rtl/shift_add.sv): takes a block of
// ADC codes from the tile (ShiftAddEngine) and streams it into the RTL's pins, one code per
// clock, collecting the sums. The RTL sits where the C++ shift-and-add sits: the tile's MVM.
//
// Clock: a gated clock signal with the platform's period (arch.clock_mhz), driven by this
// transactor only while it streams a block; the RTL sees rising edges, inputs change half a
// period before each. Each accumulate() call takes beats + 1 clocks of simulated time, beats =
// vectors x cols x cycles x slices (one lane, no back-pressure; a reset clock precedes the first
// block). docs/rtl.md describes the protocol.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <systemc>

#include "core/observe/observer.h"
#include "models/base/rtl_clock.h"
#include "models/shift_add/shift_add_engine.h"

class Vshift_add;

namespace memgan::rtl {

class ShiftAddTransactor : public sc_core::sc_module, public ShiftAddEngine {
 public:
  // `observer` may be null; with a trace, the RTL's signals go into it under "<name>.rtl".
  ShiftAddTransactor(sc_core::sc_module_name name, sc_core::sc_time clock_period, RunObserver* observer = nullptr);
  ~ShiftAddTransactor() override;

  void accumulate(const int16_t* codes, int vectors, int cycles, int slices, int cols, int dac_bits, int cell_bits,
                  int32_t* acc) override;

  uint64_t beats() const { return beats_; }
  uint64_t clocks() const { return clock_.clocks(); }

 private:
  RtlClock clock_;  // first: the model binds its clk and rst_n
  sc_core::sc_signal<bool> in_valid_{"in_valid"}, in_first_{"in_first"},
      in_last_{"in_last"}, out_valid_{"out_valid"};
  sc_core::sc_signal<uint32_t> cfg_dac_bits_{"cfg_dac_bits"}, cfg_cell_bits_{"cfg_cell_bits"}, in_cycle_{"in_cycle"},
      in_slice_{"in_slice"}, in_code_{"in_code"}, out_sum_{"out_sum"};
  std::unique_ptr<Vshift_add> rtl_;
  uint64_t beats_ = 0;
};

}  // namespace memgan::rtl
