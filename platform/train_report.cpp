#include "platform/train_report.h"

#include <sys/resource.h>

#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "core/report/html_report.h"
#include "platform/run_common.h"

namespace memgan {
namespace {

using namespace run_detail;

int64_t steps_run(const TrainRunResult& r) { return r.inputs.executor().steps_done() - r.start.step; }

// The process's peak resident memory so far (Linux reports ru_maxrss in KiB).
int64_t peak_rss_bytes() {
  rusage usage{};
  return getrusage(RUSAGE_SELF, &usage) == 0 ? int64_t(usage.ru_maxrss) * 1024 : -1;
}

nlohmann::json score_json(double score) { return std::isnan(score) ? nlohmann::json() : nlohmann::json(score); }

// The last step's busy spans per block, ns from the step's start: [start, end, label, kind,
// part, parts] (labels and kinds indexed).
nlohmann::json step_chart_json(const LayerEngine& engine) {
  const LayerEngine::StepChart& c = engine.last_step_chart();
  if (c.step < 0) return nullptr;
  nlohmann::json lanes = nlohmann::json::array();
  for (size_t l = 0; l < c.lanes.size(); ++l) {
    nlohmann::json spans = nlohmann::json::array();
    for (const auto& s : c.spans)
      if (s.lane == int(l))
        spans.push_back({double(s.start_ps - c.start_ps) * 1e-3, double(s.end_ps - c.start_ps) * 1e-3, s.label, s.kind,
                         s.part, s.parts});
    if (!spans.empty()) lanes.push_back({{"name", c.lanes[l]}, {"spans", spans}});
  }
  nlohmann::json kinds = nlohmann::json::array();
  for (const char* k : LayerEngine::kStepChartKinds) kinds.push_back(k);
  return {{"step", c.step}, {"time_ns", double(c.end_ps - c.start_ps) * 1e-3}, {"labels", c.labels},
          {"kinds", kinds}, {"lanes", lanes}};
}

nlohmann::json training_json(const config::Config& cfg, const TrainRunResult& r) {
  const train::OpExecutor& trainer = r.inputs.executor();
  const Progression& now = r.host.now();
  const int64_t run = steps_run(r);
  nlohmann::json phases = nlohmann::json::object();
  double compute = 0, movement = 0, stall = 0, serial = 0;
  std::map<std::string, double> busy;
  for (const auto& [label, p] : r.soc.layer_engine()->phase_totals()) {
    std::string bottleneck;
    double most = 0;
    for (const auto& [resource, ns] : p.busy_ns) {
      busy[resource] += ns;
      if (ns > most) most = ns, bottleneck = resource;
    }
    phases[label] = {{"time_ns", p.time_ns},         {"compute_ns", p.compute_ns}, {"movement_ns", p.movement_ns},
                     {"stall_ns", p.stall_ns},       {"energy_pJ", p.energy_pj},   {"ops", p.ops},
                     {"busy_ns", p.busy_ns},         {"bottleneck", bottleneck},
                     {"tile_events", {{"array_reads", p.array_reads}, {"dac_conversions", p.dac_conversions},
                                      {"adc_conversions", p.adc_conversions}, {"write_pulses", p.write_pulses}}}};
    compute += p.compute_ns;
    movement += p.movement_ns;
    stall += p.stall_ns;
    serial += p.time_ns;
  }
  std::string bottleneck;
  double most = 0;
  for (const auto& [resource, ns] : busy)
    if (ns > most) most = ns, bottleneck = resource;
  const double per_step = run > 0 ? 1.0 / double(run) : 0.0;
  return {
      {"network", r.inputs.net.name},
      {"mode", cfg.train.mode},
      {"optimizer", cfg.train.optimizer},
      {"dataflow", cfg.network.dataflow},
      {"batch", cfg.network.batch},
      {"first_step", r.start.step},
      {"steps_done", trainer.steps_done()},
      {"steps_this_run", run},
      {"curve", r.host.curve()},
      {"first_score", score_json(r.host.first_score())},
      {"last_score", score_json(r.host.last_score())},
      {"op_time_ns", now.time_ns},
      {"op_energy_pJ", now.energy_pj},
      {"time_per_step_ns", run > 0 ? (now.time_ns - r.start.time_ns) / double(run) : 0.0},
      {"energy_per_step_pJ", run > 0 ? (now.energy_pj - r.start.energy_pj) / double(run) : 0.0},
      {"wall_s", r.wall_s},
      {"wall_per_step_s", run > 0 ? r.wall_s / double(run) : 0.0},
      {"peak_rss_bytes", peak_rss_bytes()},
      {"cells_written", trainer.totals().cells_written},
      {"write_pulses", trainer.totals().write_pulses},
      {"adc_conversions", trainer.totals().adc_conversions},
      {"adc_saturations", trainer.totals().adc_saturations},
      {"phases", phases},
      // Operations overlap: their own times add up to more than the step (serial_per_step_ns);
      // the split is of that sum.
      {"serial_per_step_ns", serial * per_step},
      {"overlap", run > 0 && now.time_ns > r.start.time_ns ? serial * per_step / ((now.time_ns - r.start.time_ns) / double(run)) : 0.0},
      {"step_split_ns", {{"compute", compute * per_step}, {"movement", movement * per_step}, {"stall", stall * per_step}}},
      {"resource_busy_per_step_ns", [&] {
         nlohmann::json j = nlohmann::json::object();
         for (const auto& [k, v] : busy) j[k] = v * per_step;
         return j;
       }()},
      {"bottleneck", bottleneck},
      {"placement", mapping::to_json(r.soc.layer_engine()->placement())},
      {"arrays_reprogrammed", r.soc.layer_engine()->arrays_reprogrammed()},
      {"last_grid", r.host.last_grid()},
      {"step_chart", step_chart_json(*r.soc.layer_engine())},
  };
}

}  // namespace

void write_train_report(nlohmann::json& report, const config::Config& cfg, const TrainRunResult& r,
                        const fs::path& dir) {
  report["training"] = training_json(cfg, r);
  const AddressStats& addr = r.soc.layer_engine()->address_stats();
  report["training"]["mapper_addresses"] = {{"impl", cfg.arch.rtl.red_addr_gen}, {"sequences", addr.sequences},
                                            {"steps", addr.steps},         {"rtl_clocks", addr.rtl_clocks},
                                            {"rtl_mismatches", addr.rtl_mismatches},
                                            {"mvm_mismatches", addr.mvm_mismatches}};
  // What the tiles counted, all of them together, and how busy each was.
  TileCounters sum;
  nlohmann::json busy_ns = nlohmann::json::array();
  // The crossbar state the tiles hold: arrays taken over from the trainer and the programming
  // pulses their cells took, initial weights and training updates (xbar write counts).
  int64_t arrays_held = 0, cell_writes = 0;
  for (int i = 0; i < r.soc.tiles(); ++i) {
    const Tile& tile = r.soc.tile(i);
    arrays_held += tile.adopted_arrays();
    for (int a = 0; a < tile.arrays() && tile.adopted_arrays() > 0; ++a) {
      if (!tile.holds_trainer_array(a)) continue;
      const xbar::CrossbarArray& cells = tile.array(a);
      for (int row = 0; row < cells.geometry().rows; ++row)
        for (int col = 0; col < cells.geometry().cols; ++col) cell_writes += cells.write_count(row, col);
    }
    const TileCounters& c = r.soc.tile(i).counters();
    sum.array_reads += c.array_reads;
    sum.dac_conversions += c.dac_conversions;
    sum.adc_conversions += c.adc_conversions;
    sum.shift_add_ops += c.shift_add_ops;
    sum.write_pulses += c.write_pulses;
    busy_ns.push_back(double(r.soc.tile(i).busy_ps()) * 1e-3);
  }
  const nlohmann::json tiles = {{"array_reads", sum.array_reads},         {"dac_conversions", sum.dac_conversions},
                                {"adc_conversions", sum.adc_conversions}, {"shift_add_ops", sum.shift_add_ops},
                                {"write_pulses", sum.write_pulses},       {"busy_ns", busy_ns},
                                {"arrays_holding_weights", arrays_held},  {"cell_writes_held", cell_writes}};
  report["training"]["tiles"] = tiles;
  // Dynamic energy by what it paid for: computing (arrays, converters, shift-add, pulses, the
  // digital unit, the noise block, the mapper) or moving data (bus, DRAM, every buffer); and the
  // leakage of the whole chip over the run.
  double compute_pj = 0, movement_pj = 0, other_pj = 0;
  for (const auto& [name, c] : report["energy"]["components"].items()) {
    const double pj = c.value("dynamic_pJ", 0.0);
    const bool buffer = name.find("buffer") != std::string::npos;
    const bool moves = buffer || name == "bus" || name == "dram" || name == "dma";
    const bool regs = name.size() > 5 && name.compare(name.size() - 5, 5, ".regs") == 0;
    const bool computes = !buffer && !regs && (name.rfind("tile", 0) == 0 || name == "digital_unit" || name == "noise" ||
                                      name == "layer_engine.mapper");
    (moves ? movement_pj : computes ? compute_pj : other_pj) += pj;
  }
  report["training"]["energy_split_pJ"] = {{"compute", compute_pj},
                                           {"movement", movement_pj},
                                           {"control", other_pj},
                                           {"leakage", report["energy"]["totals"].value("leakage_pJ", 0.0)}};
  report["training"]["bus_wait_ns"] = double(r.soc.bus().wait_ps()) * 1e-3;
  report["training"]["dram_wait_ns"] = double(r.soc.dram().wait_ps()) * 1e-3;
  const Controller& ctl = r.soc.controller();
  report["counts"] = {{"commands", ctl.commands_executed()},
                      {"status_polls", ctl.polls()},
                      {"bus_transactions", r.soc.bus().transactions()},
                      {"engine_ops", r.soc.layer_engine()->ops()}};
  report["outputs"] = r.files;
  write_text(dir / "report.json", report.dump(2) + "\n");
  report::write_html_report(dir.string(), (dir / "report.html").string());
}

void print_train_summary(std::ostream& out, std::ostream& err, const config::LoadedConfig& loaded,
                         const std::string& version, const nlohmann::json& report, const TrainRunResult& r,
                         const fs::path& dir) {
  const config::Config& cfg = loaded.config;
  const train::OpExecutor& trainer = r.inputs.executor();
  const Controller& ctl = r.soc.controller();
  const Progression& now = r.host.now();
  const int64_t run = steps_run(r);
  const double total_pj = report["energy"]["totals"]["total_pJ"].get<double>();
  fmt::print(out, "memgan {}: {}\n", version, loaded.path);
  if (r.inputs.trainer)
    fmt::print(out, "train    {} on Fashion-MNIST ({} images), {} mode, {}, batch {}, {} dataflow\n", r.inputs.net.name,
               r.inputs.images, cfg.train.mode, cfg.train.optimizer, cfg.network.batch, cfg.network.dataflow);
  else
    fmt::print(out, "train    {} in timing mode (closed-form event counts, no data, no numerics), {}, batch {}, {} "
               "dataflow\n", r.inputs.net.name, cfg.train.optimizer, cfg.network.batch, cfg.network.dataflow);
  fmt::print(out, "outcome  {} at step {} of {} after {} simulated ({} commands, wall {:.1f} s)\n",
             outcome_name(ctl.outcome()), trainer.steps_done(), cfg.train.steps, si(double(r.end_ps) * 1e-12, "s"),
             ctl.commands_executed(), r.wall_s);
  if (!std::isnan(r.host.last_score())) {
    fmt::print(out, "score    {:.2f} -> {:.2f} (Frechet distance to real images in a {}-component PCA space)\n",
               r.host.first_score(), r.host.last_score(), cfg.train.score_components);
  }
  if (run > 0) {
    fmt::print(out, "per step {} simulated, {} energy, {:.3f} s wall\n",
               si((now.time_ns - r.start.time_ns) * 1e-9 / double(run), "s"),
               si((now.energy_pj - r.start.energy_pj) * 1e-12 / double(run), "J"), r.wall_s / double(run));
  }
  fmt::print(out, "memory   {:.0f} MiB peak resident\n", double(peak_rss_bytes()) / (1 << 20));
  fmt::print(out, "energy   {} total, {} cells written\n", si(total_pj * 1e-12, "J"), trainer.totals().cells_written);
  std::string listing;
  for (const auto& f : r.files) listing += (listing.empty() ? "" : ", ") + f;
  fmt::print(out, "outputs  {}/ : {}\n", dir.string(), listing);
  if (ctl.outcome() == Controller::Outcome::FirmwareError) fmt::print(err, "error: {}\n", ctl.error());
}

}  // namespace memgan
