#include "platform/train_inputs.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "core/data/idx.h"
#include "core/data/resample.h"
#include "platform/network_cost.h"
#include "platform/run_common.h"
#include "platform/soc.h"

namespace memgan {
namespace {

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

mapping::Network training_network(const config::LoadedConfig& loaded) {
  const config::Config& cfg = loaded.config;
  if (cfg.network.file.empty())
    throw InputError(fmt::format("{}: network.file: training needs a network description (configs/nets/*.yaml)",
                                 loaded.path));
  try {
    return mapping::load_network(cfg.network.file);
  } catch (const std::exception& e) {
    throw InputError(e.what());
  }
}

data::ImageSet training_images(const config::LoadedConfig& loaded) {
  try {
    return data::load_fashion_mnist(loaded.config.train.data, true);
  } catch (const data::DataError& e) {
    throw InputError(fmt::format("{}: train.data: {}", loaded.path, e.what()));
  }
}


// Expected programming pulses per weight of one update (train.mode timing).
double pulses_per_weight(const config::Config& cfg, double lr, const TileParams& tp, const xbar::DeviceParams& device) {
  if (cfg.train.timing_pulses_per_weight) return *cfg.train.timing_pulses_per_weight;
  if (cfg.train.optimizer == "manhattan") return 1.0;  // one pulse per weight with a non-zero gradient
  return train::adam_pulses_per_weight(lr, cfg.train.weight_range, tp.geometry, tp.converters, device);
}

train::TimingSettings timing_settings(const config::Config& cfg, const TileParams& tp,
                                      const xbar::DeviceParams& device) {
  train::TimingSettings s;
  s.dataflow = mapping::parse_dataflow(cfg.network.dataflow);
  s.batch = cfg.network.batch;
  s.arrays = mapping::array_shape(arch_spec(cfg));
  s.adam = cfg.train.optimizer == "adam";
  s.manhattan = cfg.train.optimizer == "manhattan";
  s.pulses_per_weight[0] = pulses_per_weight(cfg, cfg.train.lr_generator, tp, device);
  s.pulses_per_weight[1] = pulses_per_weight(cfg, cfg.train.lr_discriminator, tp, device);
  s.pulse_pj = mid_range_pulse_pj(cfg.device);
  return s;
}

}  // namespace

TrainInputs load_train_inputs(const config::LoadedConfig& loaded) {
  const config::Config& cfg = loaded.config;
  run_detail::require_rtl_blocks(loaded);
  TrainInputs in;
  in.net = training_network(loaded);
  if (cfg.train.mode == "timing") {
    const std::vector<int>& image = in.net.model("discriminator").input;
    in.rows = image.size() == 3 ? image[1] : 1;
    in.cols = image.size() == 3 ? image[2] : int(image.empty() ? 1 : image[0]);
    try {
      in.timing = std::make_unique<train::TimingExecutor>(
          in.net, timing_settings(cfg, Soc::tile_params(cfg), Soc::device_params(cfg)));
    } catch (const std::invalid_argument& e) {
      throw InputError(fmt::format("{}: {}", loaded.path, e.what()));
    }
    return in;
  }
  data::ImageSet set = training_images(loaded);
  // A discriminator for larger images (e.g. the 64 x 64 DCGAN) sees the data set resized.
  const std::vector<int>& image = in.net.model("discriminator").input;
  if (image.size() == 3 && image[0] == 1 && (image[1] != set.rows || image[2] != set.cols))
    set = data::resize_bilinear(set, image[1], image[2]);
  in.images = std::min(cfg.train.images, set.count);
  in.rows = set.rows;
  in.cols = set.cols;
  // The score's reference images in [-1, 1]; the trainer keeps the 8-bit pixels (a quarter of
  // the memory: 1 GB less for 60000 images of 64 x 64) and maps each batch as it loads it.
  {
    const int reference = std::min(cfg.train.score_reference, in.images);
    const std::vector<float> real = data::to_unit_range(set, 0, reference);
    in.score.emplace(real.data(), reference, set.rows * set.cols, cfg.train.score_components);
  }
  std::vector<uint8_t> pixels = std::move(set.pixels);
  pixels.resize(std::size_t(in.images) * std::size_t(set.rows) * std::size_t(set.cols));
  pixels.shrink_to_fit();

  const xbar::DeviceParams device = Soc::device_params(cfg);
  const TileParams tp = Soc::tile_params(cfg);
  try {
    in.trainer = std::make_unique<train::GanTrainer>(
        in.net, trainer_settings(cfg), std::move(pixels), in.images, tp.geometry, tp.converters, device,
        xbar::NoiseSourceParams{cfg.arch.noise.pairs, cfg.arch.noise.calibrate});
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: {}", loaded.path, e.what()));
  }
  return in;
}

}  // namespace memgan
