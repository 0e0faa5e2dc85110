#include "platform/run.h"

#include "core/util/atomic_file.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>

#include "models/base/sc_time_ps.h"
#include "spec/memory_map.h"
#include "firmware/mvm_job.h"
#include "platform/run_common.h"
#include "platform/soc.h"
#include "spec/regs/tile.h"
#include "core/report/html_report.h"
#include "core/timeline/timeline_writer.h"
#include "core/trace/fst_writer.h"
#include "core/trace/gtkw_writer.h"
#include "core/util/progress.h"
#include "core/trace/vcd_writer.h"

namespace memgan {
namespace run_detail {

bool ideal_device(const config::DeviceConfig& d) {
  return d.program_sigma == 0 && d.read_noise_sigma == 0 && d.stuck_on_rate == 0 && d.stuck_off_rate == 0;
}

void require_rtl_blocks(const config::LoadedConfig& loaded) {
  if (Soc::rtl_available()) return;
  const auto& r = loaded.config.arch.rtl;
  for (const auto& [key, mode] : {std::pair{"shift_add", &r.shift_add}, std::pair{"cmd_decoder", &r.cmd_decoder},
                                  std::pair{"red_addr_gen", &r.red_addr_gen}}) {
    if (*mode == "rtl") {
      throw InputError(fmt::format("{}: arch.rtl.{} is rtl, but this memgan was built without the RTL blocks "
                                   "(configure with -DMEMGAN_WITH_RTL=ON)",
                                   loaded.path, key));
    }
  }
}

// Energy grouped by the kind of block: the last name component ("tile0.xbar0.adc" -> "adc").
std::map<std::string, double> energy_by_kind(const nlohmann::json& components) {
  std::map<std::string, double> kinds;
  for (const auto& [name, c] : components.items()) {
    const auto dot = name.rfind('.');
    kinds[dot == std::string::npos ? name : name.substr(dot + 1)] += c["total_pJ"].get<double>();
  }
  return kinds;
}

void write_text(const fs::path& path, const std::string& text) {
  write_file_atomically(path.string(), text);
}

std::string read_text(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(fmt::format("{}: cannot read", path.string()));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string si(double value, const char* unit) {
  const char* prefixes[] = {"f", "p", "n", "u", "m", "", "k", "M", "G"};
  int i = 5;
  double v = value;
  while (std::fabs(v) >= 1000 && i < 8) { v /= 1000; ++i; }
  while (v != 0 && std::fabs(v) < 1 && i > 0) { v *= 1000; --i; }
  return fmt::format("{:.4g} {}{}", v, prefixes[i], unit);
}

const char* outcome_name(Controller::Outcome o) {
  switch (o) {
    case Controller::Outcome::Completed: return "completed";
    case Controller::Outcome::FirmwareError: return "firmware_error";
    case Controller::Outcome::Interrupted: return "interrupted";
    case Controller::Outcome::NotRun: break;
  }
  return "not_run";
}

std::unique_ptr<trace::TraceWriter> open_trace(const config::Config& cfg, const fs::path& path) {
  const auto& t = cfg.simulation.trace;
  if (!t.enabled) return nullptr;
  std::unique_ptr<trace::TraceWriter> w;
  if (t.format == "fst") w = std::make_unique<trace::FstWriter>(path.string());
  else w = std::make_unique<trace::VcdWriter>(path.string());
  const auto ps = [](double ns) { return static_cast<uint64_t>(std::llround(ns * 1e3)); };
  w->set_window(ps(t.start_ns), t.stop_ns ? ps(*t.stop_ns) : UINT64_MAX);
  w->set_max_bytes(static_cast<uint64_t>(t.max_mb * 1e6));
  return w;
}

trace::SignalFilter signal_filter(const config::LoadedConfig& loaded) {
  try {
    return trace::SignalFilter(loaded.config.simulation.trace.signals);
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: simulation.trace.signals: {}", loaded.path, e.what()));
  }
}

void write_gtkw(const RunObserver& observer, const std::string& trace_file, const fs::path& path) {
  trace::GtkwWriter gtkw(trace_file);
  const trace::TraceWriter* writer = observer.vcd();
  std::map<std::string, trace::SignalId> by_name;
  for (size_t i = 0; i < writer->signal_count(); ++i) {
    by_name[writer->signal(static_cast<trace::SignalId>(i)).name] = static_cast<trace::SignalId>(i);
  }
  std::set<trace::SignalId> added;
  for (const auto& name : observer.probe_names()) {
    const std::string group = name.substr(name.find('.') + 1);
    for (const char* sig : {".busy", ".ops", ".power_mw"}) {
      const auto it = by_name.find(name + sig);
      if (it == by_name.end()) continue;
      gtkw.add(group, writer->signal(it->second));
      added.insert(it->second);
    }
  }
  // Block-level signals that are not a probe's (an array's op and utilization): grouped by
  // their scope.
  for (const auto& [name, id] : by_name) {
    if (added.count(id)) continue;
    const std::string scope = name.substr(0, name.rfind('.'));
    gtkw.add(scope.substr(scope.find('.') + 1), writer->signal(id));
  }
  gtkw.write(path.string());
}

void prepare_run_dir(const fs::path& dir, const config::Config& cfg, const std::string& version) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw InputError(fmt::format("{}: cannot create the output folder ({})", dir.string(), ec.message()));
  }
  write_text(dir / "config.yaml",
             "# memgan " + version + ": resolved configuration of this run\n" + config::dump_yaml(cfg, true));
}

std::string trace_file_name(const config::Config& cfg) { return "trace." + cfg.simulation.trace.format; }

std::unique_ptr<RunObserver> start_observer(const config::LoadedConfig& loaded, const fs::path& dir) {
  const config::Config& cfg = loaded.config;
  const auto window_ps = static_cast<uint64_t>(std::llround(cfg.simulation.power_window_ns * 1e3));
  std::unique_ptr<timeline::TimelineWriter> timeline;
  if (cfg.simulation.timeline.enabled) {
    timeline = std::make_unique<timeline::TimelineWriter>((dir / "timeline.json").string(),
                                                          static_cast<uint64_t>(cfg.simulation.timeline.max_events));
  }
  auto observer = std::make_unique<RunObserver>(std::max<uint64_t>(1, window_ps),
                                                open_trace(cfg, dir / trace_file_name(cfg)), signal_filter(loaded),
                                                std::move(timeline));
  // sc_stop() is how the controller ends a run, not news for the user.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(cfg.simulation.quantum_ns, sc_core::SC_NS));
  return observer;
}

void write_observer_outputs(const RunObserver& observer, const config::Config& cfg, const fs::path& dir,
                            uint64_t end_ps, std::vector<std::string>& files) {
  observer.ledger().write_power_csv((dir / "power.csv").string(), end_ps);
  if (cfg.simulation.trace.enabled) {
    write_gtkw(observer, trace_file_name(cfg), dir / "memgan.gtkw");
    files.insert(files.begin(), {trace_file_name(cfg), "memgan.gtkw"});
  }
}

nlohmann::json common_report(const config::LoadedConfig& loaded, const std::string& version, const Controller& ctl,
                             uint64_t end_ps, RunObserver& observer) {
  const nlohmann::json energy = observer.ledger().summary_json(end_ps);
  nlohmann::json report;
  report["memgan_version"] = version;
  report["config_file"] = loaded.path;
  report["config"] = config::to_json(loaded.config);
  report["outcome"] = outcome_name(ctl.outcome());
  report["error"] = ctl.error();
  // Every refused access of the run (a clean run has none, and no key).
  if (!observer.faults().empty()) {
    nlohmann::json faults = nlohmann::json::array();
    for (const auto& f : observer.faults())
      faults.push_back({{"time_ns", double(f.time_ps) / 1e3}, {"block", f.block}, {"message", f.message}});
    report["faults"] = {{"total", observer.faults_total()}, {"first", std::move(faults)}};
  }
  report["simulated_time_ns"] = double(end_ps) / 1e3;
  report["energy"] = energy;
  report["energy_by_kind_pJ"] = energy_by_kind(energy["components"]);
  if (const auto* vcd = observer.vcd()) {
    report["trace"] = {{"late_changes", vcd->late_changes()}, {"bytes", vcd->bytes_written()}};
    if (vcd->stopped_at_ps() != UINT64_MAX) report["trace"]["stopped_at_ns"] = double(vcd->stopped_at_ps()) / 1e3;
  }
  if (auto* tl = observer.timeline()) {
    report["timeline"] = {{"events", tl->events()}, {"dropped", tl->dropped()}, {"truncated", tl->truncated()}};
  }
  return report;
}

}  // namespace run_detail

