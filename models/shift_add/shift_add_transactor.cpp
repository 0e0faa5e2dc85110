// <systemc.h> before any V<top>.h: Verilator 5.006 needs its global names (verilator#4126).
#include <systemc.h>

#include "models/shift_add/shift_add_transactor.h"

#include <stdexcept>
#include <string>

#include <verilated.h>

#include "Vshift_add.h"

namespace memgan::rtl {

namespace {
constexpr int kMaxIndex = 8;  // IDX_W = 3 in rtl/CMakeLists.txt: up to 8 chunks and 8 slices
}

ShiftAddTransactor::ShiftAddTransactor(sc_core::sc_module_name name, sc_core::sc_time clock_period,
                                       RunObserver* observer)
    : sc_module(name), clock_(clock_period) {
  rtl_ = std::make_unique<Vshift_add>("rtl");
  rtl_->clk(clock_.clk);
  rtl_->rst_n(clock_.rst_n);
  rtl_->cfg_dac_bits(cfg_dac_bits_);
  rtl_->cfg_cell_bits(cfg_cell_bits_);
  rtl_->in_valid(in_valid_);
  rtl_->in_first(in_first_);
  rtl_->in_last(in_last_);
  rtl_->in_cycle(in_cycle_);
  rtl_->in_slice(in_slice_);
  rtl_->in_code(in_code_);
  rtl_->out_valid(out_valid_);
  rtl_->out_sum(out_sum_);
  clock_.trace(observer, rtl_->name(), "shift_add");
}

ShiftAddTransactor::~ShiftAddTransactor() = default;

void ShiftAddTransactor::accumulate(const int16_t* codes, int vectors, int cycles, int slices, int cols,
                                    int dac_bits, int cell_bits, int32_t* acc) {
  if (cycles < 1 || cycles > kMaxIndex || slices < 1 || slices > kMaxIndex || dac_bits < 1 || dac_bits > 15 ||
      cell_bits < 1 || cell_bits > 15)
    throw std::invalid_argument("ShiftAddTransactor: up to 8 input cycles and 8 weight slices, bit widths 1..15");
  clock_.reset_once();  // one reset clock before the first use
  cfg_dac_bits_.write(uint32_t(dac_bits));
  cfg_cell_bits_.write(uint32_t(cell_bits));
  const int per_output = cycles * slices;
  for (int v = 0; v < vectors; ++v)
    for (int j = 0; j < cols; ++j) {
      for (int k = 0; k < per_output; ++k) {
        const int c = k / slices, s = k % slices;
        const int16_t code = codes[((std::size_t(v) * cycles + c) * slices + s) * cols + j];
        in_valid_.write(true);
        in_first_.write(k == 0);
        in_last_.write(k + 1 == per_output);
        in_cycle_.write(uint32_t(c));
        in_slice_.write(uint32_t(s));
        in_code_.write(uint32_t(uint16_t(code)));
        clock_.tick();  // the rising edge takes the beat; a last beat's sum is on out_sum after it
        ++beats_;
      }
      if (!out_valid_.read()) throw std::logic_error("ShiftAddTransactor: the RTL did not flag its result valid");
      acc[std::size_t(v) * cols + j] = static_cast<int32_t>(out_sum_.read());
    }
  in_valid_.write(false);
  in_first_.write(false);
  in_last_.write(false);
  clock_.tick();  // one idle clock: out_valid falls
}

}  // namespace memgan::rtl
