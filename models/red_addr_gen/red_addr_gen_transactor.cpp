// <systemc.h> before any V<top>.h: Verilator 5.006 needs its global names (verilator#4126).
#include <systemc.h>

#include "models/red_addr_gen/red_addr_gen_transactor.h"

#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <verilated.h>

#include "Vred_addr_gen_sc.h"

namespace memgan::rtl {

namespace {
// Sign-extends the low `bits` of a pin value.
int64_t sign_extend(uint32_t v, int bits) {
  const uint64_t m = uint64_t{1} << (bits - 1);
  const uint64_t x = uint64_t(v) & ((uint64_t{1} << bits) - 1);
  return static_cast<int64_t>((x ^ m) - m);
}
}  // namespace

RedAddrGenTransactor::RedAddrGenTransactor(sc_core::sc_module_name name, sc_core::sc_time clock_period,
                                           RunObserver* observer)
    : sc_module(name), clock_(clock_period) {
  rtl_ = std::make_unique<Vred_addr_gen_sc>("rtl");
  rtl_->clk(clock_.clk);
  rtl_->rst_n(clock_.rst_n);
  rtl_->start(start_);
  rtl_->cfg_h(cfg_h_);
  rtl_->cfg_w(cfg_w_);
  rtl_->cfg_stride(cfg_stride_);
  rtl_->cfg_pad(cfg_pad_);
  rtl_->cfg_cin(cfg_cin_);
  rtl_->cfg_rows(cfg_rows_);
  rtl_->cfg_row_tiles(cfg_row_tiles_);
  rtl_->cfg_col_tiles(cfg_col_tiles_);
  rtl_->step_ready(step_ready_);
  rtl_->step_valid(step_valid_);
  rtl_->step_pixel(step_pixel_);
  rtl_->step_in_addr(step_in_addr_);
  rtl_->step_array(step_array_);
  rtl_->step_out_y0(step_out_y0_);
  rtl_->step_out_x0(step_out_x0_);
  rtl_->step_first(step_first_);
  rtl_->step_last(step_last_);
  rtl_->step_done(step_done_);
  rtl_->busy(busy_);
  clock_.trace(observer, rtl_->name(), "red_addr_gen");
}

RedAddrGenTransactor::~RedAddrGenTransactor() = default;

uint64_t RedAddrGenTransactor::generate(const mapping::RedGeometry& g, std::vector<mapping::RedStep>& steps) {
  const auto fits = [](int64_t v, int bits) { return v >= 0 && v < (int64_t{1} << bits); };
  if (!fits(g.h, kDimBits) || !fits(g.w, kDimBits) || !fits(g.stride, kDimBits) || !fits(g.pad, kDimBits) ||
      g.h < 1 || g.w < 1 || !fits(g.row_tiles, kTileBits) || !fits(g.col_tiles, kTileBits) || g.row_tiles < 1 ||
      g.col_tiles < 1 || !fits(g.channels, kAddrBits) || !fits(g.rows_per_array, kAddrBits) ||
      !fits(int64_t(g.h) * g.w * g.channels, kAddrBits))
    throw std::invalid_argument(fmt::format(
        "red_addr_gen RTL: layer geometry {}x{} pixels, S {}, P {}, {} channels, {}x{} arrays exceeds its fields "
        "({}-bit sizes, {}-bit tile counts, {}-bit addresses)",
        g.h, g.w, g.stride, g.pad, g.channels, g.row_tiles, g.col_tiles, kDimBits, kTileBits, kAddrBits));
  const uint64_t clocks0 = clock_.clocks();
  clock_.reset_once();  // one reset clock before the first use
  cfg_h_.write(uint32_t(g.h));
  cfg_w_.write(uint32_t(g.w));
  cfg_stride_.write(uint32_t(g.stride));
  cfg_pad_.write(uint32_t(g.pad));
  cfg_cin_.write(uint32_t(g.channels));
  cfg_rows_.write(uint32_t(g.rows_per_array));
  cfg_row_tiles_.write(uint32_t(g.row_tiles));
  cfg_col_tiles_.write(uint32_t(g.col_tiles));
  start_.write(true);
  clock_.tick();  // loads the configuration
  start_.write(false);
  step_ready_.write(true);
  steps.clear();
  const int64_t expected = mapping::red_step_count(g);
  for (;;) {
    if (!step_valid_.read()) throw std::logic_error("red_addr_gen RTL: no valid step while the sequence runs");
    mapping::RedStep s;
    s.pixel = step_pixel_.read();
    s.in_addr = step_in_addr_.read();
    s.array = step_array_.read();
    s.out_y0 = sign_extend(step_out_y0_.read(), 2 * kDimBits + 1);
    s.out_x0 = sign_extend(step_out_x0_.read(), 2 * kDimBits + 1);
    s.first = step_first_.read();
    s.last = step_last_.read();
    s.done = step_done_.read();
    steps.push_back(s);
    clock_.tick();  // the rising edge takes the step
    // A runaway sequence (a done flag never raised) stops at twice the expected length.
    if (s.done || int64_t(steps.size()) >= 2 * expected) break;
  }
  step_ready_.write(false);
  clock_.tick();  // idle: busy has fallen
  return clock_.clocks() - clocks0;
}

}  // namespace memgan::rtl
