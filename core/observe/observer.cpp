#include "observe/observer.h"

#include <cmath>

namespace memgan {

namespace {
constexpr double kPowerUnitMw = 1e-6;  // trace power resolution: 1 nW, shown in mW
}

RunObserver::RunObserver(uint64_t power_window_ps, std::unique_ptr<trace::TraceWriter> vcd)
    : ledger_(power_window_ps), vcd_(std::move(vcd)) {}

void RunObserver::begin_trace() {
  if (vcd_) vcd_->begin();
}

void RunObserver::advance(uint64_t t_ps) {
  if (vcd_ && !finished_) vcd_->flush_before(t_ps);
}

void RunObserver::finish() {
  if (vcd_ && !finished_) vcd_->close();
  finished_ = true;
}

void RunObserver::fault(const std::string& block, const std::string& message) {
  last_fault_ = block + ": " + message;
}

BlockProbe::BlockProbe(RunObserver& observer, const std::string& name, double leakage_mw, bool traced)
    : observer_(observer), name_(name) {
  const std::string short_name = name.rfind("soc.", 0) == 0 ? name.substr(4) : name;
  component_ = observer.ledger().add_component(short_name, leakage_mw);
  observer.register_probe(name);
  auto* vcd = observer.vcd();
  if (vcd && traced) {
    busy_ = vcd->add_int(name + ".busy", 1);
    ops_signal_ = vcd->add_int(name + ".ops", 64);
    power_ = vcd->add_real(name + ".power_mw", kPowerUnitMw);
    traced_ = true;
  }
}

void BlockProbe::activity(uint64_t t0_ps, uint64_t t1_ps, double energy_pj, int64_t ops) {
  observer_.ledger().record(component_, t0_ps, t1_ps, energy_pj);
  ops_ += ops;
  if (!traced_) return;
  auto* vcd = observer_.vcd();
  vcd->add(ops_signal_, t1_ps, ops);
  if (t1_ps > t0_ps) {
    vcd->add(busy_, t0_ps, 1);
    vcd->add(busy_, t1_ps, -1);
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
