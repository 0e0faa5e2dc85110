// `memgan run` with job.kind train: the chip trains a GAN. The host side loads the data set,
// fits the quality score's feature space, builds the trainer (the layer engine's functional
// state), compiles the training program into DRAM and lets the controller run it; at every
// EVAL the host writes a sample grid and a train.csv row, at every CHECKPOINT the whole
// training state. Ctrl-C (or --stop-at-step) ends the run with valid outputs and a checkpoint
// to resume from.
//
//   train_inputs      network, data set, quality score, trainer
//   train_checkpoint  --resume, and the checkpoints the host writes
//   train_host        what the host does at EVAL / CHECKPOINT / STEP_END
//   train_report      report.json, report.html and the terminal summary
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include "firmware/train_program.h"
#include "models/base/sc_time_ps.h"
#include "platform/network_cost.h"
#include "platform/run_common.h"
#include "platform/soc.h"
#include "platform/train_checkpoint.h"
#include "platform/train_host.h"
#include "platform/train_inputs.h"
#include "platform/train_report.h"
#include "spec/memory_map.h"

namespace memgan {
namespace {

using namespace run_detail;

// Time and energy of one operation on the configured chip: array work through the same
// tables as `memgan compare` (network_cost.h), pulses at their own energy and one pulse
// width per row written in parallel across the layer's arrays, digital work on `lanes` FP32
// units, the real batch at DRAM bandwidth, latent samples at the noise source's rate.
OpCost op_cost(const config::Config& cfg, const nn::ArrayShape& shape, const train::OpWork& w) {
  OpCost c;
  const PhaseCost p = phase_cost(w.arrays, std::max<int64_t>(1, w.parallel_arrays), cfg, shape);
  const std::map<std::string, std::string> component = {
      {"array", "arrays"}, {"dac", "dac"}, {"adc", "adc"}, {"shift_add", "shift_add"}, {"buffers", "buffers"}};
  for (const auto& [k, v] : p.energy_pj) {
    const auto it = component.find(k);
    if (it != component.end() && v > 0) c.energy_pj[it->second] += v;
  }
  c.time_ns = w.arrays.array_reads > 0 || w.arrays.digital_adds() > 0 ? p.time_ns : 0;
  const double clock_ns = 1e3 / cfg.arch.clock_mhz;
  if (w.arrays.write_pulses > 0) {
    const int64_t parallel = std::max<int64_t>(1, w.parallel_arrays) * shape.cols;
    c.time_ns += double((w.arrays.write_pulses + parallel - 1) / parallel) * cfg.device.write_pulse_ns;
    c.energy_pj["writes"] += w.arrays.write_energy_pj;
  }
  if (w.digital_ops + w.digital_macs > 0) {
    const int64_t lanes = cfg.arch.digital.lanes;
    c.time_ns += double((w.digital_ops + w.digital_macs + lanes - 1) / lanes) * clock_ns;
    c.energy_pj["digital"] += double(w.digital_ops) * cfg.energy.digital_op_pj +
                              double(w.digital_macs) * cfg.energy.digital_mac_pj;
  }
  if (w.dram_bytes > 0) {
    c.time_ns += cfg.arch.dram.latency_ns + double(w.dram_bytes) / cfg.arch.dram.bandwidth_gbps;
    c.energy_pj["dram"] += double(w.dram_bytes) * cfg.energy.dram_read_pj_per_byte;
  }
  if (w.noise_samples > 0) {
    c.time_ns += cfg.arch.noise.sample_ns * double(w.noise_samples) / cfg.arch.noise.pairs;
    c.energy_pj["noise"] += double(w.noise_samples) * cfg.energy.noise_sample_pj;
  }
  return c;
}

// The run folder with config.yaml and samples/.
void prepare_train_dir(const fs::path& dir, const config::Config& cfg, const std::string& version) {
  prepare_run_dir(dir, cfg, version);
  std::error_code ec;
  fs::create_directories(dir / "samples", ec);
  if (ec) throw InputError(fmt::format("{}: cannot create ({})", (dir / "samples").string(), ec.message()));
}

// The program: layer programs of every step left, in loops, at the boot address.
firmware::TrainProgram compile_program(const mapping::Network& net, const config::Config& cfg, int64_t first_step) {
  firmware::TrainSchedule schedule;
  schedule.first_step = first_step;
  schedule.steps = cfg.train.steps - first_step;
  schedule.eval_every = cfg.train.eval_every;
  schedule.checkpoint_every = cfg.train.checkpoint_every;
  const uint32_t base = uint32_t(memory_map::kLayerEngineBase);
  const firmware::LayerEngineRegs regs{base + layer_engine_reg::kCmd, base + layer_engine_reg::kDone,
                                       layer_engine_reg::kStatusBusy, 0, 0};
  return firmware::compile_training(net, schedule, regs);
}

// The layer engine of the SoC: the trainer, each operation costed by op_cost and charged to
// the host's totals.
LayerEngineSetup engine_setup(const config::Config& cfg, const nn::ArrayShape& shape, train::GanTrainer& trainer,
                              TrainHost& host) {
  LayerEngineSetup setup;
  setup.params.clock_period = sc_core::sc_time(1e3 / cfg.arch.clock_mhz, sc_core::SC_NS);
  setup.params.register_access_cycles = cfg.latency.register_access_cycles;
  setup.params.register_access_pj = cfg.energy.register_access_pj;
  setup.params.dataflow = cfg.network.dataflow;
  setup.params.arrays = shape;
  setup.params.batch = cfg.network.batch;
  const auto& leak = cfg.energy.leakage;
  setup.params.component_leakage_mw = {{"arrays", leak.array_mw}, {"dac", leak.dac_mw},
                                       {"adc", leak.adc_mw},      {"shift_add", leak.shift_add_mw},
                                       {"buffers", leak.input_buffer_mw + leak.output_buffer_mw},
                                       {"writes", 0.0},           {"digital", leak.digital_mw},
                                       {"dram", 0.0},             {"noise", leak.noise_mw}};
  setup.trainer = &trainer;
  setup.cost = [&cfg, shape, &host](const train::TrainOp&, const train::OpWork& w) {
    return host.charge(op_cost(cfg, shape, w));
  };
  return setup;
}

// Places the program in DRAM through the backdoor, as a loader would.
void load_program(Soc& soc, const firmware::TrainProgram& program) {
  if (program.image.size() > soc.dram().size()) throw InputError("the training program does not fit in DRAM");
  std::memcpy(soc.dram().data() + memory_map::kBootAddress, program.image.data(), program.image.size());
}

// The run folder's outputs besides report.json: program.bin, power.csv, the trace's.
std::vector<std::string> write_outputs(const RunObserver& observer, const config::Config& cfg, const fs::path& dir,
                                       uint64_t end_ps, const firmware::TrainProgram& program,
                                       const std::string& last_grid) {
  std::vector<std::string> files = {"config.yaml", "program.bin", "train.csv", "power.csv", "report.json",
                                    "report.html", "checkpoint.bin", "checkpoint.json"};
  if (!last_grid.empty()) files.push_back(last_grid);
  if (cfg.simulation.timeline.enabled) files.push_back("timeline.json");
  write_text(dir / "program.bin", std::string(program.image.begin(), program.image.end()));
  write_observer_outputs(observer, cfg, dir, end_ps, files);
  return files;
}

int exit_code(Controller::Outcome outcome) {
  switch (outcome) {
    case Controller::Outcome::Completed: return 0;
    case Controller::Outcome::Interrupted: return 130;
    default: return 2;
  }
}

}  // namespace

int run_training(const config::LoadedConfig& loaded, const RunOptions& options, std::ostream& out, std::ostream& err) {
  const config::Config& cfg = loaded.config;
  const auto wall_start = std::chrono::steady_clock::now();
  // One BLAS thread: the same sums in the same order on every machine (byte-identical runs).
  openblas_set_num_threads(1);
  const fs::path dir(options.out_dir);

  // Inputs first: every bad-input error before anything is simulated.
  const TrainInputs inputs = load_train_inputs(loaded);
  const Progression start =
      options.resume_dir.empty() ? Progression{} : resume_checkpoint(options.resume_dir, cfg, *inputs.trainer);
  prepare_train_dir(dir, cfg, options.version);
  const firmware::TrainProgram program = compile_program(inputs.net, cfg, start.step);

  // Observer, host, SoC with the layer engine, the program in DRAM.
  const auto observer_ptr = start_observer(loaded, dir);
  RunObserver& observer = *observer_ptr;
  TrainHost host(loaded, options, inputs, observer, start, err);
  const LayerEngineSetup setup = engine_setup(cfg, mapping::array_shape(arch_spec(cfg)), *inputs.trainer, host);
  Soc soc("soc", cfg, observer, &setup);
  host.begin_trace();
  load_program(soc, program);
  host.attach(*soc.layer_engine());

  sc_core::sc_start();
  host.finish();
  const Controller& ctl = soc.controller();
  const uint64_t end_ps = to_ps(ctl.end_time());
  observer.finish();

  std::vector<std::string> files = write_outputs(observer, cfg, dir, end_ps, program, host.last_grid());
  nlohmann::json report = common_report(loaded, options.version, ctl, end_ps, observer);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const TrainRunResult result{inputs, start, host, soc, end_ps, wall_s, std::move(files)};
  write_train_report(report, cfg, result, dir);
  print_train_summary(out, err, loaded, options.version, report, result, dir);
  return exit_code(ctl.outcome());
}

}  // namespace memgan
