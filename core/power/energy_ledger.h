// Accelergy-style energy accounting over simulated time. Components (e.g. "tile0.adc")
// report dynamic energy spent over [t0, t1); leakage power is constant per component and
// counted over the whole run. Besides totals, the ledger bins dynamic energy into fixed
// power-log windows for a power-over-time CSV.
//
// Records may arrive in any time order (temporally decoupled models): bins are addressed
// by time, never appended. Memory: window bins are allocated in chunks of 4096 windows
// (32 KiB) per component, only where that component spent energy, so idle components and
// idle stretches cost nothing; the worst case is 8 bytes per component per window.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace memgan::power {

using ComponentId = uint32_t;

class EnergyLedger {
 public:
  // Throws std::invalid_argument on 0.
  explicit EnergyLedger(uint64_t window_ps);

  // `name` must be unique, non-empty, without ',', '"' or whitespace (it becomes CSV column
  // names); leakage_mw finite and >= 0. Throws std::invalid_argument otherwise.
  ComponentId add_component(const std::string& name, double leakage_mw);

  // Dynamic energy spent uniformly over [t0, t1); t1 == t0 puts it all in t0's window.
  // Throws std::invalid_argument for t1 < t0 or an energy that is negative or not finite,
  // std::out_of_range for an unknown id.
  void record(ComponentId id, uint64_t t0_ps, uint64_t t1_ps, double energy_pj);

  double dynamic_pj(ComponentId id) const;
  // leakage_mw * end_ps (1 mW over 1 ps is 1e-3 pJ).
  double leakage_pj(ComponentId id, uint64_t end_ps) const;
  // Accumulated per record, independently of the per-component sums.
  double total_dynamic_pj() const { return total_dynamic_.value(); }
  int64_t events(ComponentId id) const;
  const std::vector<std::string>& names() const { return names_; }
  uint64_t window_ps() const { return window_ps_; }
  // End of the latest recorded activity (t1, or t0 + 1 for an instantaneous record).
  uint64_t activity_end_ps() const { return activity_end_ps_; }

  // Header: window_start_ns,window_end_ns,<comp>_dyn_W,<comp>_leak_W,...,total_W,
  // cumulative_energy_pJ. One row per window over [0, end) where
  // end = max(end_ps, activity_end_ps()) so no recorded energy is left out; the last
  // window may be partial and its power uses its real length. Times are exact decimals,
  // other values have 12 significant digits. Throws std::runtime_error naming the path.
  void write_power_csv(const std::string& path, uint64_t end_ps) const;

  // {"window_ps", "end_ps", "components": {name: {dynamic_pJ, leakage_pJ, total_pJ,
  // events, leakage_mW}}, "totals": {dynamic_pJ, leakage_pJ, total_pJ, events,
  // average_power_W}}, over the same end as the CSV.
  nlohmann::json summary_json(uint64_t end_ps) const;

 private:
  // Neumaier-compensated sum: a run adds up to billions of small energies.
  class Sum {
   public:
    void add(double x);
    double value() const { return sum_ + carry_; }

   private:
    double sum_ = 0, carry_ = 0;
  };

  static constexpr size_t kChunk = 4096;
  using Chunk = std::array<double, kChunk>;

  struct Component {
    double leakage_mw;
    Sum dynamic;
    int64_t events = 0;
    std::vector<std::unique_ptr<Chunk>> bins;  // window energy in pJ, chunked
  };

  const Component& at(ComponentId id) const;
  void bin(Component& c, uint64_t window, double energy_pj);
  double binned(const Component& c, uint64_t window) const;

  uint64_t window_ps_;
  std::vector<std::string> names_;
  std::vector<Component> components_;
  Sum total_dynamic_;
  uint64_t activity_end_ps_ = 0;
};

}  // namespace memgan::power
