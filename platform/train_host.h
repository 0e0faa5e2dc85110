// The host side of a training run. The layer engine calls it at the operations that are the
// host's: at STEP_END it moves the trace window (simulation.trace.start_step / stop_step) and
// the progress bar, at EVAL it writes a sample grid, scores the generator and adds a
// train.csv row and a report curve point, at CHECKPOINT it saves the whole training state
// (and stops the run as Ctrl-C would at --stop-at-step). Every operation's time and energy on
// the chip pass through it, so it always knows where the run stands.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/config/loader.h"
#include "core/observe/observer.h"
#include "core/util/progress.h"
#include "models/layer_engine/layer_engine.h"
#include "platform/run.h"
#include "platform/train_checkpoint.h"
#include "platform/train_inputs.h"

namespace memgan {

class TrainHost {
 public:
  // Writes into options.out_dir; `start` is where the run begins (a checkpoint or step 0).
  TrainHost(const config::LoadedConfig& loaded, const RunOptions& options, const TrainInputs& inputs,
            RunObserver& observer, const Progression& start, std::ostream& err);
  TrainHost(const TrainHost&) = delete;
  TrainHost& operator=(const TrainHost&) = delete;

  // One operation as the chip played it: its energy, and at a STEP_END the step's span, added
  // to the run's time and energy.
  void charge(const OpTiming& t);
  // Begins the observer's trace with its window in training steps: closed until the step
  // where simulation.trace.start_step begins (a resumed run that starts inside the window
  // traces from its first step). After the SoC is built.
  void begin_trace();
  // Starts train.csv (header and the rows up to the checkpoint resumed from) and the
  // progress bar, and hooks into the engine's host operations.
  void attach(LayerEngine& engine);
  // After the simulation: the progress bar ends, train.csv is closed.
  void finish();

  const Progression& now() const { return now_; }  // step, time, energy, train.csv rows
  const nlohmann::json& curve() const { return curve_; }
  double first_score() const { return first_score_; }  // NaN before the first EVAL
  double last_score() const { return last_score_; }
  const std::string& last_grid() const { return last_grid_; }  // "" before the first EVAL

 private:
  void on_op(const train::TrainOp& op, uint64_t t_ps);
  void on_step_end(uint64_t t_ps);
  void on_eval();
  void write_sample_grid();
  void add_row(double score);
  void add_timing_row();
  void on_checkpoint();

  const config::LoadedConfig& loaded_;
  const config::Config& cfg_;
  const RunOptions& options_;
  const TrainInputs& inputs_;
  RunObserver& observer_;
  std::ostream& err_;
  const std::filesystem::path dir_;
  Progression now_;
  std::ofstream csv_;
  std::optional<Progress> progress_;
  nlohmann::json curve_ = nlohmann::json::array();
  std::string last_grid_;
  double first_score_, last_score_;
  int64_t stopped_at_ = -1;
  const LayerEngine* engine_ = nullptr;
};

}  // namespace memgan
