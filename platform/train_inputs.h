// `memgan run` with job.kind train, its inputs: the network, the real images (Fashion-MNIST),
// the quality score's feature space fitted to them and the trainer (the layer engine's
// functional state); in train.mode timing only the network and the closed-form executor (no
// data, no score, no numerics). Every bad-input error of a training run comes from here,
// before anything is simulated.
#pragma once

#include <memory>
#include <optional>

#include "core/config/loader.h"
#include "core/mapping/network.h"
#include "core/metrics/frechet.h"
#include "core/train/gan_trainer.h"
#include "core/train/timing_executor.h"

namespace memgan {

struct TrainInputs {
  mapping::Network net;
  int images = 0;          // real images trained on: train.images, at most the data set's
  int rows = 0, cols = 0;  // the size of one
  std::optional<metrics::FrechetScore> score;  // PCA space of the first train.score_reference
  std::unique_ptr<train::GanTrainer> trainer;     // analog / digital
  std::unique_ptr<train::TimingExecutor> timing;  // timing
  train::OpExecutor& executor() const { return trainer ? static_cast<train::OpExecutor&>(*trainer) : *timing; }
};

// Throws InputError (platform/run.h): arch.rtl.* that this build lacks, no or a bad
// network.file, an unreadable train.data, a network the trainer refuses.
TrainInputs load_train_inputs(const config::LoadedConfig& loaded);

}  // namespace memgan
