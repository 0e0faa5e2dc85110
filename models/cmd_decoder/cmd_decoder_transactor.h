// TLM-side adapter of the Verilated command decoder (rtl/cmd_decoder.sv): the controller hands
// it the program's commands at boot (CmdDecoderEngine) and it streams them into the RTL's
// pins, one command per clock, collecting each command's decode and error code.
//
// Clock: a gated clock signal with the platform's period (arch.clock_mhz), driven by this
// transactor only while it decodes; the RTL sees rising edges, inputs change half a period
// before each. A decode() of n commands takes n + 1 clocks of simulated time (one idle clock
// lets out_valid fall); a reset clock precedes the first. docs/rtl.md describes the protocol.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <systemc>

#include "models/cmd_decoder/cmd_decoder_engine.h"
#include "core/observe/observer.h"
#include "models/base/rtl_clock.h"

class Vcmd_decoder;

namespace memgan::rtl {

class CmdDecoderTransactor : public sc_core::sc_module, public CmdDecoderEngine {
 public:
  // `observer` may be null; with a trace, the RTL's signals go into it under "<name>.rtl".
  CmdDecoderTransactor(sc_core::sc_module_name name, sc_core::sc_time clock_period, RunObserver* observer = nullptr);
  ~CmdDecoderTransactor() override;

  void decode(const firmware::RawCommand* raw, uint32_t count, uint16_t version,
              firmware::DecodedCommand* out) override;

  uint64_t commands() const { return commands_; }
  uint64_t clocks() const { return clock_.clocks(); }

 private:
  RtlClock clock_;  // first: the model binds its clk and rst_n
  sc_core::sc_signal<bool> in_valid_{"in_valid"}, out_valid_{"out_valid"},
      out_reg_{"out_reg"};
  sc_core::sc_signal<uint32_t> in_op_{"in_op"}, in_a_{"in_a"}, in_b_{"in_b"}, in_c_{"in_c"}, in_index_{"in_index"},
      in_count_{"in_count"}, in_version_{"in_version"}, out_index_{"out_index"}, out_op_{"out_op"}, out_a_{"out_a"},
      out_b_{"out_b"}, out_c_{"out_c"}, out_error_{"out_error"};
  std::unique_ptr<Vcmd_decoder> rtl_;
  uint64_t commands_ = 0;
};

}  // namespace memgan::rtl
