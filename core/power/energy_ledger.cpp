#include "core/power/energy_ledger.h"

#include "core/util/atomic_file.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace memgan::power {

namespace {

constexpr double kPjPerMwPs = 1e-3;  // 1 mW * 1 ps = 1e-15 J

// Exact decimal nanoseconds: 2500 ps -> "2.5", 1 ps -> "0.001".
void append_ns(std::string& out, uint64_t ps) {
  out += std::to_string(ps / 1000);
  uint64_t frac = ps % 1000;
  if (frac == 0) return;
  char digits[4] = {char('0' + frac / 100), char('0' + frac / 10 % 10), char('0' + frac % 10), 0};
  int n = 3;
  while (digits[n - 1] == '0') --n;
  out.push_back('.');
  out.append(digits, n);
}

// 12 significant digits hide the last-bit noise of summed window shares; locale-free.
void append_num(std::string& out, double v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 12);
  out.append(buf, res.ptr);
}

}  // namespace

void EnergyLedger::Sum::add(double x) {
  const double t = sum_ + x;
  carry_ += std::fabs(sum_) >= std::fabs(x) ? (sum_ - t) + x : (x - t) + sum_;
  sum_ = t;
}

EnergyLedger::EnergyLedger(uint64_t window_ps) : window_ps_(window_ps) {
  if (window_ps == 0) throw std::invalid_argument("energy ledger: power window must be > 0 ps");
}

ComponentId EnergyLedger::add_component(const std::string& name, double leakage_mw) {
  if (name.empty() || name.find_first_of(",\" \t\r\n") != std::string::npos) {
    throw std::invalid_argument("energy ledger: component name '" + name +
                                "' is empty or has ',', '\"' or whitespace");
  }
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
    throw std::invalid_argument("energy ledger: component '" + name + "' already exists");
  }
  if (!(leakage_mw >= 0) || !std::isfinite(leakage_mw)) {
    throw std::invalid_argument("energy ledger: leakage of '" + name + "' must be finite and >= 0 mW");
  }
  names_.push_back(name);
  components_.push_back({leakage_mw, {}, 0, {}});
  return static_cast<ComponentId>(components_.size() - 1);
}

const EnergyLedger::Component& EnergyLedger::at(ComponentId id) const {
  if (id >= components_.size()) throw std::out_of_range("energy ledger: unknown component id");
  return components_[id];
}

void EnergyLedger::bin(Component& c, uint64_t window, double energy_pj) {
  const size_t chunk = window / kChunk;
  if (chunk >= c.bins.size()) c.bins.resize(chunk + 1);
  if (!c.bins[chunk]) c.bins[chunk] = std::make_unique<Chunk>();  // zero-filled
  (*c.bins[chunk])[window % kChunk] += energy_pj;
}

double EnergyLedger::binned(const Component& c, uint64_t window) const {
  const size_t chunk = window / kChunk;
  return chunk < c.bins.size() && c.bins[chunk] ? (*c.bins[chunk])[window % kChunk] : 0.0;
}

void EnergyLedger::record(ComponentId id, uint64_t t0_ps, uint64_t t1_ps, double energy_pj) {
  at(id);
  if (t1_ps < t0_ps) {
    throw std::invalid_argument("energy ledger: '" + names_[id] + "' interval ends before it starts");
  }
  if (!(energy_pj >= 0) || !std::isfinite(energy_pj)) {
    throw std::invalid_argument("energy ledger: '" + names_[id] + "' energy must be finite and >= 0 pJ");
  }
  Component& c = components_[id];
  c.dynamic.add(energy_pj);
  total_dynamic_.add(energy_pj);
  ++c.events;
  activity_end_ps_ = std::max(activity_end_ps_, t1_ps > t0_ps ? t1_ps : t0_ps + 1);
  if (energy_pj == 0) return;

  const uint64_t first = t0_ps / window_ps_;
  const uint64_t last = t1_ps > t0_ps ? (t1_ps - 1) / window_ps_ : first;
  double rest = energy_pj;
  for (uint64_t w = first; w < last; ++w) {
    const uint64_t overlap = std::min(t1_ps, (w + 1) * window_ps_) - std::max(t0_ps, w * window_ps_);
    const double share = energy_pj * double(overlap) / double(t1_ps - t0_ps);
    bin(c, w, share);
    rest -= share;
  }
  bin(c, last, rest);  // the remainder, so the shares add up to the energy
}

double EnergyLedger::dynamic_pj(ComponentId id) const { return at(id).dynamic.value(); }

double EnergyLedger::leakage_pj(ComponentId id, uint64_t end_ps) const {
  return at(id).leakage_mw * double(end_ps) * kPjPerMwPs;
}

int64_t EnergyLedger::events(ComponentId id) const { return at(id).events; }

void EnergyLedger::write_power_csv(const std::string& path, uint64_t end_ps) const {
  std::FILE* f = std::fopen(part_path(path).c_str(), "wb");
  if (f == nullptr) {
    throw std::runtime_error("cannot open power CSV '" + path + "': " + std::strerror(errno));
  }
  std::string line = "window_start_ns,window_end_ns";
  for (const auto& name : names_) line += "," + name + "_dyn_W," + name + "_leak_W";
  line += ",total_W,cumulative_energy_pJ\n";
  bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();

  const uint64_t end = std::max(end_ps, activity_end_ps_);
  Sum cumulative;
  for (uint64_t w = 0, start = 0; ok && start < end; ++w, start += window_ps_) {
    const uint64_t stop = std::min(end, start + window_ps_);
    const auto len = double(stop - start);
    line.clear();
    append_ns(line, start);
    line.push_back(',');
    append_ns(line, stop);
    double total_w = 0;
    for (const auto& c : components_) {
      const double dyn_pj = binned(c, w);
      const double leak_w = c.leakage_mw * 1e-3;
      line.push_back(',');
      append_num(line, dyn_pj / len);  // pJ / ps = W
      line.push_back(',');
      append_num(line, leak_w);
      total_w += dyn_pj / len + leak_w;
      cumulative.add(dyn_pj);
      cumulative.add(c.leakage_mw * len * kPjPerMwPs);
    }
    line.push_back(',');
    append_num(line, total_w);
    line.push_back(',');
    append_num(line, cumulative.value());
    line.push_back('\n');
    ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  }
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw std::runtime_error("cannot write power CSV '" + path + "': " + std::strerror(errno));
  commit_part(path);
}

nlohmann::json EnergyLedger::summary_json(uint64_t end_ps) const {
  const uint64_t end = std::max(end_ps, activity_end_ps_);
  nlohmann::json comps = nlohmann::json::object();
  Sum leak_total;
  int64_t event_total = 0;
  for (ComponentId id = 0; id < components_.size(); ++id) {
    const double dyn = dynamic_pj(id);
    const double leak = leakage_pj(id, end);
    comps[names_[id]] = {{"dynamic_pJ", dyn},
                         {"leakage_pJ", leak},
                         {"total_pJ", dyn + leak},
                         {"events", components_[id].events},
                         {"leakage_mW", components_[id].leakage_mw}};
    leak_total.add(leak);
    event_total += components_[id].events;
  }
  const double dyn_total = total_dynamic_pj();
  const double total = dyn_total + leak_total.value();
  return {{"window_ps", window_ps_},
          {"end_ps", end},
          {"components", std::move(comps)},
          {"totals",
           {{"dynamic_pJ", dyn_total},
            {"leakage_pJ", leak_total.value()},
            {"total_pJ", total},
            {"events", event_total},
            {"average_power_W", end == 0 ? 0.0 : total / double(end)}}}};
}

}  // namespace memgan::power
