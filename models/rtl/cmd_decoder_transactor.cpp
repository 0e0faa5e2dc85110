// <systemc.h> before any V<top>.h: Verilator 5.006 needs its global names (verilator#4126).
#include <systemc.h>

#include "rtl/cmd_decoder_transactor.h"

#include <stdexcept>

#include <fmt/format.h>
#include <verilated.h>

#include "Vcmd_decoder.h"
#include "common/sc_time_ps.h"
#include "rtl/rtl_signal_tap.h"

namespace memgan::rtl {

CmdDecoderTransactor::CmdDecoderTransactor(sc_core::sc_module_name name, sc_core::sc_time clock_period,
                                           RunObserver* observer)
    : sc_module(name), half_(clock_period / 2) {
  rtl_ = std::make_unique<Vcmd_decoder>("rtl");
  rtl_->clk(clk_);
  rtl_->rst_n(rst_n_);
  rtl_->in_valid(in_valid_);
  rtl_->in_op(in_op_);
  rtl_->in_a(in_a_);
  rtl_->in_b(in_b_);
  rtl_->in_c(in_c_);
  rtl_->in_index(in_index_);
  rtl_->in_count(in_count_);
  rtl_->in_version(in_version_);
  rtl_->out_valid(out_valid_);
  rtl_->out_index(out_index_);
  rtl_->out_op(out_op_);
  rtl_->out_reg(out_reg_);
  rtl_->out_a(out_a_);
  rtl_->out_b(out_b_);
  rtl_->out_c(out_c_);
  rtl_->out_error(out_error_);
  const std::string model = rtl_->name();
  tap_ = std::make_unique<RtlSignalTap>(observer, model + ".cmd_decoder", model);
}

CmdDecoderTransactor::~CmdDecoderTransactor() = default;

// Inputs written before the call change at the start of the period (the trace stamps them
// there); the rising edge is half a period later.
void CmdDecoderTransactor::clock() {
  clk_.write(false);
  sc_core::wait(half_);
  tap_->sample(to_ps(sc_core::sc_time_stamp() - half_));
  clk_.write(true);
  sc_core::wait(half_);
  tap_->sample(to_ps(sc_core::sc_time_stamp() - half_));
  ++clocks_;
}

void CmdDecoderTransactor::decode(const firmware::RawCommand* raw, uint32_t count, uint16_t version,
                                  firmware::DecodedCommand* out) {
  if (count == 0) return;
  if (!reset_done_) {  // one reset clock before the first program
    rst_n_.write(false);
    in_valid_.write(false);
    clock();
    rst_n_.write(true);
    reset_done_ = true;
  }
  in_count_.write(count);
  in_version_.write(version);
  for (uint32_t i = 0; i < count; ++i) {
    in_valid_.write(true);
    in_index_.write(i);
    in_op_.write(raw[i].op);
    in_a_.write(raw[i].a);
    in_b_.write(raw[i].b);
    in_c_.write(raw[i].c);
    clock();  // the rising edge takes the command; its decode is on out_* after it
    ++commands_;
    const uint32_t error = out_error_.read();
    if (!out_valid_.read() || out_index_.read() != i || error > firmware::kMaxDecodeError) {
      throw std::logic_error(fmt::format("CmdDecoderTransactor: command {}: the RTL gave valid {}, index {}, error {}",
                                         i, out_valid_.read(), out_index_.read(), error));
    }
    // out_op is the opcode itself (0 for an unknown one, which out_error flags).
    out[i].cmd = {static_cast<firmware::Opcode>(out_op_.read()), out_a_.read(), out_b_.read(), out_c_.read()};
    out[i].error = static_cast<firmware::DecodeError>(error);
  }
  in_valid_.write(false);
  clock();  // one idle clock: out_valid falls
}

}  // namespace memgan::rtl
