#include "platform/compare_run.h"

#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <systemc>

#include "core/report/html_report.h"
#include "core/trace/vcd_writer.h"
#include "models/scheduler/operation_scheduler.h"
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

// The training step's layers per sample for the scheduler. An element-wise layer runs on the
// digital unit behind the crossbar layer before it (batch norm and activation right after a
// convolution): its time and energy join that layer's.
std::vector<sched::LayerTiming> step_layers(const std::vector<LayerCostEstimate>& estimates, const config::Config& cfg) {
  std::vector<sched::LayerTiming> layers;
  const double n = cfg.network.batch;
  PhaseCost pending_f, pending_b;  // digital layers before the model's first crossbar layer
  std::string pending_model;
  for (const auto& e : estimates) {
    if (e.digital) {
      if (!layers.empty() && layers.back().model == e.model) {
        auto& l = layers.back();
        l.forward_ns += e.forward.time_ns / n;
        l.backward_ns += e.backward.time_ns / n;
        l.forward_pj += e.forward.energy_total_pj() / n;
        l.backward_pj += e.backward.energy_total_pj() / n;
      } else {
        pending_model = e.model;
        pending_f.time_ns += e.forward.time_ns;
        pending_b.time_ns += e.backward.time_ns;
        pending_f.energy_pj["digital"] += e.forward.energy_total_pj();
        pending_b.energy_pj["digital"] += e.backward.energy_total_pj();
      }
      continue;
    }
    sched::LayerTiming l{e.model, e.name, e.forward.time_ns / n, e.backward.time_ns / n,
                         e.forward.energy_total_pj() / n, e.backward.energy_total_pj() / n,
                         static_cast<int64_t>(std::llround(e.forward.mvms / n)),
                         static_cast<int64_t>(std::llround(e.backward.mvms / n))};
    if (pending_model == e.model) {
      l.forward_ns += pending_f.time_ns / n;
      l.backward_ns += pending_b.time_ns / n;
      l.forward_pj += pending_f.energy_total_pj() / n;
      l.backward_pj += pending_b.energy_total_pj() / n;
      pending_f = pending_b = PhaseCost{};
      pending_model.clear();
    }
    layers.push_back(l);
  }
  return layers;
}

SchedulerParams scheduler_params(const config::Config& cfg) {
  const sc_core::sc_time clk(1e3 / cfg.arch.clock_mhz, sc_core::SC_NS);
  return SchedulerParams{
      InterconnectParams{clk, cfg.arch.bus.width_bytes, cfg.arch.bus.latency_cycles, cfg.energy.bus_pj_per_byte},
      cfg.energy.leakage.bus_mw,
      ArrayGroupParams{clk, cfg.latency.register_access_cycles, cfg.energy.register_access_pj,
                       cfg.arch.mapper.cycles_per_mvm, cfg.energy.mapper_pj_per_mvm}};
}

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

std::vector<ScheduleRow> CompareRun::schedule(const std::vector<mapping::Dataflow>& flows) {
  const uint64_t window_ps = static_cast<uint64_t>(std::llround(cfg_.simulation.power_window_ns * 1e3));
  RunObserver observer(std::max<uint64_t>(1, window_ps),
                       std::make_unique<trace::VcdWriter>((dir_ / "schedule.vcd").string()));
  const SchedulerParams timing = scheduler_params(cfg_);
  std::vector<std::unique_ptr<OperationScheduler>> schedulers;
  for (const auto flow : flows) {
    const auto layers = step_layers(estimate_network(net_, map_config_network(net_, cfg_, flow), cfg_), cfg_);
    schedulers.push_back(std::make_unique<OperationScheduler>(
        (std::string("sched_") + mapping::dataflow_name(flow)).c_str(),
        sched::build_training_step(layers, cfg_.network.batch), timing, observer));
  }
  observer.begin_trace();
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  observer.finish();
  // GTKWave view of the schedule: each array group, the bus and the mapper per dataflow.
  run_detail::write_gtkw(observer, "schedule.vcd", dir_ / "schedule.gtkw");
  for (const auto& s : schedulers)
    if (!s->error().empty()) throw InputError(s->error());

  size_t base = 0;
  for (size_t i = 0; i < flows.size(); ++i) {
    if (flows[i] == mapping::Dataflow::ZeroInsertion) base = i;
  }
  const double base_step = schedulers[base]->makespan().to_seconds() * 1e9;
  std::vector<ScheduleRow> rows;
  for (size_t i = 0; i < flows.size(); ++i) {
    const auto& s = *schedulers[i];
    const double step_ns = s.makespan().to_seconds() * 1e9;
    const double serial_ns = double(s.graph().serial_ps) / 1e3;
    rows.push_back({mapping::dataflow_name(flows[i]), step_ns, serial_ns, serial_ns / step_ns, base_step / step_ns});
    js_["schedule"].push_back({{"dataflow", mapping::dataflow_name(flows[i])},
                               {"step_time_ns", step_ns},
                               {"serial_time_ns", serial_ns},
                               {"ops", s.ops_done()}});
  }
  return rows;
}

void CompareRun::write_outputs() {
  write_output_file(dir_ / "compare.json", js_.dump(2) + "\n");
  report::write_html_report(dir_.string(), (dir_ / "report.html").string());
}

}  // namespace memgan