namespace {
namespace fs = std::filesystem;
using namespace run_detail;

// Host side of the job: make it, and place it in DRAM through the backdoor, as a loader would.
firmware::MvmJob load_job(const config::LoadedConfig& loaded, Soc& soc) {
  const config::Config& cfg = loaded.config;
  const Tile& tile = soc.tile(cfg.job.tile);
  firmware::MvmJobSpec spec;
  spec.rows = cfg.job.rows;
  spec.cols = cfg.job.cols;
  spec.batch = cfg.job.batch;
  spec.quantize = cfg.arch.quantize;
  spec.weight_bits = cfg.arch.weight_bits;
  spec.input_bits = cfg.arch.input_bits;
  spec.distribution = cfg.job.distribution;
  spec.seed = static_cast<uint64_t>(cfg.simulation.seed);
  spec.tile = cfg.job.tile;
  spec.array = cfg.job.array;
  spec.weight_pitch_bytes = tile.weight_pitch() * tile.element_bytes();
  spec.input_buffer_bytes = static_cast<uint32_t>(cfg.arch.buffers.input_kib) * 1024;
  spec.output_buffer_bytes = static_cast<uint32_t>(cfg.arch.buffers.output_kib) * 1024;
  firmware::MvmJob job;
  try {
    job = firmware::build_mvm_job(spec);
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: job: {}", loaded.path, e.what()));
  }
  if (job.end_addr > soc.dram().size()) {
    throw InputError(fmt::format("{}: job: needs {} bytes of DRAM (program, weights, inputs, outputs), more than "
                                 "arch.dram.size_mib = {} MiB",
                                 loaded.path, job.end_addr, cfg.arch.dram.size_mib));
  }
  uint8_t* dram = soc.dram().data();
  std::memcpy(dram + memory_map::kBootAddress, job.image.data(), job.image.size());
  std::memcpy(dram + job.w_addr, job.w_bytes.data(), job.w_bytes.size());
  std::memcpy(dram + job.x_addr, job.x_bytes.data(), job.x_bytes.size());
  return job;
}

nlohmann::json counts_json(Soc& soc, const Tile& tile) {
  const Controller& ctl = soc.controller();
  const TileCounters& tc = tile.counters();
  return {
      {"commands", ctl.commands_executed()},
      {"status_polls", ctl.polls()},
      {"bus_transactions", soc.bus().transactions()},
      {"bus_decode_errors", soc.bus().decode_errors()},
      {"dram_bytes_read", soc.dram().bytes_read()},
      {"dram_bytes_written", soc.dram().bytes_written()},
      {"dma_transfers", soc.dma().transfers()},
      {"dma_bytes", soc.dma().bytes_moved()},
      {"noise_samples", soc.noise().samples()},
      {"mvm_vectors", tc.vectors},
      {"mvm_starts", tc.starts},
      {"array_reads", tc.array_reads},
      {"dac_conversions", tc.dac_conversions},
      {"adc_conversions", tc.adc_conversions},
      {"adc_saturations", tc.adc_saturations},
      {"shift_add_ops", tc.shift_add_ops},
      {"cells_written", tc.cells_written},
      {"write_pulses", tc.write_pulses},
      {"output_saturations", tc.output_saturations},
      {"rtl_mismatches", tc.rtl_mismatches},
  };
}

nlohmann::json check_json(const firmware::MvmCheck& check, bool checked) {
  return {{"checked", checked},
          {"bound_applies", check.bound_applies},
          {"elements", check.elements},
          {"max_abs_error", check.max_abs_error},
          {"max_error_over_bound", check.max_error_over_bound},
          {"outside_bound", check.outside_bound},
          {"rms_error", check.rms_error},
          {"relative_rms_error", check.relative_rms_error}};
}

// One screen for a person.
void print_summary(std::ostream& out, const config::LoadedConfig& loaded, const std::string& version,
                   const nlohmann::json& report, double wall_s, const fs::path& dir) {
  const config::Config& cfg = loaded.config;
  const auto& energy = report["energy"];
  const auto& counts = report["counts"];
  const auto& check = report["result_check"];
  const double total_pj = energy["totals"]["total_pJ"].get<double>();
  fmt::print(out, "memgan {}: {}\n", version, loaded.path);
  fmt::print(out, "job      {} vectors x ({} -> {}) MVM on tile{}.xbar{}: {}\n", cfg.job.batch, cfg.job.rows,
             cfg.job.cols, cfg.job.tile, cfg.job.array,
             cfg.arch.quantize ? fmt::format("{}-bit inputs, {}-bit weights, {}-bit cells, {}-bit DAC, {}-bit ADC",
                                             cfg.arch.input_bits, cfg.arch.weight_bits, cfg.arch.cell_bits,
                                             cfg.arch.dac_bits, cfg.arch.adc.bits)
                               : std::string("ideal analog datapath (float)"));
  fmt::print(out, "outcome  {} after {} simulated ({} commands, wall {:.2f} s)\n", report["outcome"].get<std::string>(),
             si(report["simulated_time_ns"].get<double>() * 1e-9, "s"), counts["commands"].get<int64_t>(), wall_s);
  if (check["checked"].get<bool>()) {
    fmt::print(out, "result   max |error| {:.4g}, relative RMS error {:.3g}%{}\n", check["max_abs_error"].get<double>(),
               100 * check["relative_rms_error"].get<double>(),
               check["bound_applies"].get<bool>()
                   ? fmt::format(", worst element at {:.2f} of its error bound",
                                 check["max_error_over_bound"].get<double>())
                   : std::string(" (non-ideal device or clipped ADC: no bound)"));
  }
  fmt::print(out, "energy   {} total, {} average power\n", si(total_pj * 1e-12, "J"),
             si(energy["totals"]["average_power_W"].get<double>(), "W"));
  for (const auto& [kind, pj] : report["energy_by_kind_pJ"].items()) {
    fmt::print(out, "         {:<14} {:>12}  {:5.1f}%\n", kind, si(pj.get<double>() * 1e-12, "J"),
               total_pj > 0 ? 100 * pj.get<double>() / total_pj : 0);
  }
  fmt::print(out, "counts   {} MVM vectors, {} ADC conversions ({} saturated), {} cells written, {} DRAM bytes\n",
             counts["mvm_vectors"].get<int64_t>(), counts["adc_conversions"].get<int64_t>(),
             counts["adc_saturations"].get<int64_t>(), counts["cells_written"].get<int64_t>(),
             counts["dram_bytes_read"].get<int64_t>() + counts["dram_bytes_written"].get<int64_t>());
  std::string listing;
  for (const auto& f : report["outputs"]) listing += (listing.empty() ? "" : ", ") + f.get<std::string>();
  fmt::print(out, "outputs  {}/ : {}\n", dir.string(), listing);
}

// The LSB of the results as DRAM holds them.
double output_lsb(const config::Config& cfg, Soc& soc) {
  return cfg.arch.quantize ? soc.tile(cfg.job.tile).array(cfg.job.array).adc_lsb(cfg.job.rows) : 1.0;
}

// Result check against the float reference, when the run completed. The bound holds for an
// ideal device and an ADC that never clipped.
firmware::MvmCheck check_result(const config::Config& cfg, Soc& soc, const firmware::MvmJob& job, double out_lsb) {
  const Tile& tile = soc.tile(cfg.job.tile);
  const double adc_bound = cfg.arch.quantize ? xbar::mvm_error_bound(Soc::tile_params(cfg).converters, cfg.job.rows) : 0;
  const bool completed = soc.controller().outcome() == Controller::Outcome::Completed;
  const bool bound_applies = ideal_device(cfg.device) && tile.counters().adc_saturations == 0;
  firmware::MvmCheck check;
  if (completed) {
    check = firmware::check_mvm_result(job, soc.dram().data() + job.y_addr, out_lsb, adc_bound, bound_applies);
  }
  return check;
}

// The run folder's outputs: program.bin, results.bin, power.csv (and the trace's),
// report.json, report.html. Returns the report.
nlohmann::json write_outputs(const config::LoadedConfig& loaded, const std::string& version, Soc& soc,
                             RunObserver& observer, const firmware::MvmJob& job, const firmware::MvmCheck& check,
                             double out_lsb, uint64_t end_ps, const fs::path& dir) {
  const config::Config& cfg = loaded.config;
  const Controller& ctl = soc.controller();
  std::vector<std::string> files = {"config.yaml", "program.bin", "results.bin", "power.csv", "report.json",
                                    "report.html"};
  if (cfg.simulation.timeline.enabled) files.push_back("timeline.json");
  write_text(dir / "program.bin", std::string(job.image.begin(), job.image.end()));
  // The raw results as DRAM holds them (batch x cols, 4 bytes each), e.g. to compare runs.
  const char* y = reinterpret_cast<const char*>(soc.dram().data() + job.y_addr);
  write_text(dir / "results.bin", std::string(y, y + std::size_t(cfg.job.batch) * cfg.job.cols * 4));
  write_observer_outputs(observer, cfg, dir, end_ps, files);
  nlohmann::json report = common_report(loaded, version, ctl, end_ps, observer);
  report["counts"] = counts_json(soc, soc.tile(cfg.job.tile));
  report["job"] = {{"kind", cfg.job.kind},
                   {"rows", cfg.job.rows},
                   {"cols", cfg.job.cols},
                   {"batch", cfg.job.batch},
                   {"vectors_per_chunk", job.vectors_per_chunk},
                   {"weight_scale", job.w_scale},
                   {"input_scale", job.x_scale},
                   {"output_lsb", out_lsb},
                   {"program_bytes", job.image.size()}};
  report["result_check"] = check_json(check, ctl.outcome() == Controller::Outcome::Completed);
  report["outputs"] = files;
  write_text(dir / "report.json", report.dump(2) + "\n");
  report::write_html_report(dir.string(), (dir / "report.html").string());
  return report;
}

}  // namespace

