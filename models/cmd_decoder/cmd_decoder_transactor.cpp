// <systemc.h> before any V<top>.h: Verilator 5.006 needs its global names (verilator#4126).
#include <systemc.h>

#include "models/cmd_decoder/cmd_decoder_transactor.h"

#include <stdexcept>

#include <fmt/format.h>
#include <verilated.h>

#include "Vcmd_decoder.h"

namespace memgan::rtl {

CmdDecoderTransactor::CmdDecoderTransactor(sc_core::sc_module_name name, sc_core::sc_time clock_period,
                                           RunObserver* observer)
    : sc_module(name), clock_(clock_period) {
  rtl_ = std::make_unique<Vcmd_decoder>("rtl");
  rtl_->clk(clock_.clk);
  rtl_->rst_n(clock_.rst_n);
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
  clock_.trace(observer, rtl_->name(), "cmd_decoder");
}

CmdDecoderTransactor::~CmdDecoderTransactor() = default;

void CmdDecoderTransactor::decode(const firmware::RawCommand* raw, uint32_t count, uint16_t version,
                                  firmware::DecodedCommand* out) {
  if (count == 0) return;
  clock_.reset_once();  // one reset clock before the first use
  in_count_.write(count);
  in_version_.write(version);
  for (uint32_t i = 0; i < count; ++i) {
    in_valid_.write(true);
    in_index_.write(i);
    in_op_.write(raw[i].op);
    in_a_.write(raw[i].a);
    in_b_.write(raw[i].b);
    in_c_.write(raw[i].c);
    clock_.tick();  // the rising edge takes the command; its decode is on out_* after it
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
  clock_.tick();  // one idle clock: out_valid falls
}

}  // namespace memgan::rtl
