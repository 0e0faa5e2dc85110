#include "apps/memgan/network_commands.h"

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "core/mapping/dataflow.h"
#include "core/mapping/mapper.h"
#include "core/mapping/network.h"
#include "core/util/progress.h"
#include "platform/compare_run.h"
#include "platform/network_inputs.h"
#include "platform/run.h"

namespace memgan::cli {

namespace fs = std::filesystem;

namespace {

std::vector<mapping::Dataflow> parse_dataflows(const std::vector<std::string>& names) {
  std::vector<mapping::Dataflow> flows;
  for (const auto& n : names) {
    try {
      flows.push_back(mapping::parse_dataflow(n));
    } catch (const std::invalid_argument& e) {
      throw InputError(fmt::format("--dataflows: {}", e.what()));
    }
  }
  return flows;
}

void print_cost_row(std::ostream& out, const CompareRow& r) {
  if (r.total) {
    fmt::print(out, "{:<22} {:<16} {:<15} {:<8} {:>12.3f} {:>11.3f} {:>10} {:>12} {:>7} {:>6} {:>7.2f}x {:>6.1f}%\n",
               r.layer, r.type, r.dataflow, r.phase, r.time_ns / 1e3, r.energy_pj / 1e3, "", "", "", "", r.speedup,
               100 * r.saving);
  } else {
    fmt::print(out, "{:<22} {:<16} {:<15} {:<8} {:>12.3f} {:>11.3f} {:>10} {:>12} {:>7} {:>5.0f}% {:>7.2f}x {:>6.1f}%\n",
               r.layer, r.type, r.dataflow, r.phase, r.time_ns / 1e3, r.energy_pj / 1e3, r.mvms, r.adc_conversions,
               r.arrays, 100 * r.utilization, r.speedup, 100 * r.saving);
  }
}

void print_steps(std::ostream& out, const std::vector<ScheduleRow>& rows) {
  fmt::print(out, "\ntraining step on the simulated platform (memgan run in train.mode timing, one step per dataflow; "
                  "the same tiles, bus, DRAM and scheduling as a training run):\n");
  fmt::print(out, "{:<15} {:>10} {:>10} {:>8} {:>10} {:>10} {:>10} {:>10} {:>14} {:>8} {:>7}\n", "dataflow", "step_us",
             "serial_us", "overlap", "compute", "movement", "stall", "energy_uJ", "bottleneck", "speedup", "saving");
  for (const auto& r : rows) {
    if (!r.error.empty()) {
      fmt::print(out, "{:<15} did not run ({}): {}\n", r.dataflow, r.dir, r.error);
      continue;
    }
    const auto share = [&](double ns) { return fmt::format("{:.0f}%", r.serial_ns > 0 ? 100 * ns / r.serial_ns : 0.0); };
    fmt::print(out, "{:<15} {:>10.1f} {:>10.1f} {:>7.2f}x {:>10} {:>10} {:>10} {:>10.1f} {:>14} {:>7.2f}x {:>6.1f}%\n",
               r.dataflow, r.step_ns / 1e3, r.serial_ns / 1e3, r.overlap, share(r.compute_ns), share(r.movement_ns),
               share(r.stall_ns), r.energy_pj / 1e6, r.bottleneck, r.speedup, 100 * r.saving);
  }
}

}  // namespace

int map_command(const config::LoadedConfig& loaded, const std::string& out_dir, std::ostream& out) {
  const auto net = load_config_network(loaded);
  const auto m = map_config_network(net, loaded.config, mapping::parse_dataflow(loaded.config.network.dataflow));
  out << mapping::format_table(m);
  nlohmann::json j = mapping::to_json(m);
  // Where training puts each layer (one copy per layer, no replicas) on the configured chip.
  try {
    const mapping::ChipPlacement p = place_config_network(loaded, net);
    out << "\n" << mapping::format_placement(p);
    j["placement"] = mapping::to_json(p);
  } catch (const InputError& e) {
    fmt::print(out, "\nplacement: {}\n", e.what());
    j["placement"] = {{"error", e.what()}};
  }
  const auto dir = create_output_dir(out_dir);
  write_output_file(dir / "mapping.json", j.dump(2) + "\n");
  fmt::print(out, "mapping  {}\n", (dir / "mapping.json").string());
  return 0;
}

int compare_command(const config::LoadedConfig& loaded, const std::vector<std::string>& names,
                    const std::string& out_dir, std::ostream& out, bool quiet, int jobs) {
  const auto net = load_config_network(loaded);
  const config::Config& cfg = loaded.config;
  const std::vector<mapping::Dataflow> flows = parse_dataflows(names);
  CompareRun run(loaded, net, out_dir);

  fmt::print(out, "memgan compare: {} (batch {}), {}x{} arrays, {}-bit cells, {}-bit DAC, {}-bit ADC\n", net.name,
             cfg.network.batch, cfg.arch.array.rows, cfg.arch.array.cols, cfg.arch.cell_bits, cfg.arch.dac_bits,
             cfg.arch.adc.bits);
  fmt::print(out, "per layer, closed forms: the mapper's event counts times the tiles' timing and energy tables "
                  "(platform/network_cost.h), arrays of a layer in lock step, no data movement\n");
  fmt::print(out, "{:<22} {:<16} {:<15} {:<8} {:>12} {:>11} {:>10} {:>12} {:>7} {:>6} {:>8} {:>7}\n", "layer", "type",
             "dataflow", "phase", "time_us", "energy_nJ", "MVMs", "ADC_conv", "arrays", "util", "speedup", "saving");
  Progress progress("memgan compare", quiet);
  const int64_t stages = 2 * int64_t(flows.size());  // each dataflow's costs, then its training step
  int64_t stage = 0;
  for (const auto flow : flows) {
    const std::vector<CompareRow> rows = run.cost(flow);
    progress.update(++stage, stages);
    for (const auto& r : rows) print_cost_row(out, r);
  }
  const std::vector<ScheduleRow> steps = run.training_steps(flows, jobs, [&](size_t, size_t, size_t, const Point&,
                                                                          const PointResult&) {
    progress.update(++stage, stages);
  });
  progress.finish();
  print_steps(out, steps);
  run.write_outputs();
  std::string folders;
  for (const auto& r : steps) folders += ", " + fs::path(r.dir).filename().string() + "/";
  fmt::print(out, "outputs  {}/ : compare.csv, compare.json, report.html{}\n", run.dir().string(), folders);
  int failed = 0;
  for (const auto& r : steps) failed += !r.error.empty();
  if (failed) {
    fmt::print(out, "error: {} of {} training steps did not run (their rows above say why)\n", failed, steps.size());
    return 2;
  }
  return 0;
}

int layer_command(const config::LoadedConfig& loaded, const LayerArgs& a, std::ostream& out) {
  const LayerResult r = run_layer(loaded, a);
  fmt::print(out, "layer    {} {} -> {} ({} dataflow), {} forward MVMs, {} ADC conversions\n", a.type, r.input_shape,
             r.output_shape, r.dataflow, r.forward_mvms, r.forward_adc_conversions);
  std::string listing;
  for (const auto& f : r.files) listing += (listing.empty() ? "" : ", ") + f;
  fmt::print(out, "outputs  {}/ : {}\n", r.dir.string(), listing);
  return 0;
}

}  // namespace memgan::cli