int run_platform(const config::LoadedConfig& loaded, const RunOptions& options, std::ostream& out, std::ostream& err) {
  const config::Config& cfg = loaded.config;
  if (cfg.job.kind == "train") return run_training(loaded, options, out, err);
  const auto wall_start = std::chrono::steady_clock::now();
  const fs::path dir(options.out_dir);
  prepare_run_dir(dir, cfg, options.version);

  require_rtl_blocks(loaded);
  // Observer first: every model's probe declares its trace signals as it is built.
  const auto observer_ptr = start_observer(loaded, dir);
  RunObserver& observer = *observer_ptr;
  Soc soc("soc", cfg, observer);
  observer.begin_trace();
  const firmware::MvmJob job = load_job(loaded, soc);

  Progress progress("memgan run", options.quiet);
  soc.controller().on_progress([&progress](int64_t done, int64_t total) { progress.update(done, total); });
  sc_core::sc_start();
  progress.finish();

  const Controller& ctl = soc.controller();
  const uint64_t end_ps = to_ps(ctl.end_time());
  observer.finish();

  const double out_lsb = output_lsb(cfg, soc);
  const firmware::MvmCheck check = check_result(cfg, soc, job, out_lsb);
  const nlohmann::json report = write_outputs(loaded, options.version, soc, observer, job, check, out_lsb, end_ps, dir);

  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  print_summary(out, loaded, options.version, report, wall_s, dir);
  if (ctl.outcome() != Controller::Outcome::Completed) fmt::print(err, "error: {}\n", ctl.error());
  switch (ctl.outcome()) {
    case Controller::Outcome::Completed:
      if (check.bound_applies && check.outside_bound > 0) {
        fmt::print(err, "error: {} of {} results lie outside the documented error bound\n", check.outside_bound,
                   check.elements);
        return 1;
      }
      return 0;
    case Controller::Outcome::Interrupted: return 130;
    default: return 2;
  }
}

}  // namespace memgan
