#include "platform/train_host.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "core/image/png.h"
#include "core/util/interrupt.h"

namespace memgan {
namespace {

constexpr const char* kCsvHeader =
    "step,d_loss,g_loss,d_real,d_fake,score,sim_time_ns,energy_pj,cells_written,write_pulses\n";

}  // namespace

TrainHost::TrainHost(const config::LoadedConfig& loaded, const RunOptions& options, const TrainInputs& inputs,
                     RunObserver& observer, const Progression& start, std::ostream& err)
    : loaded_(loaded),
      cfg_(loaded.config),
      options_(options),
      inputs_(inputs),
      observer_(observer),
      err_(err),
      dir_(options.out_dir),
      now_(start),
      first_score_(NAN),
      last_score_(NAN) {}

void TrainHost::charge(const OpTiming& t) {
  now_.time_ns += t.advance_ns;
  now_.energy_pj += t.energy_pj;
}

void TrainHost::begin_trace() {
  const auto& trace_cfg = cfg_.simulation.trace;
  if (auto* w = observer_.vcd(); w && trace_cfg.start_step > now_.step) w->hold_window();
  observer_.begin_trace();
  if (auto* w = observer_.vcd(); w && trace_cfg.stop_step && *trace_cfg.stop_step <= now_.step) w->close_window_at(0);
}

void TrainHost::attach(LayerEngine& engine) {
  csv_.open(dir_ / "train.csv", std::ios::binary);
  if (!csv_) throw InputError(fmt::format("{}: cannot write", (dir_ / "train.csv").string()));
  csv_ << kCsvHeader << now_.csv << std::flush;
  progress_.emplace("memgan train", options_.quiet);
  engine_ = &engine;
  engine.on_host([this](const train::TrainOp& op, uint64_t t_ps) { on_op(op, t_ps); });
  engine.on_op([this](const train::TrainOp&, const OpTiming& t) { charge(t); });
}

void TrainHost::finish() {
  if (progress_) progress_->finish();
  csv_.close();
}

void TrainHost::on_op(const train::TrainOp& op, uint64_t t_ps) {
  now_.step = inputs_.executor().steps_done();
  if (op.opcode == train::TrainOpcode::StepEnd) on_step_end(t_ps);
  else if (op.opcode == train::TrainOpcode::Eval) on_eval();
  else if (op.opcode == train::TrainOpcode::Checkpoint) on_checkpoint();
}

void TrainHost::on_step_end(uint64_t t_ps) {
  const auto& trace_cfg = cfg_.simulation.trace;
  if (auto* w = observer_.vcd()) {
    if (now_.step == trace_cfg.start_step) w->open_window_at(t_ps);
    if (trace_cfg.stop_step && now_.step == *trace_cfg.stop_step) w->close_window_at(t_ps);
  }
  progress_->update(now_.step, cfg_.train.steps);
}

void TrainHost::on_eval() {
  if (!inputs_.trainer) {  // train.mode timing: no images, no losses; the row has time and energy
    add_timing_row();
    return;
  }
  write_sample_grid();
  const std::vector<float> generated = inputs_.trainer->score_images();
  const double s = inputs_.score->score(generated.data(), cfg_.train.score_samples);
  if (std::isnan(first_score_)) first_score_ = s;
  last_score_ = s;
  add_row(s);
}

// samples/step_NNNNNN.png: the generator's images for the fixed evaluation latents.
void TrainHost::write_sample_grid() {
  const std::vector<float> grid_images = inputs_.trainer->sample_grid_images();
  const int n = cfg_.train.eval_samples;
  const int grid_cols = std::max(1, int(std::lround(std::ceil(std::sqrt(double(n))))));
  image::GrayImage grid = image::image_grid(grid_images.data(), n, inputs_.rows, inputs_.cols, grid_cols, 1);
  image::upscale_nearest(grid, 2);
  last_grid_ = fmt::format("samples/step_{:06d}.png", now_.step);
  image::write_png_gray((dir_ / last_grid_).string(), grid);
}

// The evaluation's train.csv row, report curve point and terminal line.
void TrainHost::add_row(double score) {
  const train::GanTrainer& trainer = *inputs_.trainer;
  const train::StepStats& st = trainer.last_step();
  const int64_t step = now_.step;
  const std::string row = fmt::format("{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{}\n", step, st.d_loss,
                                      st.g_loss, st.d_real, st.d_fake, score, now_.time_ns, now_.energy_pj,
                                      trainer.cells_written(), trainer.totals().write_pulses);
  now_.csv += row;
  csv_ << row << std::flush;
  curve_.push_back({{"step", step}, {"d_loss", st.d_loss}, {"g_loss", st.g_loss}, {"d_real", st.d_real},
                    {"d_fake", st.d_fake}, {"score", score}, {"sim_time_ns", now_.time_ns},
                    {"energy_pj", now_.energy_pj}, {"grid", last_grid_}});
  if (!options_.quiet) {
    fmt::print(err_, "{}step {:>6}/{}  D {:.3f}  G {:.3f}  D(x) {:.2f}  D(G(z)) {:.2f}  score {:.2f}\n",
               isatty(fileno(stderr)) ? "\r\033[K" : "", step, cfg_.train.steps, st.d_loss, st.g_loss, st.d_real,
               st.d_fake, score);
  }
}

// A timing run's row: no losses or score (empty fields), the chip's time, energy and writes.
void TrainHost::add_timing_row() {
  const nn::MvmCounts& totals = inputs_.executor().totals();
  const std::string row = fmt::format("{},,,,,,{:.6g},{:.6g},{},{}\n", now_.step, now_.time_ns, now_.energy_pj,
                                      totals.cells_written, totals.write_pulses);
  now_.csv += row;
  csv_ << row << std::flush;
  curve_.push_back({{"step", now_.step}, {"sim_time_ns", now_.time_ns}, {"energy_pj", now_.energy_pj}});
}

void TrainHost::on_checkpoint() {
  if (engine_) now_.resident_layers = engine_->residency();
  save_checkpoint(dir_, inputs_.executor(), now_, loaded_.path);
  if (options_.stop_at_step > 0 && now_.step >= options_.stop_at_step && stopped_at_ < 0) {
    stopped_at_ = now_.step;
    request_interrupt();
  }
}

}  // namespace memgan
