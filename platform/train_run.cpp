// `memgan run` with job.kind train: the chip trains a GAN. The host side loads the data set,
// fits the quality score's feature space, builds the trainer (the layer engine's functional
// state), compiles the training program into DRAM and lets the controller run it; at every
// EVAL the host writes a sample grid and a train.csv row, at every CHECKPOINT the whole
// training state. Ctrl-C (or --stop-at-step) ends the run with valid outputs and a checkpoint
// to resume from.
#include <cblas.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>

#include "models/base/sc_time_ps.h"
#include "core/data/idx.h"
#include "core/image/png.h"
#include "spec/memory_map.h"
#include "core/metrics/frechet.h"
#include "platform/network_cost.h"
#include "core/report/html_report.h"
#include "platform/run_common.h"
#include "platform/soc.h"
#include "core/timeline/timeline_writer.h"
#include "core/train/gan_trainer.h"
#include "firmware/train_program.h"
#include "core/util/interrupt.h"
#include "core/util/progress.h"

namespace memgan {
namespace {

using namespace run_detail;

constexpr const char* kCsvHeader =
    "step,d_loss,g_loss,d_real,d_fake,score,sim_time_ns,energy_pj,cells_written,write_pulses\n";

// Offsets a resumed run continues from (checkpoint.json next to checkpoint.bin).
struct Progression {
  int64_t step = 0;
  double time_ns = 0;    // layer-engine time of all training operations so far
  double energy_pj = 0;  // their energy
  std::string csv;       // train.csv rows up to the checkpoint
};

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

train::TrainerSettings trainer_settings(const config::Config& cfg) {
  const auto& t = cfg.train;
  train::TrainerSettings s;
  s.analog = t.mode == "analog";
  s.dataflow = mapping::parse_dataflow(cfg.network.dataflow);
  s.batch = cfg.network.batch;
  s.optimizer = train::parse_optimizer(t.optimizer);
  s.lr_generator = float(t.lr_generator);
  s.lr_discriminator = float(t.lr_discriminator);
  s.beta1 = float(t.beta1);
  s.beta2 = float(t.beta2);
  s.manhattan_threshold = float(t.manhattan_threshold);
  s.init_std = float(t.init_std);
  s.weight_range = float(t.weight_range);
  s.device_latent = t.latent == "device";
  s.eval_samples = t.eval_samples;
  s.score_samples = t.score_samples;
  s.seed = uint64_t(cfg.simulation.seed);
  s.noise_read_sigma = cfg.arch.noise.read_noise_sigma;
  return s;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw InputError(fmt::format("{}: cannot read", p.string()));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_atomically(const fs::path& path, const std::string& bytes) {
  const fs::path tmp = path.string() + ".tmp";
  write_text(tmp, bytes);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw InputError(fmt::format("{}: cannot write ({})", path.string(), ec.message()));
}

}  // namespace

int run_training(const config::LoadedConfig& loaded, const RunOptions& options, std::ostream& out, std::ostream& err) {
  const config::Config& cfg = loaded.config;
  const auto wall_start = std::chrono::steady_clock::now();
  // One BLAS thread: the same sums in the same order on every machine (byte-identical runs).
  openblas_set_num_threads(1);
  const fs::path dir(options.out_dir);

  // Inputs first: every bad-input error before anything is simulated.
  require_rtl_blocks(loaded);
  mapping::Network net;
  if (cfg.network.file.empty())
    throw InputError(fmt::format("{}: network.file: training needs a network description (configs/nets/*.yaml)",
                                 loaded.path));
  try {
    net = mapping::load_network(cfg.network.file);
  } catch (const std::exception& e) {
    throw InputError(e.what());
  }
  data::ImageSet set;
  try {
    set = data::load_fashion_mnist(cfg.train.data, true);
  } catch (const data::DataError& e) {
    throw InputError(fmt::format("{}: train.data: {}", loaded.path, e.what()));
  }
  const int images = std::min(cfg.train.images, set.count);
  const int image_size = set.rows * set.cols;
  std::vector<float> real = data::to_unit_range(set, 0, images);
  const metrics::FrechetScore score(real.data(), std::min(cfg.train.score_reference, images), image_size,
                                    cfg.train.score_components);

  const config::Config& c = cfg;
  const xbar::DeviceParams device = Soc::device_params(c);
  const TileParams tp = Soc::tile_params(c);
  std::unique_ptr<train::GanTrainer> trainer;
  try {
    trainer = std::make_unique<train::GanTrainer>(net, trainer_settings(cfg), std::move(real), images, tp.geometry,
                                                  tp.converters, device,
                                                  xbar::NoiseSourceParams{c.arch.noise.pairs, c.arch.noise.calibrate});
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: {}", loaded.path, e.what()));
  }

  Progression start;
  if (!options.resume_dir.empty()) {
    const fs::path rdir(options.resume_dir);
    try {
      const auto meta = nlohmann::json::parse(read_file(rdir / "checkpoint.json"));
      start.step = meta.at("step").get<int64_t>();
      start.time_ns = meta.at("sim_time_ns").get<double>();
      start.energy_pj = meta.at("energy_pj").get<double>();
      start.csv = meta.at("train_csv").get<std::string>();
      std::istringstream in(read_file(rdir / "checkpoint.bin"));
      trainer->load(in);
    } catch (const InputError&) {
      throw;
    } catch (const std::exception& e) {
      throw InputError(fmt::format("{}: cannot resume: {}", (rdir / "checkpoint.bin").string(), e.what()));
    }
    if (trainer->steps_done() != start.step)
      throw InputError(fmt::format("{}: checkpoint.json says step {}, checkpoint.bin step {}", rdir.string(), start.step,
                                   trainer->steps_done()));
    if (start.step >= cfg.train.steps)
      throw InputError(fmt::format("{}: the checkpoint is at step {}, train.steps is {}: nothing left to run",
                                   rdir.string(), start.step, cfg.train.steps));
  }

  prepare_run_dir(dir, cfg, options.version);
  std::error_code ec;
  fs::create_directories(dir / "samples", ec);
  if (ec) throw InputError(fmt::format("{}: cannot create ({})", (dir / "samples").string(), ec.message()));

  // The program: layer programs of every step, in loops, at the boot address.
  firmware::TrainSchedule schedule;
  schedule.first_step = start.step;
  schedule.steps = cfg.train.steps - start.step;
  schedule.eval_every = cfg.train.eval_every;
  schedule.checkpoint_every = cfg.train.checkpoint_every;
  const uint32_t base = uint32_t(memory_map::kLayerEngineBase);
  const firmware::LayerEngineRegs regs{base + layer_engine_reg::kCmd, base + layer_engine_reg::kDone,
                                       layer_engine_reg::kStatusBusy, 0, 0};
  const firmware::TrainProgram program = firmware::compile_training(net, schedule, regs);

  // Observer, SoC with the layer engine.
  const auto observer_ptr = start_observer(loaded, dir);
  RunObserver& observer = *observer_ptr;

  const nn::ArrayShape shape = mapping::array_shape(arch_spec(cfg));
  double op_time_ns = start.time_ns, op_energy_pj = start.energy_pj;
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
  setup.trainer = trainer.get();
  setup.cost = [&](const train::TrainOp&, const train::OpWork& w) {
    OpCost cost = op_cost(cfg, shape, w);
    op_time_ns += cost.time_ns;
    for (const auto& [k, v] : cost.energy_pj) op_energy_pj += v;
    return cost;
  };
  Soc soc("soc", cfg, observer, &setup);
  // Trace window in training steps: closed until the step boundary where start_step begins
  // (a resumed run that starts inside the window traces from its first step).
  const auto& trace_cfg = cfg.simulation.trace;
  if (auto* w = observer.vcd(); w && trace_cfg.start_step > start.step) w->hold_window();
  observer.begin_trace();
  if (auto* w = observer.vcd(); w && trace_cfg.stop_step && *trace_cfg.stop_step <= start.step) w->close_window_at(0);
  if (program.image.size() > soc.dram().size()) throw InputError("the training program does not fit in DRAM");
  std::memcpy(soc.dram().data() + memory_map::kBootAddress, program.image.data(), program.image.size());

  // Host hooks.
  std::ofstream csv(dir / "train.csv", std::ios::binary);
  if (!csv) throw InputError(fmt::format("{}: cannot write", (dir / "train.csv").string()));
  std::string csv_rows = start.csv;
  csv << kCsvHeader << csv_rows << std::flush;
  nlohmann::json curve = nlohmann::json::array();
  std::string last_grid;
  Progress progress("memgan train", options.quiet);
  const int64_t total_steps = cfg.train.steps;
  double last_score = NAN, first_score = NAN;
  int64_t stopped_at = -1;
  soc.layer_engine()->on_host([&](const train::TrainOp& op, uint64_t t_ps) {
    const int64_t step = trainer->steps_done();
    if (op.opcode == train::TrainOpcode::StepEnd) {
      if (auto* w = observer.vcd()) {
        if (step == trace_cfg.start_step) w->open_window_at(t_ps);
        if (trace_cfg.stop_step && step == *trace_cfg.stop_step) w->close_window_at(t_ps);
      }
      progress.update(step, total_steps);
      return;
    }
    if (op.opcode == train::TrainOpcode::Eval) {
      const std::vector<float> grid_images = trainer->sample_grid_images();
      const int n = cfg.train.eval_samples;
      const int grid_cols = std::max(1, int(std::lround(std::ceil(std::sqrt(double(n))))));
      image::GrayImage grid = image::image_grid(grid_images.data(), n, set.rows, set.cols, grid_cols, 1);
      image::upscale_nearest(grid, 2);
      last_grid = fmt::format("samples/step_{:06d}.png", step);
      image::write_png_gray((dir / last_grid).string(), grid);
      const std::vector<float> generated = trainer->score_images();
      const double s = score.score(generated.data(), cfg.train.score_samples);
      if (std::isnan(first_score)) first_score = s;
      last_score = s;
      const train::StepStats& st = trainer->last_step();
      const std::string row = fmt::format("{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{}\n", step,
                                          st.d_loss, st.g_loss, st.d_real, st.d_fake, s, op_time_ns, op_energy_pj,
                                          trainer->cells_written(), trainer->totals().write_pulses);
      csv_rows += row;
      csv << row << std::flush;
      curve.push_back({{"step", step}, {"d_loss", st.d_loss}, {"g_loss", st.g_loss}, {"d_real", st.d_real},
                       {"d_fake", st.d_fake}, {"score", s}, {"sim_time_ns", op_time_ns},
                       {"energy_pj", op_energy_pj}, {"grid", last_grid}});
      if (!options.quiet) {
        fmt::print(err, "{}step {:>6}/{}  D {:.3f}  G {:.3f}  D(x) {:.2f}  D(G(z)) {:.2f}  score {:.2f}\n",
                   isatty(fileno(stderr)) ? "\r\033[K" : "", step, total_steps, st.d_loss, st.g_loss, st.d_real, st.d_fake, s);
      }
      return;
    }
    if (op.opcode == train::TrainOpcode::Checkpoint) {
      std::ostringstream bytes;
      trainer->save(bytes);
      write_atomically(dir / "checkpoint.bin", bytes.str());
      const nlohmann::json meta = {{"step", step},           {"sim_time_ns", op_time_ns},
                                   {"energy_pj", op_energy_pj}, {"train_csv", csv_rows},
                                   {"config_file", loaded.path}};
      write_atomically(dir / "checkpoint.json", meta.dump(1) + "\n");
      if (options.stop_at_step > 0 && step >= options.stop_at_step && stopped_at < 0) {
        stopped_at = step;
        request_interrupt();
      }
    }
  });
  sc_core::sc_start();
  progress.finish();
  csv.close();

  const Controller& ctl = soc.controller();
  const uint64_t end_ps = to_ps(ctl.end_time());
  observer.finish();

  std::vector<std::string> files = {"config.yaml", "program.bin", "train.csv", "power.csv", "report.json",
                                    "report.html", "checkpoint.bin", "checkpoint.json"};
  if (!last_grid.empty()) files.push_back(last_grid);
  if (cfg.simulation.timeline.enabled) files.push_back("timeline.json");
  write_text(dir / "program.bin", std::string(program.image.begin(), program.image.end()));
  write_observer_outputs(observer, cfg, dir, end_ps, files);
  const int64_t steps_run = trainer->steps_done() - start.step;
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& [label, p] : soc.layer_engine()->phase_totals())
    phases[label] = {{"time_ns", p.time_ns}, {"energy_pJ", p.energy_pj}, {"ops", p.ops}};
  nlohmann::json report = common_report(loaded, options.version, ctl, end_ps, observer);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  report["training"] = {
      {"network", net.name},
      {"mode", cfg.train.mode},
      {"optimizer", cfg.train.optimizer},
      {"dataflow", cfg.network.dataflow},
      {"batch", cfg.network.batch},
      {"first_step", start.step},
      {"steps_done", trainer->steps_done()},
      {"steps_this_run", steps_run},
      {"curve", curve},
      {"first_score", std::isnan(first_score) ? nlohmann::json() : nlohmann::json(first_score)},
      {"last_score", std::isnan(last_score) ? nlohmann::json() : nlohmann::json(last_score)},
      {"op_time_ns", op_time_ns},
      {"op_energy_pJ", op_energy_pj},
      {"time_per_step_ns", steps_run > 0 ? (op_time_ns - start.time_ns) / double(steps_run) : 0.0},
      {"energy_per_step_pJ", steps_run > 0 ? (op_energy_pj - start.energy_pj) / double(steps_run) : 0.0},
      {"wall_s", wall_s},
      {"wall_per_step_s", steps_run > 0 ? wall_s / double(steps_run) : 0.0},
      {"cells_written", trainer->cells_written()},
      {"write_pulses", trainer->totals().write_pulses},
      {"adc_conversions", trainer->totals().adc_conversions},
      {"adc_saturations", trainer->totals().adc_saturations},
      {"phases", phases},
      {"last_grid", last_grid},
  };
  const AddressStats& addr = soc.layer_engine()->address_stats();
  report["training"]["mapper_addresses"] = {{"impl", cfg.arch.rtl.red_addr_gen}, {"sequences", addr.sequences},
                                            {"steps", addr.steps},         {"rtl_clocks", addr.rtl_clocks},
                                            {"rtl_mismatches", addr.rtl_mismatches},
                                            {"mvm_mismatches", addr.mvm_mismatches}};
  report["counts"] = {{"commands", ctl.commands_executed()},
                      {"status_polls", ctl.polls()},
                      {"bus_transactions", soc.bus().transactions()},
                      {"engine_ops", soc.layer_engine()->ops()}};
  report["outputs"] = files;
  write_text(dir / "report.json", report.dump(2) + "\n");
  report::write_html_report(dir.string(), (dir / "report.html").string());

