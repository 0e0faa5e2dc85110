// `memgan run` with job.kind train: the chip trains a GAN. The host side loads the data set,
// fits the quality score's feature space, builds the trainer (the layer engine's functional
// state), places the network on the chip's tiles, compiles the training program into DRAM and
// lets the controller run it; every operation plays on the tiles, the digital unit, the noise
// block, the bus and DRAM (models/layer_engine); at every
// EVAL the host writes a sample grid and a train.csv row, at every CHECKPOINT the whole
// training state. Ctrl-C (or --stop-at-step) ends the run with valid outputs and a checkpoint
// to resume from.
//
//   train_inputs      network, data set, quality score, trainer
//   train_checkpoint  --resume, and the checkpoints the host writes
//   train_host        what the host does at EVAL / CHECKPOINT / STEP_END
//   train_report      report.json, report.html and the terminal summary
#include <cblas.h>
#include <omp.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include "firmware/train_program.h"
#include "models/base/sc_time_ps.h"
#include "platform/network_cost.h"
#include "platform/network_inputs.h"
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

// The training cluster of the SoC: the trainer's numerics, the network placed on the chip
// (a placement error names every layer: the config asks for more arrays than it has), the
// mapper's and the noise block's figures; each operation's time and energy go to the host.
LayerEngineSetup engine_setup(const config::LoadedConfig& loaded, const mapping::Network& net,
                              train::OpExecutor& executor) {
  const config::Config& cfg = loaded.config;
  LayerEngineSetup setup;
  setup.params.clock_period = sc_core::sc_time(1e3 / cfg.arch.clock_mhz, sc_core::SC_NS);
  setup.params.register_access_cycles = cfg.latency.register_access_cycles;
  setup.params.register_access_pj = cfg.energy.register_access_pj;
  setup.params.dataflow = cfg.network.dataflow;
  setup.params.arrays = mapping::array_shape(arch_spec(cfg));
  setup.params.batch = cfg.network.batch;
  // Parts of a batch: micro-batches of arch.scheduler.micro_batch samples, the last one the rest.
  setup.params.micro_batches = int((int64_t(cfg.network.batch) + cfg.arch.scheduler.micro_batch - 1) /
                                   cfg.arch.scheduler.micro_batch);
  setup.params.placement = place_config_network(loaded, net);
  setup.params.mapper_cycles_per_mvm = cfg.arch.mapper.cycles_per_mvm;
  setup.params.mapper_pj_per_mvm = cfg.energy.mapper_pj_per_mvm;
  setup.params.noise_pairs = cfg.arch.noise.pairs;
  setup.params.input_bytes = cfg.arch.quantize ? 1 : 4;
  setup.params.array_rows = cfg.arch.array.rows;
  const auto& d = cfg.device;
  // Rewriting a weight: each slice's cell from mid-range on average (half the full-range pulses).
  setup.params.reprogram_pj_per_weight =
      double(setup.params.arrays.slices) * 0.5 * d.pulse.pulses_full_range * mid_range_pulse_pj(d);
  setup.executor = &executor;
  return setup;
}

// The tiles hold the crossbar state of the layers placed on them: the trainer's arrays move,
// state as it is, into the (tile, array) slots of the placement (layers in network order, as
// the trainer built them). With arch.mapping.overflow: reprogram the first layer on a slot gets
// it; the others' arrays stay with the trainer, the copies a rewrite programs from.
void hand_arrays_to_tiles(const TrainInputs& inputs, const mapping::ChipPlacement& placement, Soc& soc) {
  if (!inputs.trainer) return;
  std::vector<mapping::ArraySlot> slots;
  for (const auto& layer : placement.layers) slots.insert(slots.end(), layer.slots.begin(), layer.slots.end());
  inputs.trainer->relocate_arrays([&](uint64_t ordinal, std::unique_ptr<xbar::CrossbarArray>& cells) {
    if (ordinal >= slots.size()) return static_cast<xbar::CrossbarArray*>(nullptr);
    return soc.tile(slots[ordinal].tile).adopt_array(slots[ordinal].array, cells);
  });
}

