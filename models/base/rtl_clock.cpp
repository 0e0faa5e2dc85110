#include "models/base/rtl_clock.h"

#include "models/base/sc_time_ps.h"
#include "models/base/rtl_signal_tap.h"

namespace memgan::rtl {

RtlClock::RtlClock(sc_core::sc_time period) : half_(period / 2) {}

RtlClock::~RtlClock() = default;

void RtlClock::trace(RunObserver* observer, const std::string& model, const std::string& top_module) {
  tap_ = std::make_unique<RtlSignalTap>(observer, model + "." + top_module, model);
}

void RtlClock::tick() {
  clk.write(false);
  sc_core::wait(half_);
  if (tap_) tap_->sample(to_ps(sc_core::sc_time_stamp() - half_));
  clk.write(true);
  sc_core::wait(half_);
  if (tap_) tap_->sample(to_ps(sc_core::sc_time_stamp() - half_));
  ++clocks_;
}

void RtlClock::reset_once() {
  if (reset_done_) return;
  rst_n.write(false);
  tick();
  rst_n.write(true);
  reset_done_ = true;
}

}  // namespace memgan::rtl