  const double total_pj = report["energy"]["totals"]["total_pJ"].get<double>();
  fmt::print(out, "memgan {}: {}\n", options.version, loaded.path);
  fmt::print(out, "train    {} on Fashion-MNIST ({} images), {} mode, {}, batch {}, {} dataflow\n", net.name, images,
             cfg.train.mode, cfg.train.optimizer, cfg.network.batch, cfg.network.dataflow);
  fmt::print(out, "outcome  {} at step {} of {} after {} simulated ({} commands, wall {:.1f} s)\n",
             outcome_name(ctl.outcome()), trainer->steps_done(), cfg.train.steps, si(double(end_ps) * 1e-12, "s"),
             ctl.commands_executed(), wall_s);
  if (!std::isnan(last_score)) {
    fmt::print(out, "score    {:.2f} -> {:.2f} (Frechet distance to real images in a {}-component PCA space)\n",
               first_score, last_score, cfg.train.score_components);
  }
  if (steps_run > 0) {
    fmt::print(out, "per step {} simulated, {} energy, {:.3f} s wall\n",
               si((op_time_ns - start.time_ns) * 1e-9 / double(steps_run), "s"),
               si((op_energy_pj - start.energy_pj) * 1e-12 / double(steps_run), "J"), wall_s / double(steps_run));
  }
  fmt::print(out, "energy   {} total, {} cells written\n", si(total_pj * 1e-12, "J"), trainer->cells_written());
  std::string listing;
  for (const auto& f : files) listing += (listing.empty() ? "" : ", ") + f;
  fmt::print(out, "outputs  {}/ : {}\n", dir.string(), listing);
  if (ctl.outcome() == Controller::Outcome::FirmwareError) fmt::print(err, "error: {}\n", ctl.error());
  switch (ctl.outcome()) {
    case Controller::Outcome::Completed: return 0;
    case Controller::Outcome::Interrupted: return 130;
    default: return 2;
  }
}

}  // namespace memgan
