#include "platform/sweep_run.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include "core/config/loader.h"
#include "core/report/html_report.h"
#include "core/sweep/sweep_spec.h"
#include "platform/network_inputs.h"
#include "platform/point_runs.h"
#include "platform/run.h"
#include "platform/run_common.h"

namespace memgan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct SweepPoint {
  sweep::PointSpec spec;
  Point run;
  std::string id;
  bool finished_before = false;  // a completed run of this very config was already there
  bool duplicate = false;        // another point of the sweep resolves to the same config
};

// The result columns, in order: (header with its unit, report.json path under "training").
const std::vector<std::pair<const char*, const char*>> kColumns = {
    {"step_time_ns", "time_per_step_ns"},        {"energy_per_step_pJ", "energy_per_step_pJ"},
    {"serial_time_ns", "serial_per_step_ns"},    {"overlap", "overlap"},
    {"compute_ns", "step_split_ns/compute"},     {"movement_ns", "step_split_ns/movement"},
    {"stall_ns", "step_split_ns/stall"},         {"bottleneck", "bottleneck"},
    {"arrays_used", "placement/arrays_used"},    {"arrays_needed", "placement/arrays_needed"},
    {"residency_groups", "placement/residency_groups"}, {"arrays_reprogrammed", "arrays_reprogrammed"},
    {"last_score", "last_score"},                {"wall_s", "wall_s"},
    {"peak_rss_bytes", "peak_rss_bytes"}};

const json* at_path(const json& j, const std::string& path) {
  const json* cur = &j;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    const std::string key = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    if (slash == std::string::npos) return cur;
    start = slash + 1;
  }
}

std::string csv_cell(const json* v) {
  if (!v || v->is_null()) return "";
  if (v->is_string()) {
    const std::string s = v->get<std::string>();
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  if (v->is_number_float()) return fmt::format("{}", v->get<double>());  // shortest text that reads back exactly
  return v->dump();
}

bool completed(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / "report.json", ec)) return false;
  try {
    std::ifstream f(dir / "report.json");
    return json::parse(f).value("outcome", "") == "completed";
  } catch (const std::exception&) {
    return false;
  }
}

// The points, each config loaded and checked before anything runs.
std::vector<SweepPoint> build_points(const sweep::SweepSpec& spec, const fs::path& out) {
  std::vector<SweepPoint> points;
  std::set<std::string> ids;
  for (const sweep::PointSpec& p : sweep::expand(spec)) {
    SweepPoint sp;
    sp.spec = p;
    config::LoadedConfig loaded;
    try {
      loaded = config::load_config(spec.base, p.overrides(spec), spec.presets);
    } catch (const config::ConfigError& e) {
      std::string msg;
      for (const auto& m : e.messages()) msg += (msg.empty() ? "" : "; ") + m;
      const std::string at = p.values.empty() ? spec.path : p.values.front().second.where;
      throw InputError(fmt::format("{}: point {}: {}", at, p.label(), msg));
    }
    sp.id = sweep::point_id(config::dump_yaml(loaded.config, false));
    sp.run = {p.label(), loaded.config, out / "points" / sp.id};
    sp.duplicate = !ids.insert(sp.id).second;
    // Finished before with this very config: its point.yaml is what we would write now.
    if (completed(sp.run.dir)) {
      try {
        sp.finished_before = run_detail::read_text(sp.run.dir / "point.yaml") == point_file_text(sp.run);
      } catch (const InputError&) {
      }
    }
    points.push_back(std::move(sp));
  }
  return points;
}

// DIR/jobs.txt: one shell command line per point to run (the parallel and slurm engines).
fs::path write_jobs(const std::vector<const SweepPoint*>& pending, const fs::path& out) {
  const fs::path memgan = self_executable();
  std::string lines;
  for (const SweepPoint* p : pending) {
    std::string cmd;
    for (const auto& w : point_command(memgan, p->run.dir)) cmd += (cmd.empty() ? "" : " ") + shell_quote(w);
    lines += cmd + " > " + shell_quote((p->run.dir / "run.log").string()) + " 2>&1\n";
  }
  const fs::path jobs = out / "jobs.txt";
  run_detail::write_text(jobs, lines);
  return jobs;
}

// Runs the engine's command; "" when it succeeded, else what it said (for the points it left
// without a run).
std::string run_engine_command(const std::vector<std::string>& argv, const fs::path& log, const std::string& engine) {
  std::string why;
  const int pid = start_command(argv, log, why);
  if (pid < 0)
    throw InputError(fmt::format("--engine {}: {} (Debian package: {})", engine, why,
                                 engine == "parallel" ? "parallel" : "slurm-wlm"));
  const int rc = wait_command(pid);
  if (rc == 0) return "";
  std::ifstream f(log);
  std::string line, last;
  while (std::getline(f, line))
    if (!line.empty()) last = line;
  return fmt::format("{} exit {}: {} ({})", argv[0], rc, last, log.string());
}