// The DRAM of a training run: the program at the boot address, the data set above it (8-bit
// real images one after another, from a 64 KiB boundary), then scratch to the end (kept
// activations, spilled tensors; at least 1 MiB). The same in every train.mode, so timing runs
// time the same transfers. A DRAM too small is an input error naming the keys.
void lay_out_dram(const config::LoadedConfig& loaded, const mapping::Network& net, uint64_t program_bytes,
                  LayerEngineParams& p) {
  const config::Config& cfg = loaded.config;
  constexpr uint64_t kAlign = 64 << 10, kMinScratch = 1 << 20;
  const auto align = [](uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; };
  uint64_t image = 1;
  for (int d : net.model("discriminator").input) image *= uint64_t(d);
  const uint64_t dram = uint64_t(cfg.arch.dram.size_mib) << 20;
  const uint64_t data_bytes = uint64_t(cfg.train.images) * image;
  p.dram_data_base = align(memory_map::kBootAddress + program_bytes);
  p.dram_scratch_base = align(p.dram_data_base + data_bytes);
  if (p.dram_scratch_base + kMinScratch > dram) {
    const auto at = loaded.origin.find("arch.dram.size_mib");
    throw InputError(fmt::format(
        "{}: arch.dram.size_mib: {} MiB do not hold the program ({} bytes), the data set (train.images = {} images "
        "of {} bytes, {:.1f} MiB) and 1 MiB of scratch; raise arch.dram.size_mib to {} or lower train.images",
        at != loaded.origin.end() ? at->second : loaded.path, cfg.arch.dram.size_mib, program_bytes, cfg.train.images,
        image, double(data_bytes) / double(1 << 20), (p.dram_scratch_base + kMinScratch + (1 << 20) - 1) >> 20));
  }
  p.dram_scratch_bytes = dram - p.dram_scratch_base;
}

// The data set goes into DRAM through the backdoor, as a loader would; the trainer keeps no
// copy and gets each real batch from the layer engine's DMA (GanTrainer::release_real_pixels).
void load_data_set(Soc& soc, const TrainInputs& inputs, uint64_t base) {
  if (!inputs.trainer) return;
  const std::vector<uint8_t> pixels = inputs.trainer->release_real_pixels();
  if (base + pixels.size() > soc.dram().size()) throw std::logic_error("the data set overruns DRAM");
  std::memcpy(soc.dram().data() + base, pixels.data(), pixels.size());
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
  // Parallel across arrays instead (nn::CrossbarEngine merges them in a fixed order).
  if (cfg.simulation.threads > 0) omp_set_num_threads(cfg.simulation.threads);
  const fs::path dir(options.out_dir);

  // Inputs first: every bad-input error before anything is simulated.
  const TrainInputs inputs = load_train_inputs(loaded);
  LayerEngineSetup setup = engine_setup(loaded, inputs.net, inputs.executor());
  const Progression start =
      options.resume_dir.empty() ? Progression{} : resume_checkpoint(options.resume_dir, cfg, inputs.executor());
  prepare_train_dir(dir, cfg, options.version);
  const firmware::TrainProgram program = compile_program(inputs.net, cfg, start.step);
  lay_out_dram(loaded, inputs.net, program.image.size(), setup.params);

  // Observer, host, SoC with the layer engine, the program in DRAM.
  const auto observer_ptr = start_observer(loaded, dir);
  RunObserver& observer = *observer_ptr;
  TrainHost host(loaded, options, inputs, observer, start, err);
  Soc soc("soc", cfg, observer, &setup);
  hand_arrays_to_tiles(inputs, setup.params.placement, soc);
  if (!start.resident_layers.empty()) {
    if (const std::string why = soc.layer_engine()->restore_residency(start.resident_layers); !why.empty())
      throw InputError(fmt::format("{}: resident_layers: {}", (fs::path(options.resume_dir) / "checkpoint.json").string(),
                                   why));
  }
  host.begin_trace();
  load_program(soc, program);
  load_data_set(soc, inputs, setup.params.dram_data_base);
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
