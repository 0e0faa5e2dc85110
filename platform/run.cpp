#include "run.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>

#include "common/sc_time_ps.h"
#include "memory_map.h"
#include "mvm_job.h"
#include "soc.h"
#include "tile/tile_map.h"
#include "trace/fst_writer.h"
#include "trace/gtkw_writer.h"
#include "trace/vcd_writer.h"

namespace memgan {
namespace {

namespace fs = std::filesystem;

bool ideal_device(const config::DeviceConfig& d) {
  return d.program_sigma == 0 && d.read_noise_sigma == 0 && d.stuck_on_rate == 0 && d.stuck_off_rate == 0;
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
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) throw InputError(fmt::format("{}: cannot write", path.string()));
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

}  // namespace

int run_platform(const config::LoadedConfig& loaded, const RunOptions& options, std::ostream& out, std::ostream& err) {
  const config::Config& cfg = loaded.config;
  const auto wall_start = std::chrono::steady_clock::now();
  const fs::path dir(options.out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw InputError(fmt::format("{}: cannot create the output folder ({})", dir.string(), ec.message()));
  }
  write_text(dir / "config.yaml", "# memgan " + options.version + ": resolved configuration of this run\n" +
                                      config::dump_yaml(cfg, true));

  // Observer first: every model's probe declares its trace signals as it is built.
  std::unique_ptr<trace::TraceWriter> vcd;
  const std::string trace_file = "trace." + cfg.simulation.trace.format;
  if (cfg.simulation.trace.enabled) {
    if (cfg.simulation.trace.format == "fst") vcd = std::make_unique<trace::FstWriter>((dir / trace_file).string());
    else vcd = std::make_unique<trace::VcdWriter>((dir / trace_file).string());
  }
  const auto window_ps = static_cast<uint64_t>(std::llround(cfg.simulation.power_window_ns * 1e3));
  RunObserver observer(std::max<uint64_t>(1, window_ps), std::move(vcd));

  // sc_stop() is how the controller ends a run, not news for the user.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(cfg.simulation.quantum_ns, sc_core::SC_NS));
  Soc soc("soc", cfg, observer);
  observer.begin_trace();

  // Host side: make the job, place it in DRAM through the backdoor, as a loader would.
  Tile& tile = soc.tile(cfg.job.tile);
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

  sc_core::sc_start();

  Controller& ctl = soc.controller();
  const uint64_t end_ps = to_ps(ctl.end_time());
  observer.finish();
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  // Result check against the float reference.
  const auto& xb = tile.array(cfg.job.array);
  const double out_lsb = cfg.arch.quantize ? xb.adc_lsb(cfg.job.rows) : 1.0;
  const double adc_bound = cfg.arch.quantize ? xbar::mvm_error_bound(Soc::tile_params(cfg).converters, cfg.job.rows) : 0;
  const bool completed = ctl.outcome() == Controller::Outcome::Completed;
  firmware::MvmCheck check;
  // The bound holds for an ideal device and an ADC that never clipped.
  const bool bound_applies = ideal_device(cfg.device) && tile.counters().adc_saturations == 0;
  if (completed) check = firmware::check_mvm_result(job, dram + job.y_addr, out_lsb, adc_bound, bound_applies);

  // Outputs.
  std::vector<std::string> files = {"config.yaml", "program.bin", "power.csv", "report.json"};
  write_text(dir / "program.bin", std::string(job.image.begin(), job.image.end()));
  observer.ledger().write_power_csv((dir / "power.csv").string(), end_ps);
  if (cfg.simulation.trace.enabled) {
    trace::GtkwWriter gtkw(trace_file);
    const auto* writer = observer.vcd();
    std::map<std::string, trace::SignalId> by_name;
    for (size_t i = 0; i < writer->signal_count(); ++i) {
      by_name[writer->signal(static_cast<trace::SignalId>(i)).name] = static_cast<trace::SignalId>(i);
    }
    // One group per block ("tile0.xbar0.adc"), in elaboration order.
    for (const auto& name : observer.probe_names()) {
      const std::string group = name.substr(name.find('.') + 1);
      for (const char* sig : {".busy", ".ops", ".power_mw"}) {
        const auto it = by_name.find(name + sig);
        if (it != by_name.end()) gtkw.add(group, writer->signal(it->second));
      }
    }
    gtkw.write((dir / "memgan.gtkw").string());
    files.insert(files.begin(), {trace_file, "memgan.gtkw"});
  }

  const nlohmann::json energy = observer.ledger().summary_json(end_ps);
  const auto kinds = energy_by_kind(energy["components"]);
  const TileCounters& tc = tile.counters();
  nlohmann::json report;
  report["memgan_version"] = options.version;
  report["config_file"] = loaded.path;
  report["config"] = config::to_json(cfg);
  report["outcome"] = outcome_name(ctl.outcome());
  report["error"] = ctl.error();
  report["simulated_time_ns"] = double(end_ps) / 1e3;
  report["energy"] = energy;
  report["energy_by_kind_pJ"] = kinds;
  report["counts"] = {
      {"commands", ctl.commands_executed()},
      {"status_polls", ctl.polls()},
      {"bus_transactions", soc.bus().transactions()},
      {"bus_decode_errors", soc.bus().decode_errors()},
      {"dram_bytes_read", soc.dram().bytes_read()},
      {"dram_bytes_written", soc.dram().bytes_written()},
      {"dma_transfers", soc.dma().transfers()},
      {"dma_bytes", soc.dma().bytes_moved()},
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
  };
  report["job"] = {{"kind", cfg.job.kind},
                   {"rows", cfg.job.rows},
                   {"cols", cfg.job.cols},
                   {"batch", cfg.job.batch},
                   {"vectors_per_chunk", job.vectors_per_chunk},
                   {"weight_scale", job.w_scale},
                   {"input_scale", job.x_scale},
                   {"output_lsb", out_lsb},
                   {"program_bytes", job.image.size()}};
  report["result_check"] = {{"checked", completed},
                            {"bound_applies", check.bound_applies},
                            {"elements", check.elements},
                            {"max_abs_error", check.max_abs_error},
                            {"max_error_over_bound", check.max_error_over_bound},
                            {"outside_bound", check.outside_bound},
                            {"rms_error", check.rms_error},
                            {"relative_rms_error", check.relative_rms_error}};
  report["outputs"] = files;
  if (cfg.simulation.trace.enabled) report["trace_late_changes"] = observer.vcd()->late_changes();
  write_text(dir / "report.json", report.dump(2) + "\n");

  // One screen for a person.
  const double total_pj = energy["totals"]["total_pJ"].get<double>();
  fmt::print(out, "memgan {}: {}\n", options.version, loaded.path);
  fmt::print(out, "job      {} vectors x ({} -> {}) MVM on tile{}.xbar{}: {}\n", cfg.job.batch, cfg.job.rows,
             cfg.job.cols, cfg.job.tile, cfg.job.array,
             cfg.arch.quantize ? fmt::format("{}-bit inputs, {}-bit weights, {}-bit cells, {}-bit DAC, {}-bit ADC",
                                             cfg.arch.input_bits, cfg.arch.weight_bits, cfg.arch.cell_bits,
                                             cfg.arch.dac_bits, cfg.arch.adc.bits)
                               : std::string("ideal analog datapath (float)"));
  fmt::print(out, "outcome  {} after {} simulated ({} commands, wall {:.2f} s)\n", outcome_name(ctl.outcome()),
             si(double(end_ps) * 1e-12, "s"), ctl.commands_executed(), wall_s);
  if (!ctl.error().empty() && ctl.outcome() != Controller::Outcome::Completed) fmt::print(err, "error: {}\n", ctl.error());
  if (completed) {
    fmt::print(out, "result   max |error| {:.4g}, relative RMS error {:.3g}%{}\n", check.max_abs_error,
               100 * check.relative_rms_error,
               check.bound_applies ? fmt::format(", worst element at {:.2f} of its error bound", check.max_error_over_bound)
                                   : std::string(" (non-ideal device or clipped ADC: no bound)"));
  }
  fmt::print(out, "energy   {} total, {} average power\n", si(total_pj * 1e-12, "J"),
             si(energy["totals"]["average_power_W"].get<double>(), "W"));
  for (const auto& [kind, pj] : kinds) {
    fmt::print(out, "         {:<14} {:>12}  {:5.1f}%\n", kind, si(pj * 1e-12, "J"), total_pj > 0 ? 100 * pj / total_pj : 0);
  }
  fmt::print(out, "counts   {} MVM vectors, {} ADC conversions ({} saturated), {} cells written, {} DRAM bytes\n",
             tc.vectors, tc.adc_conversions, tc.adc_saturations, tc.cells_written,
             soc.dram().bytes_read() + soc.dram().bytes_written());
  std::string listing;
  for (const auto& f : files) listing += (listing.empty() ? "" : ", ") + f;
  fmt::print(out, "outputs  {}/ : {}\n", dir.string(), listing);

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