std::string run_parallel(const std::vector<const SweepPoint*>& pending, const fs::path& out, int jobs) {
  const fs::path list = write_jobs(pending, out);
  // Each line of the list is a whole command; the joblog records every exit status.
  return run_engine_command({"parallel", "--will-cite", "--jobs", std::to_string(jobs), "--joblog",
                      (out / "parallel.joblog").string(), "--arg-file", list.string()},
                     out / "parallel.log", "parallel");
}

std::string run_slurm(const std::vector<const SweepPoint*>& pending, const fs::path& out, int jobs, std::ostream& err,
                      bool quiet) {
  const fs::path list = write_jobs(pending, out);
  const fs::path dir = out / "slurm";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create ({})", dir.string(), ec.message()));
  // Task i runs line i + 1 of jobs.txt.
  run_detail::write_text(dir / "array.sh", fmt::format("#!/bin/sh\n#SBATCH --job-name=memgan-sweep\n"
                                                       "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" {})\n"
                                                       "exec sh -c \"$line\"\n",
                                                       shell_quote(list.string())));
  if (!quiet) fmt::print(err, "sweep: submitting {} points as a Slurm job array, waiting for it\n", pending.size());
  return run_engine_command({"sbatch", "--wait", "--parsable", fmt::format("--array=0-{}%{}", pending.size() - 1, jobs),
                      "--output=" + (dir / "task_%a.out").string(), "--chdir=" + out.string(),
                      (dir / "array.sh").string()},
                     dir / "sbatch.log", "slurm");
}

void write_sweep_csv(const fs::path& path, const sweep::SweepSpec& spec, const std::vector<SweepPoint>& points,
                     const std::vector<json>& reports, const std::vector<std::string>& errors,
                     const std::set<size_t>& front) {
  std::string csv = "point,status,pareto";
  for (const auto& k : spec.axis_keys()) csv += "," + k;
  for (const auto& [header, key] : kColumns) csv += std::string(",") + header;
  csv += ",folder,error\n";
  for (size_t i = 0; i < points.size(); ++i) {
    const json* t = reports[i].is_object() ? at_path(reports[i], "training") : nullptr;
    csv += points[i].id + "," + (errors[i].empty() ? "ok" : "failed") + "," + (front.count(i) ? "1" : "0");
    for (const auto& [k, v] : points[i].spec.values) {
      const json text = v.text;
      csv += "," + csv_cell(&text);
    }
    for (const auto& [header, key] : kColumns) csv += "," + csv_cell(t ? at_path(*t, key) : nullptr);
    const json folder = fs::relative(points[i].run.dir, path.parent_path()).string(), error = errors[i];
    csv += "," + csv_cell(&folder) + "," + csv_cell(&error) + "\n";
  }
  run_detail::write_text(path, csv);
}

}  // namespace

