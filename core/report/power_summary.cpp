#include "core/report/power_summary.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "core/report/report_io.h"

namespace memgan::report {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string kind_of(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

void sort_by_total(std::vector<ComponentEnergy>& v) {
  std::sort(v.begin(), v.end(), [](const ComponentEnergy& a, const ComponentEnergy& b) {
    return a.total_pj != b.total_pj ? a.total_pj > b.total_pj : a.name < b.name;
  });
}

std::string percent(double share) { return fmt::format("{:5.1f}%", 100 * share); }

}  // namespace

PowerLog read_power_csv(const std::string& path) {
  const NumericCsv csv = read_numeric_csv(path, false);
  const auto& cols = csv.columns;
  const auto bad_header = [&](const std::string& why) {
    return std::runtime_error(fmt::format("{}:1: bad header: {} (expected window_start_ns,window_end_ns,"
                                          "<comp>_dyn_W,<comp>_leak_W,...,total_W,cumulative_energy_pJ)",
                                          path, why));
  };
  if (cols.size() < 4 || cols[0] != "window_start_ns" || cols[1] != "window_end_ns") {
    throw bad_header("must start with window_start_ns,window_end_ns");
  }
  if (cols[cols.size() - 2] != "total_W" || cols.back() != "cumulative_energy_pJ") {
    throw bad_header("must end with total_W,cumulative_energy_pJ");
  }
  PowerLog log;
  for (size_t c = 2; c + 2 < cols.size(); c += 2) {
    if (c + 3 >= cols.size() || !ends_with(cols[c], "_dyn_W") || !ends_with(cols[c + 1], "_leak_W") ||
        cols[c].substr(0, cols[c].size() - 6) != cols[c + 1].substr(0, cols[c + 1].size() - 7)) {
      throw bad_header(fmt::format("columns {} and {} are not a <comp>_dyn_W,<comp>_leak_W pair", c + 1, c + 2));
    }
    log.components.push_back(cols[c].substr(0, cols[c].size() - 6));
  }
  if (csv.rows.empty()) throw std::runtime_error(fmt::format("{}: no power windows after the header", path));
  const size_t n = log.components.size();
  log.dyn_w.assign(n, {});
  log.leak_w.assign(n, {});
  for (size_t r = 0; r < csv.rows.size(); ++r) {
    const auto& row = csv.rows[r];
    if (row[1] <= row[0]) {
      throw std::runtime_error(fmt::format("{}:{}: window ends at {} ns, not after its start {} ns", path,
                                           csv.lines[r], row[1], row[0]));
    }
    if (r > 0 && row[0] < log.end_ns.back()) {
      throw std::runtime_error(fmt::format("{}:{}: window starts at {} ns, before the previous one ends ({} ns)",
                                           path, csv.lines[r], row[0], log.end_ns.back()));
    }
    log.start_ns.push_back(row[0]);
    log.end_ns.push_back(row[1]);
    for (size_t c = 0; c < n; ++c) {
      log.dyn_w[c].push_back(row[2 + 2 * c]);
      log.leak_w[c].push_back(row[3 + 2 * c]);
    }
    log.total_w.push_back(row[row.size() - 2]);
    log.cumulative_pj.push_back(row.back());
  }
  return log;
}

PowerSummary summarize_power(const PowerLog& log, size_t top) {
  PowerSummary s;
  s.windows = log.start_ns.size();
  if (s.windows == 0) return s;
  s.duration_ns = log.end_ns.back() - log.start_ns.front();
  std::map<std::string, ComponentEnergy> kinds;
  for (size_t c = 0; c < log.components.size(); ++c) {
    ComponentEnergy e{log.components[c]};
    for (size_t w = 0; w < s.windows; ++w) {
      const double pj_per_w = (log.end_ns[w] - log.start_ns[w]) * 1e3;  // 1 W for 1 ns = 1000 pJ
      e.dynamic_pj += log.dyn_w[c][w] * pj_per_w;
      e.leakage_pj += log.leak_w[c][w] * pj_per_w;
    }
    e.total_pj = e.dynamic_pj + e.leakage_pj;
    s.dynamic_pj += e.dynamic_pj;
    s.leakage_pj += e.leakage_pj;
    ComponentEnergy& k = kinds[kind_of(e.name)];
    k.name = kind_of(e.name);
    k.dynamic_pj += e.dynamic_pj;
    k.leakage_pj += e.leakage_pj;
    k.total_pj += e.total_pj;
    s.components.push_back(e);
  }
  s.total_pj = s.dynamic_pj + s.leakage_pj;
  s.average_w = s.duration_ns > 0 ? s.total_pj / (s.duration_ns * 1e3) : 0;
  for (auto& [name, k] : kinds) s.kinds.push_back(k);
  for (auto* v : {&s.components, &s.kinds}) {
    for (auto& e : *v) e.share = s.total_pj > 0 ? e.total_pj / s.total_pj : 0;
    sort_by_total(*v);
  }

  const auto peak = std::max_element(log.total_w.begin(), log.total_w.end());
  PeakWindow& p = s.peak;
  p.index = static_cast<size_t>(peak - log.total_w.begin());
  p.start_ns = log.start_ns[p.index];
  p.end_ns = log.end_ns[p.index];
  p.total_w = *peak;
  const double pj_per_w = (p.end_ns - p.start_ns) * 1e3;
  for (size_t c = 0; c < log.components.size(); ++c) {
    ComponentEnergy e{log.components[c], log.dyn_w[c][p.index] * pj_per_w, log.leak_w[c][p.index] * pj_per_w};
    e.total_pj = e.dynamic_pj + e.leakage_pj;
    e.share = p.total_w > 0 ? (log.dyn_w[c][p.index] + log.leak_w[c][p.index]) / p.total_w : 0;
    p.top.push_back(e);
  }
  sort_by_total(p.top);
  p.top.resize(std::min(top, p.top.size()));
  return s;
}

void print_power_summary(const PowerSummary& s, std::ostream& out) {
  size_t width = 9;
  for (const auto& c : s.components) width = std::max(width, c.name.size());
  const auto row = [&](const ComponentEnergy& e) {
    fmt::print(out, "  {:<{}}  {:>11}  {:>11}  {:>11}  {}\n", e.name, width, si(e.dynamic_pj * 1e-12, "J"),
               si(e.leakage_pj * 1e-12, "J"), si(e.total_pj * 1e-12, "J"), percent(e.share));
  };
  const auto header = [&](const char* first) {
    fmt::print(out, "  {:<{}}  {:>11}  {:>11}  {:>11}  {:>6}\n", first, width, "dynamic", "leakage", "total", "share");
  };
  fmt::print(out, "energy    {} over {} ({} power windows): {} dynamic + {} leakage\n", si(s.total_pj * 1e-12, "J"),
             si(s.duration_ns * 1e-9, "s"), s.windows, si(s.dynamic_pj * 1e-12, "J"), si(s.leakage_pj * 1e-12, "J"));
  fmt::print(out, "average   {}\n\nby component\n", si(s.average_w, "W"));
  header("component");
  for (const auto& c : s.components) row(c);
  row(ComponentEnergy{"TOTAL", s.dynamic_pj, s.leakage_pj, s.total_pj, s.total_pj > 0 ? 1.0 : 0.0});
  fmt::print(out, "\nby kind of block\n");
  header("kind");
  for (const auto& k : s.kinds) row(k);
  const PeakWindow& p = s.peak;
  fmt::print(out, "\npeak      {} in window {} [{}, {}){}\n", si(p.total_w, "W"), p.index, si(p.start_ns * 1e-9, "s"),
             si(p.end_ns * 1e-9, "s"),
             s.average_w > 0 ? fmt::format(", {:.2f}x the average", p.total_w / s.average_w) : std::string());
  for (const auto& c : p.top) {
    fmt::print(out, "  {:<{}}  {:>11}  {}\n", c.name, width, si(c.share * p.total_w, "W"), percent(c.share));
  }
}

int power_command(const std::string& run_dir, std::ostream& out) {
  const fs::path dir(run_dir);
  if (!fs::is_directory(dir)) throw std::runtime_error(fmt::format("{}: not a run folder", run_dir));
  const std::string csv_path = (dir / "power.csv").string();
  if (!fs::exists(csv_path)) throw std::runtime_error(fmt::format("{}: missing (is {} a run folder?)", csv_path, run_dir));
  const PowerSummary summary = summarize_power(read_power_csv(csv_path));

  const fs::path report_path = dir / "report.json";
  fmt::print(out, "memgan power: {}\n", run_dir);
  if (fs::exists(report_path)) {
    const nlohmann::json report = read_json(report_path.string());
    try {
      fmt::print(out, "run       {} ({}, memgan {})\n", report.at("config_file").get<std::string>(),
                 report.at("outcome").get<std::string>(), report.at("memgan_version").get<std::string>());
      // The CSV carries 12 significant digits per cell; a larger gap means the files are
      // from different runs or one was edited.
      const double reported = report.at("energy").at("totals").at("total_pJ").get<double>();
      if (std::fabs(reported - summary.total_pj) > 1e-6 * std::max(std::fabs(reported), 1.0)) {
        fmt::print(out, "warning   report.json says {} in total, power.csv adds up to {}\n", si(reported * 1e-12, "J"),
                   si(summary.total_pj * 1e-12, "J"));
      }
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(fmt::format("{}: not a memgan run report: {}", report_path.string(), e.what()));
    }
  }
  print_power_summary(summary, out);
  return 0;
}

}  // namespace memgan::report
