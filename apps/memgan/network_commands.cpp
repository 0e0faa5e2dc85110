#include "apps/memgan/network_commands.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "core/mapping/dataflow.h"
#include "core/mapping/mapper.h"
#include "core/mapping/network.h"
#include "platform/network_cost.h"
#include "core/nn/linear.h"
#include "core/nn/mvm_engine.h"
#include "core/nn/npy.h"
#include "core/report/html_report.h"
#include "platform/run.h"
#include "platform/run_common.h"
#include "models/scheduler/operation_scheduler.h"
#include "platform/soc.h"
#include "core/trace/vcd_writer.h"
#include "core/util/progress.h"

namespace memgan::cli {
namespace fs = std::filesystem;

namespace {

mapping::Network load_net(const config::LoadedConfig& loaded) {
  const std::string& file = loaded.config.network.file;
  if (file.empty()) throw InputError(fmt::format("{}: network.file is not set", loaded.path));
  try {
    return mapping::load_network(file);
  } catch (const std::exception& e) {
    throw InputError(e.what());
  }
}

fs::path prepare_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create the output folder ({})", dir, ec.message()));
  return fs::path(dir);
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
  if (!f) throw InputError(fmt::format("{}: cannot write", p.string()));
}

mapping::NetworkMapping map_with(const mapping::Network& net, const config::Config& cfg, mapping::Dataflow df) {
  mapping::MapOptions opts;
  opts.dataflow = df;
  opts.batch = cfg.network.batch;
  try {
    return mapping::map_network(net, arch_spec(cfg), opts);
  } catch (const std::invalid_argument& e) {
    throw InputError(e.what());
  }
}

}  // namespace

int map_command(const config::LoadedConfig& loaded, const std::string& out_dir, std::ostream& out) {
  const auto net = load_net(loaded);
  const auto m = map_with(net, loaded.config, mapping::parse_dataflow(loaded.config.network.dataflow));
  out << mapping::format_table(m);
  const fs::path dir = prepare_dir(out_dir);
  write_file(dir / "mapping.json", mapping::to_json(m).dump(2) + "\n");
  fmt::print(out, "mapping  {}\n", (dir / "mapping.json").string());
  return 0;
}

