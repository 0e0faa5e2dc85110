#include "platform/compare_run.h"

#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "core/report/html_report.h"
#include "platform/network_inputs.h"
#include "platform/run.h"
#include "platform/run_common.h"

namespace memgan {
namespace {

const char* phase_name(int ph) { return ph == 0 ? "forward" : "backward"; }

double speedup_of(const PhaseCost& p, const PhaseCost& q) { return p.time_ns > 0 ? q.time_ns / p.time_ns : 1.0; }

double saving_of(const PhaseCost& p, const PhaseCost& q) {
  return q.energy_total_pj() > 0 ? 1.0 - p.energy_total_pj() / q.energy_total_pj() : 0.0;
}

// Adds a layer's forward and backward time and energy to a network's.
void add_layer(PhaseCost& forward, PhaseCost& backward, const LayerCostEstimate& e) {
  forward.time_ns += e.forward.time_ns;
  backward.time_ns += e.backward.time_ns;
  for (const auto& [k, v] : e.forward.energy_pj) forward.energy_pj[k] += v;
  for (const auto& [k, v] : e.backward.energy_pj) backward.energy_pj[k] += v;
}

// A dataflow's training step as `memgan run` simulates it: the same config in timing mode (the
// platform's time and energy from closed-form counts, no numerics), one step.
config::Config step_config(const config::Config& cfg, mapping::Dataflow flow) {
  config::Config c = cfg;
  c.job.kind = "train";
  c.train.mode = "timing";
  c.network.dataflow = mapping::dataflow_name(flow);
  c.train.steps = 1;
  c.train.eval_every = 1;
  c.train.checkpoint_every = 0;
  return c;
}

double number(const nlohmann::json& j, const char* key) { return j.contains(key) ? j[key].get<double>() : 0.0; }

}  // namespace

CompareRun::CompareRun(const config::LoadedConfig& loaded, const mapping::Network& net, const std::string& out_dir)
    : cfg_(loaded.config), net_(net) {
  // The baseline every speedup and saving is measured against.
  baseline_ = estimate_network(net_, map_config_network(net_, cfg_, mapping::Dataflow::ZeroInsertion), cfg_);
  dir_ = create_output_dir(out_dir);
  csv_.open(dir_ / "compare.csv");
  csv_ << "model,layer,type,dataflow,phase,time_ns,cycles,energy_pJ,array_pJ,dac_pJ,adc_pJ,shift_add_pJ,buffers_pJ,"
          "writes_pJ,digital_pJ,mvms,array_reads,adc_conversions,arrays,utilization,fed_zero_fraction,"
          "speedup_vs_zero_insertion,energy_saving_vs_zero_insertion\n";
  js_["network"] = net_.name;
  js_["batch"] = cfg_.network.batch;
}

std::vector<CompareRow> CompareRun::cost(mapping::Dataflow flow) {
  const auto est = estimate_network(net_, map_config_network(net_, cfg_, flow), cfg_);
  std::vector<CompareRow> rows;
  PhaseCost total_f, total_b, base_f, base_b;
  for (size_t i = 0; i < est.size(); ++i) {
    for (int ph = 0; ph < 2; ++ph) rows.push_back(layer_row(flow, est[i], baseline_[i], ph));
    add_layer(total_f, total_b, est[i]);
    add_layer(base_f, base_b, baseline_[i]);
  }
  rows.push_back(total_row(flow, total_f, base_f, 0));
  rows.push_back(total_row(flow, total_b, base_b, 1));
  return rows;
}

CompareRow CompareRun::layer_row(mapping::Dataflow flow, const LayerCostEstimate& e, const LayerCostEstimate& b,
                                 int ph) {
  const PhaseCost& p = ph == 0 ? e.forward : e.backward;
  const PhaseCost& q = ph == 0 ? b.forward : b.backward;
  const char* phase = phase_name(ph);
  const double speedup = speedup_of(p, q), saving = saving_of(p, q);
  const double clock_ns = 1e3 / cfg_.arch.clock_mhz;
  fmt::print(csv_, "{},{},{},{},{},{:.6g},{:.0f},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{},{},{},{:.6g},{:.6g},{:.6g},{:.6g}\n",
             e.model, e.name, e.type, mapping::dataflow_name(flow), phase, p.time_ns,
             std::ceil(p.time_ns / clock_ns), p.energy_total_pj(), energy_of(p, "array"), energy_of(p, "dac"),
             energy_of(p, "adc"), energy_of(p, "shift_add"), energy_of(p, "buffers"),
             energy_of(p, "writes"), energy_of(p, "digital"), p.mvms, p.array_reads, p.adc_conversions, e.arrays, e.utilization,
             e.fed_zero_fraction, speedup, saving);
  js_["layers"].push_back({{"model", e.model},
                           {"layer", e.name},
                           {"type", e.type},
                           {"dataflow", mapping::dataflow_name(flow)},
                           {"phase", phase},
                           {"cost", to_json(p)},
                           {"arrays", e.arrays},
                           {"utilization", e.utilization},
                           {"speedup_vs_zero_insertion", speedup},
                           {"energy_saving_vs_zero_insertion", saving}});
  return CompareRow{false, e.model + "." + e.name, e.type, mapping::dataflow_name(flow), phase,
                    p.time_ns, p.energy_total_pj(), p.mvms, p.adc_conversions, e.arrays, e.utilization,
                    speedup, saving};
}

CompareRow CompareRun::total_row(mapping::Dataflow flow, const PhaseCost& p, const PhaseCost& q, int ph) {
  const double speedup = speedup_of(p, q), saving = saving_of(p, q);
  js_["totals"].push_back({{"dataflow", mapping::dataflow_name(flow)},
                           {"phase", phase_name(ph)},
                           {"time_ns", p.time_ns},
                           {"energy_pJ", p.energy_pj},
                           {"energy_total_pJ", p.energy_total_pj()},
                           {"speedup_vs_zero_insertion", speedup},
                           {"energy_saving_vs_zero_insertion", saving}});
  return CompareRow{true, "TOTAL", "", mapping::dataflow_name(flow), phase_name(ph), p.time_ns, p.energy_total_pj(),
                    0, 0, 0, 0, speedup, saving};
}

std::vector<ScheduleRow> CompareRun::training_steps(const std::vector<mapping::Dataflow>& flows, int jobs,
                                                   const PointProgress& progress) {
  std::vector<Point> points;
  for (const auto flow : flows)
    points.push_back({mapping::dataflow_name(flow), step_config(cfg_, flow), dir_ / (std::string("step_") +
                                                                                   mapping::dataflow_name(flow))});
  const std::vector<PointResult> results = run_points(points, jobs, progress);
  std::vector<ScheduleRow> rows;
  for (size_t i = 0; i < flows.size(); ++i) {
    ScheduleRow r;
    r.dataflow = mapping::dataflow_name(flows[i]);
    r.dir = points[i].dir.string();
    if (results[i].exit_code != 0) {
      r.error = fmt::format("exit {}: {}", results[i].exit_code, results[i].error);
    } else {
      try {
        const auto report = nlohmann::json::parse(run_detail::read_text(points[i].dir / "report.json"));
        const auto& t = report.at("training");
        r.step_ns = t.at("time_per_step_ns").get<double>();
        r.serial_ns = t.at("serial_per_step_ns").get<double>();
        r.overlap = t.at("overlap").get<double>();
        r.energy_pj = t.at("energy_per_step_pJ").get<double>();
        const auto& split = t.at("step_split_ns");
        r.compute_ns = number(split, "compute");
        r.movement_ns = number(split, "movement");
        r.stall_ns = number(split, "stall");
        r.bottleneck = t.value("bottleneck", std::string());
      } catch (const std::exception& e) {
        r.error = fmt::format("{}: {}", (points[i].dir / "report.json").string(), e.what());
      }
    }
    rows.push_back(r);
  }
  // Against zero insertion when it ran, else the first dataflow listed.
  size_t base = 0;
  for (size_t i = 0; i < flows.size(); ++i)
    if (flows[i] == mapping::Dataflow::ZeroInsertion) base = i;
  for (auto& r : rows) {
    if (!r.error.empty() || !rows[base].error.empty() || r.step_ns <= 0) continue;
    r.speedup = rows[base].step_ns / r.step_ns;
    r.saving = rows[base].energy_pj > 0 ? 1.0 - r.energy_pj / rows[base].energy_pj : 0.0;
  }
  for (const auto& r : rows) {
    // The run folder, relative to compare.json's.
    nlohmann::json j = {{"dataflow", r.dataflow}, {"run", std::filesystem::path(r.dir).filename().string()}};
    if (!r.error.empty()) {
      j["error"] = r.error;
    } else {
      j.update({{"step_time_ns", r.step_ns},
                {"serial_time_ns", r.serial_ns},
                {"overlap", r.overlap},
                {"energy_per_step_pJ", r.energy_pj},
                {"step_split_ns", {{"compute", r.compute_ns}, {"movement", r.movement_ns}, {"stall", r.stall_ns}}},
                {"bottleneck", r.bottleneck},
                {"speedup_vs_zero_insertion", r.speedup},
                {"energy_saving_vs_zero_insertion", r.saving}});
    }
    js_["training_step"].push_back(j);
  }
  return rows;
}

void CompareRun::write_outputs() {
  write_output_file(dir_ / "compare.json", js_.dump(2) + "\n");
  report::write_html_report(dir_.string(), (dir_ / "report.html").string());
}

}  // namespace memgan