int run_sweep(const std::string& sweep_path, const SweepOptions& options, std::ostream& out, std::ostream& err) {
  const auto wall_start = std::chrono::steady_clock::now();
  sweep::SweepSpec spec;
  try {
    spec = sweep::load_sweep(sweep_path);
  } catch (const sweep::SweepError& e) {
    throw InputError(e.what());
  }
  if (options.engine != "local" && options.engine != "parallel" && options.engine != "slurm")
    throw InputError(fmt::format("--engine {}: one of local, parallel, slurm", options.engine));
  const fs::path dir = fs::absolute(create_output_dir(
      options.out_dir.empty() ? (fs::path("traces") / fs::path(sweep_path).stem()).string() : options.out_dir));
  std::vector<SweepPoint> points = build_points(spec, dir);

  std::vector<const SweepPoint*> pending;
  size_t skipped = 0;
  for (const SweepPoint& p : points) {
    if (p.duplicate) continue;
    if (p.finished_before) ++skipped;
    else pending.push_back(&p);
  }
  if (!options.quiet)
    fmt::print(err, "sweep: {} points ({} distinct configs), {} finished earlier, {} to run on {} with --jobs {}\n",
               points.size(), points.size() - std::count_if(points.begin(), points.end(),
                                                            [](const SweepPoint& p) { return p.duplicate; }),
               skipped, pending.size(), options.engine, options.jobs);
  std::string engine_error;  // the engine's own failure (sbatch without a cluster, ...)
  if (!pending.empty()) {
    std::vector<Point> runs;
    for (const SweepPoint* p : pending) runs.push_back(p->run);
    if (options.engine == "local") {
      run_points(runs, options.jobs, [&](size_t done, size_t failed, size_t total, const Point& p, const PointResult& r) {
        if (options.quiet) return;
        fmt::print(err, "sweep: {}/{} done, {} failed, {} remaining  ({}: {})\n", done, total, failed, total - done,
                   p.label, r.exit_code == 0 ? "ok" : "failed, " + p.dir.string() + ": " + r.error);
      });
    } else {
      for (const Point& p : runs) write_point(p);  // as run_points does
      engine_error = options.engine == "parallel" ? run_parallel(pending, dir, options.jobs)
                                                  : run_slurm(pending, dir, options.jobs, err, options.quiet);
    }
  }

  // Merge: every point's report.json, or its failure.
  std::vector<json> reports(points.size());
  std::vector<std::string> errors(points.size());
  std::vector<std::pair<double, double>> objectives(points.size(), {NAN, NAN});
  for (size_t i = 0; i < points.size(); ++i) {
    const fs::path& pdir = points[i].run.dir;
    if (!completed(pdir)) {
      const std::string e = point_error(pdir);
      if (!e.empty()) errors[i] = e;
      else if (!engine_error.empty()) errors[i] = "not run: " + engine_error;
      else errors[i] = "no report.json: the run did not finish (see run.log)";
      continue;
    }
    try {
      reports[i] = json::parse(run_detail::read_text(pdir / "report.json"));
      if (const json* t = at_path(reports[i], "training")) {
        const json* s = at_path(*t, "time_per_step_ns");
        const json* e = at_path(*t, "energy_per_step_pJ");
        if (s && e) objectives[i] = {s->get<double>(), e->get<double>()};
      }
    } catch (const std::exception& e) {
      errors[i] = fmt::format("{}: {}", (pdir / "report.json").string(), e.what());
    }
  }
  const std::vector<size_t> front_list = sweep::pareto_front(objectives);
  const std::set<size_t> front(front_list.begin(), front_list.end());
  write_sweep_csv(dir / "sweep.csv", spec, points, reports, errors, front);

  json js = {{"sweep_file", fs::absolute(sweep_path).lexically_normal().string()},
             {"base", spec.base},
             {"engine", options.engine},
             {"jobs", options.jobs},
             {"axes", spec.axis_keys()},
             {"objectives", {"step_time_ns", "energy_per_step_pJ"}},
             {"pareto_front", json::array()},
             {"points", json::array()}};
  for (const size_t i : front_list) js["pareto_front"].push_back(points[i].id);
  size_t failed = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    json axes = json::object();
    for (const auto& [k, v] : points[i].spec.values) axes[k] = v.text;
    json row = {{"point", points[i].id},
                {"folder", fs::relative(points[i].run.dir, dir).string()},
                {"label", points[i].run.label},
                {"axes", axes},
                {"status", errors[i].empty() ? "ok" : "failed"},
                {"pareto", front.count(i) > 0}};
    if (!errors[i].empty()) {
      row["error"] = errors[i];
      ++failed;
    } else if (const json* t = at_path(reports[i], "training")) {
      json results = json::object();
      for (const auto& [header, key] : kColumns)
        if (const json* v = at_path(*t, key)) results[header] = *v;
      row["results"] = results;
    }
    js["points"].push_back(row);
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  js["wall_s"] = wall_s;
  js["points_run"] = pending.size();
  js["wall_per_point_run_s"] = pending.empty() ? 0.0 : wall_s / double(pending.size());
  run_detail::write_text(dir / "sweep.json", js.dump(2) + "\n");
  report::write_html_report(dir.string(), (dir / "report.html").string());

  // The table, Pareto points marked.
  fmt::print(out, "memgan sweep: {} ({} points, engine {}, base {})\n", sweep_path, points.size(), options.engine,
             spec.base);
  std::string head = "  ";
  for (const auto& k : spec.axis_keys()) head += fmt::format(" {:>18}", k.substr(k.rfind('.') + 1));
  fmt::print(out, "{} {:>12} {:>12} {:>14}  status\n", head, "step_us", "energy_uJ", "bottleneck");
  for (size_t i = 0; i < points.size(); ++i) {
    std::string line = front.count(i) ? " *" : "  ";
    for (const auto& [k, v] : points[i].spec.values) line += fmt::format(" {:>18}", v.text);
    if (!errors[i].empty()) {
      fmt::print(out, "{} failed ({}): {}\n", line, fs::relative(points[i].run.dir, dir).string(), errors[i]);
      continue;
    }
    const json* t = at_path(reports[i], "training");
    const json* b = t ? at_path(*t, "bottleneck") : nullptr;
    fmt::print(out, "{} {:>12.1f} {:>12.1f} {:>14}  ok{}\n", line, objectives[i].first / 1e3, objectives[i].second / 1e6,
               b && b->is_string() ? b->get<std::string>() : "", points[i].finished_before ? " (finished earlier)" : "");
  }
  fmt::print(out, "* Pareto front (step time vs energy per step; chip area is not modeled)\n");
  fmt::print(out, "{} ok, {} failed, {} finished earlier; {} run in {:.1f} s ({:.2f} s per point)\n",
             points.size() - failed, failed, skipped, pending.size(), wall_s,
             pending.empty() ? 0.0 : wall_s / double(pending.size()));
  fmt::print(out, "outputs  {}/ : sweep.csv, sweep.json, report.html, points/\n", dir.string());
  return failed ? 2 : 0;
}

}  // namespace memgan