int compare_command(const config::LoadedConfig& loaded, const std::vector<std::string>& names,
                    const std::string& out_dir, std::ostream& out, bool quiet) {
  const auto net = load_net(loaded);
  const config::Config& cfg = loaded.config;
  std::vector<mapping::Dataflow> flows;
  for (const auto& n : names) {
    try {
      flows.push_back(mapping::parse_dataflow(n));
    } catch (const std::invalid_argument& e) {
      throw InputError(fmt::format("--dataflows: {}", e.what()));
    }
  }
  // The baseline every speedup and saving is measured against.
  const auto baseline = estimate_network(net, map_with(net, cfg, mapping::Dataflow::ZeroInsertion), cfg);

  const fs::path dir = prepare_dir(out_dir);
  std::ofstream csv(dir / "compare.csv");
  csv << "model,layer,type,dataflow,phase,time_ns,cycles,energy_pJ,array_pJ,dac_pJ,adc_pJ,shift_add_pJ,buffers_pJ,"
         "writes_pJ,digital_pJ,mvms,array_reads,adc_conversions,arrays,utilization,fed_zero_fraction,"
         "speedup_vs_zero_insertion,energy_saving_vs_zero_insertion\n";
  nlohmann::json js;
  js["network"] = net.name;
  js["batch"] = cfg.network.batch;
  const double clock_ns = 1e3 / cfg.arch.clock_mhz;

  fmt::print(out, "memgan compare: {} (batch {}), {}x{} arrays, {}-bit cells, {}-bit DAC, {}-bit ADC\n", net.name,
             cfg.network.batch, cfg.arch.array.rows, cfg.arch.array.cols, cfg.arch.cell_bits, cfg.arch.dac_bits,
             cfg.arch.adc.bits);
  fmt::print(out, "{:<22} {:<16} {:<15} {:<8} {:>12} {:>11} {:>10} {:>12} {:>7} {:>6} {:>8} {:>7}\n", "layer", "type",
             "dataflow", "phase", "time_us", "energy_nJ", "MVMs", "ADC_conv", "arrays", "util", "speedup", "saving");
  Progress progress("memgan compare", quiet);
  const int64_t stages = int64_t(flows.size()) + 1;  // each dataflow's costs, then the scheduler
  int64_t stage = 0;
  for (const auto flow : flows) {
    const auto est = estimate_network(net, map_with(net, cfg, flow), cfg);
    progress.update(++stage, stages);
    PhaseCost total_f, total_b, base_f, base_b;
    for (size_t i = 0; i < est.size(); ++i) {
      const auto& e = est[i];
      const auto& b = baseline[i];
      for (int ph = 0; ph < 2; ++ph) {
        const PhaseCost& p = ph == 0 ? e.forward : e.backward;
        const PhaseCost& q = ph == 0 ? b.forward : b.backward;
        const char* phase = ph == 0 ? "forward" : "backward";
        const double speedup = p.time_ns > 0 ? q.time_ns / p.time_ns : 1.0;
        const double saving = q.energy_total_pj() > 0 ? 1.0 - p.energy_total_pj() / q.energy_total_pj() : 0.0;
        fmt::print(out, "{:<22} {:<16} {:<15} {:<8} {:>12.3f} {:>11.3f} {:>10} {:>12} {:>7} {:>5.0f}% {:>7.2f}x {:>6.1f}%\n",
                   e.model + "." + e.name, e.type, mapping::dataflow_name(flow), phase, p.time_ns / 1e3,
                   p.energy_total_pj() / 1e3, p.mvms, p.adc_conversions, e.arrays, 100 * e.utilization, speedup,
                   100 * saving);
        fmt::print(csv, "{},{},{},{},{},{:.6g},{:.0f},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{},{},{},{:.6g},{:.6g},{:.6g},{:.6g}\n",
                   e.model, e.name, e.type, mapping::dataflow_name(flow), phase, p.time_ns,
                   std::ceil(p.time_ns / clock_ns), p.energy_total_pj(), energy_of(p, "array"), energy_of(p, "dac"),
                   energy_of(p, "adc"), energy_of(p, "shift_add"), energy_of(p, "buffers"),
                   energy_of(p, "writes"), energy_of(p, "digital"), p.mvms, p.array_reads, p.adc_conversions, e.arrays, e.utilization,
                   e.fed_zero_fraction, speedup, saving);
        js["layers"].push_back({{"model", e.model},
                                {"layer", e.name},
                                {"type", e.type},
                                {"dataflow", mapping::dataflow_name(flow)},
                                {"phase", phase},
                                {"cost", to_json(p)},
                                {"arrays", e.arrays},
                                {"utilization", e.utilization},
                                {"speedup_vs_zero_insertion", speedup},
                                {"energy_saving_vs_zero_insertion", saving}});
      }
      total_f.time_ns += e.forward.time_ns;
      total_b.time_ns += e.backward.time_ns;
      base_f.time_ns += b.forward.time_ns;
      base_b.time_ns += b.backward.time_ns;
      for (const auto& [k, v] : e.forward.energy_pj) total_f.energy_pj[k] += v;
      for (const auto& [k, v] : e.backward.energy_pj) total_b.energy_pj[k] += v;
      for (const auto& [k, v] : b.forward.energy_pj) base_f.energy_pj[k] += v;
      for (const auto& [k, v] : b.backward.energy_pj) base_b.energy_pj[k] += v;
    }
    for (int ph = 0; ph < 2; ++ph) {
      const PhaseCost& p = ph == 0 ? total_f : total_b;
      const PhaseCost& q = ph == 0 ? base_f : base_b;
      const double speedup = p.time_ns > 0 ? q.time_ns / p.time_ns : 1.0;
      const double saving = q.energy_total_pj() > 0 ? 1.0 - p.energy_total_pj() / q.energy_total_pj() : 0.0;
      fmt::print(out, "{:<22} {:<16} {:<15} {:<8} {:>12.3f} {:>11.3f} {:>10} {:>12} {:>7} {:>6} {:>7.2f}x {:>6.1f}%\n",
                 "TOTAL", "", mapping::dataflow_name(flow), ph == 0 ? "forward" : "backward", p.time_ns / 1e3,
                 p.energy_total_pj() / 1e3, "", "", "", "", speedup, 100 * saving);
      js["totals"].push_back({{"dataflow", mapping::dataflow_name(flow)},
                              {"phase", ph == 0 ? "forward" : "backward"},
                              {"time_ns", p.time_ns},
                              {"energy_pJ", p.energy_pj},
                              {"energy_total_pJ", p.energy_total_pj()},
                              {"speedup_vs_zero_insertion", speedup},
                              {"energy_saving_vs_zero_insertion", saving}});
    }
  }
  // The training step as the operation scheduler runs it: one scheduler per dataflow, all
  // in one elaboration (SystemC elaborates once per process), traced into schedule.vcd.
  const uint64_t window_ps = static_cast<uint64_t>(std::llround(cfg.simulation.power_window_ns * 1e3));
  RunObserver observer(std::max<uint64_t>(1, window_ps),
                       std::make_unique<trace::VcdWriter>((dir / "schedule.vcd").string()));
  const sc_core::sc_time clk(1e3 / cfg.arch.clock_mhz, sc_core::SC_NS);
  const SchedulerParams timing{
      InterconnectParams{clk, cfg.arch.bus.width_bytes, cfg.arch.bus.latency_cycles, cfg.energy.bus_pj_per_byte},
      cfg.energy.leakage.bus_mw,
      ArrayGroupParams{clk, cfg.latency.register_access_cycles, cfg.energy.register_access_pj,
                       cfg.arch.mapper.cycles_per_mvm, cfg.energy.mapper_pj_per_mvm}};
  std::vector<std::unique_ptr<OperationScheduler>> schedulers;
  for (const auto flow : flows) {
    std::vector<sched::LayerTiming> layers;
    const double n = cfg.network.batch;
    // An element-wise layer runs on the digital unit behind the crossbar layer before it (batch
    // norm and activation right after a convolution): its time and energy join that layer's.
    PhaseCost pending_f, pending_b;  // digital layers before the model's first crossbar layer
    std::string pending_model;
    for (const auto& e : estimate_network(net, map_with(net, cfg, flow), cfg)) {
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
    schedulers.push_back(std::make_unique<OperationScheduler>(
        (std::string("sched_") + mapping::dataflow_name(flow)).c_str(),
        sched::build_training_step(layers, cfg.network.batch), timing, observer));
  }
  observer.begin_trace();
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  observer.finish();
  // GTKWave view of the schedule: each array group, the bus and the mapper per dataflow.
  run_detail::write_gtkw(observer, "schedule.vcd", dir / "schedule.gtkw");
  for (const auto& s : schedulers)
    if (!s->error().empty()) throw InputError(s->error());
  progress.update(++stage, stages);
  progress.finish();
  fmt::print(out, "\ntraining step on the operation scheduler (layers pipelined over the batch, D on real images "
                  "overlapping G):\n");
  fmt::print(out, "{:<15} {:>14} {:>14} {:>9} {:>8}\n", "dataflow", "step_us", "serial_us", "overlap", "speedup");
  // Speedups against zero_insertion when it ran, else against the first dataflow listed.
  size_t base = 0;
  for (size_t i = 0; i < flows.size(); ++i) {
    if (flows[i] == mapping::Dataflow::ZeroInsertion) base = i;
  }
  const double base_step = schedulers[base]->makespan().to_seconds() * 1e9;
  for (size_t i = 0; i < flows.size(); ++i) {
    const auto& s = *schedulers[i];
    const double step_ns = s.makespan().to_seconds() * 1e9;
    const double serial_ns = double(s.graph().serial_ps) / 1e3;
    fmt::print(out, "{:<15} {:>14.3f} {:>14.3f} {:>8.2f}x {:>7.2f}x\n", mapping::dataflow_name(flows[i]),
               step_ns / 1e3, serial_ns / 1e3, serial_ns / step_ns, base_step / step_ns);
    js["schedule"].push_back({{"dataflow", mapping::dataflow_name(flows[i])},
                              {"step_time_ns", step_ns},
                              {"serial_time_ns", serial_ns},
                              {"ops", s.ops_done()}});
  }
  write_file(dir / "compare.json", js.dump(2) + "\n");
  report::write_html_report(dir.string(), (dir / "report.html").string());
  fmt::print(out, "outputs  {}/ : compare.csv, compare.json, schedule.vcd, schedule.gtkw, report.html\n", dir.string());
  return 0;
}

int layer_command(const config::LoadedConfig& loaded, const LayerArgs& a, std::ostream& out) {
  const config::Config& cfg = loaded.config;
  const TileParams tp = Soc::tile_params(cfg);
  nn::CrossbarEngine engine(tp.geometry, tp.converters, tp.device, static_cast<uint64_t>(cfg.simulation.seed));
  nn::Tensor x, w, b, dy;
  try {
    x = nn::read_npy(a.input);
    w = nn::read_npy(a.weight);
    if (!a.bias.empty()) b = nn::read_npy(a.bias);
    if (!a.grad_output.empty()) dy = nn::read_npy(a.grad_output);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
  const auto expect_dims = [](const nn::Tensor& t, size_t dims, const std::string& what, const std::string& path) {
    if (t.shape.size() != dims) {
      throw InputError(fmt::format("{}: {} must have {} dimensions, got shape {}", path, what, dims,
                                   nn::shape_string(t.shape)));
    }
  };
  nn::Tensor y, dx;
  nn::WeightGrad grads;
  nn::MvmCounts program, forward, backward_data, backward_weight;
  try {
    if (a.type == "linear") {
      expect_dims(x, 2, "input (N x in_features)", a.input);
      expect_dims(w, 2, "weight (out_features x in_features)", a.weight);
      nn::Linear layer(engine, w.shape[1], w.shape[0]);
      layer.set_weights(w, b, &program);
      y = layer.forward(x, &forward);
      if (!a.grad_output.empty()) {
        dx = layer.backward_data(dy, &backward_data);
        grads = layer.backward_weight(x, dy, &backward_weight);
      }
    } else {
      expect_dims(x, 4, "input (N x C x H x W)", a.input);
      expect_dims(w, 4, a.type == "conv2d" ? "weight (Cout x Cin x K x K)" : "weight (Cin x Cout x K x K)", a.weight);
      mapping::ConvShape s;
      s.kind = a.type == "conv2d" ? mapping::ConvKind::Conv2d : mapping::ConvKind::ConvTranspose2d;
      s.batch = x.shape[0];
      s.in_channels = x.shape[1];
      s.in_h = x.shape[2];
      s.in_w = x.shape[3];
      s.out_channels = s.kind == mapping::ConvKind::Conv2d ? w.shape[0] : w.shape[1];
      s.kernel = w.shape[2];
      s.stride = a.stride;
      s.padding = a.padding;
      s.output_padding = a.output_padding;
      if (w.shape[2] != w.shape[3]) throw InputError(fmt::format("{}: only square kernels (K x K)", a.weight));
      mapping::ConvLayer layer(engine, s, mapping::parse_dataflow(cfg.network.dataflow));
      layer.set_weights(w, b, &program);
      y = layer.forward(x, &forward);
      if (!a.grad_output.empty()) {
        dx = layer.backward_data(dy, &backward_data);
        grads = layer.backward_weight(x, dy, &backward_weight);
      }
    }
  } catch (const std::invalid_argument& e) {
    throw InputError(e.what());
  }
  const fs::path dir = prepare_dir(a.out_dir);
  std::vector<std::string> files = {"output.npy"};
  nn::write_npy((dir / "output.npy").string(), y);
  if (!a.grad_output.empty()) {
    nn::write_npy((dir / "grad_input.npy").string(), dx);
    nn::write_npy((dir / "grad_weight.npy").string(), grads.weight);
    files.insert(files.end(), {"grad_input.npy", "grad_weight.npy"});
    if (!b.data.empty()) {
      nn::write_npy((dir / "grad_bias.npy").string(), grads.bias);
      files.push_back("grad_bias.npy");
    }
  }
  nlohmann::json counts = {{"program", mapping::to_json(program)},
                           {"forward", mapping::to_json(forward)},
                           {"backward_data", mapping::to_json(backward_data)},
                           {"backward_weight", mapping::to_json(backward_weight)},
                           {"dataflow", a.type == "linear" ? "n/a" : cfg.network.dataflow}};
  write_file(dir / "counts.json", counts.dump(2) + "\n");
  files.push_back("counts.json");
  fmt::print(out, "layer    {} {} -> {} ({} dataflow), {} forward MVMs, {} ADC conversions\n", a.type,
             nn::shape_string(x.shape), nn::shape_string(y.shape), a.type == "linear" ? "n/a" : cfg.network.dataflow,
             forward.logical_mvms, forward.adc_conversions);
  std::string listing;
  for (const auto& f : files) listing += (listing.empty() ? "" : ", ") + f;
  fmt::print(out, "outputs  {}/ : {}\n", dir.string(), listing);
  return 0;
}

}  // namespace memgan::cli
