#include "core/observe/observer.h"

#include <cmath>

namespace memgan {

namespace {
constexpr double kPowerUnitMw = 1e-6;  // trace power resolution: 1 nW, shown in mW
}

RunObserver::RunObserver(uint64_t power_window_ps, std::unique_ptr<trace::TraceWriter> vcd,
                         trace::SignalFilter signals, std::unique_ptr<timeline::TimelineWriter> timeline)
    : ledger_(power_window_ps), vcd_(std::move(vcd)), signals_(std::move(signals)), timeline_(std::move(timeline)) {}

void RunObserver::begin_trace() {
  if (vcd_) vcd_->begin();
}

void RunObserver::advance(uint64_t t_ps) {
  if (vcd_ && !finished_) vcd_->flush_before(t_ps);
}

void RunObserver::finish() {
  if (finished_) return;
  if (vcd_) vcd_->close();
  if (timeline_) timeline_->close();
  finished_ = true;
}

void RunObserver::fault(const std::string& block, const std::string& message, uint64_t t_ps) {
  last_fault_ = block + ": " + message;
  if (faults_.size() < kMaxFaults) faults_.push_back({t_ps, block, message});
  ++faults_total_;
}

BlockProbe::BlockProbe(RunObserver& observer, const std::string& name, double leakage_mw, bool traced,
                       bool timeline)
    : observer_(observer), name_(name) {
  const std::string short_name = name.rfind("soc.", 0) == 0 ? name.substr(4) : name;
  component_ = observer.ledger().add_component(short_name, leakage_mw);
  observer.register_probe(name);
  auto* vcd = observer.vcd();
  if (vcd && traced) {
    const auto& sel = observer.signals();
    if (sel.selected(name + ".busy")) busy_ = vcd->add_int(name + ".busy", 1);
    if (sel.selected(name + ".ops")) ops_signal_ = vcd->add_int(name + ".ops", 64);
    if (sel.selected(name + ".power_mw")) power_ = vcd->add_real(name + ".power_mw", kPowerUnitMw);
    traced_ = busy_ != kNoSignal || ops_signal_ != kNoSignal || power_ != kNoSignal;
  }
  if (auto* tl = observer.timeline(); tl && traced && timeline) {
    // One track per block, grouped by the first level under the SoC (tile0, bus, dram, ...).
    const auto dot = short_name.find('.');
    track_ = tl->track(short_name.substr(0, dot), dot == std::string::npos ? short_name : short_name.substr(dot + 1));
    on_timeline_ = true;
  }
}

void BlockProbe::activity(uint64_t t0_ps, uint64_t t1_ps, double energy_pj, int64_t ops) {
  observer_.ledger().record(component_, t0_ps, t1_ps, energy_pj);
  ops_ += ops;
  if (on_timeline_ && t1_ps > t0_ps) {
    observer_.timeline()->complete(track_, name_.substr(name_.rfind('.') + 1), t0_ps, t1_ps,
                                   {{"ops", ops}, {"energy_pJ", energy_pj}});
  }
  if (!traced_) return;
  auto* vcd = observer_.vcd();
  if (ops_signal_ != kNoSignal) vcd->add(ops_signal_, t1_ps, ops);
  if (t1_ps > t0_ps && busy_ != kNoSignal) {
    vcd->add(busy_, t0_ps, 1);
    vcd->add(busy_, t1_ps, -1);
  }
  if (t1_ps > t0_ps && power_ != kNoSignal) {
    // pJ / ps = W; in trace units of 1 nW. The same integer goes up and down, so the
    // trace returns to exactly 0 when the block idles.
    const double mw = energy_pj / double(t1_ps - t0_ps) * 1e3;
    const auto units = static_cast<int64_t>(std::llround(mw / kPowerUnitMw));
    if (units != 0) {
      vcd->add(power_, t0_ps, units);
      vcd->add(power_, t1_ps, -units);
    }
  }
}

double BlockProbe::energy_pj() const { return observer_.ledger().dynamic_pj(component_); }

}  // namespace memgan
