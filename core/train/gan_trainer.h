// GAN training on MVM engines: the functional half of the layer engine.
//
// A GanTrainer holds a generator and a discriminator built from a network description
// (core/mapping/network.h), their weights resident on an MVM engine (crossbar arrays in the
// analog mode, exact float GEMM in the digital reference mode), the optimizer state, the data
// set and the latent source. It executes one TrainOp at a time (core/train/train_ops.h) and
// reports what the operation did (array counts, digital work, bytes), from which the SystemC
// engine derives time and energy.
//
// Where each piece of work runs:
//   linear / conv / conv-transpose forward   resident arrays (MVM engine), chosen dataflow
//   their backward-data                      the same arrays in transposed mode
//   their backward-weight                    digital unit: FP32 outer products over the batch
//                                            (the arrays' scratch alternative needs the
//                                            activations written every step)
//   batch norm, activations, losses, Adam    digital unit
//   weight updates                           programming pulses on the resident cells
//                                            (analog) or exact float writes (digital)
// The latent vectors come from the devices' read noise (xbar::DeviceNoiseSource) or from a
// seeded PRNG; real batches from an in-memory image set (data/idx.h) in a seeded shuffle.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/xbar/crossbar_array.h"
#include "core/mapping/dataflow.h"
#include "core/mapping/network.h"
#include "core/nn/mvm_engine.h"
#include "core/nn/tensor.h"
#include "core/train/op_executor.h"
#include "core/train/train_ops.h"

namespace memgan::train {

enum class Optimizer { Manhattan, Sgd, Adam };
Optimizer parse_optimizer(const std::string& name);  // "manhattan" | "sgd" | "adam"
const char* optimizer_name(Optimizer o);

struct TrainerSettings {
  bool analog = true;                 // false: digital reference (FloatGemmEngine, exact writes)
  mapping::Dataflow dataflow = mapping::Dataflow::ZeroFree;
  int batch = 64;
  Optimizer optimizer = Optimizer::Adam;
  float lr_generator = 2e-4f, lr_discriminator = 2e-4f;
  float beta1 = 0.5f, beta2 = 0.999f, eps = 1e-8f;
  float manhattan_threshold = 0.0f;   // |grad| at or below: no pulse
  float init_std = 0.02f;             // DCGAN initialisation N(0, init_std)
  float weight_range = 0.1f;          // weights map to [-range, range] on the cells
  bool device_latent = true;          // latent from device read noise, else a seeded PRNG
  double noise_read_sigma = 0.05;     // read noise of the noise source's own cells
  int eval_samples = 64;              // fixed latent vectors of the sample grid
  int score_samples = 256;            // generated images per quality score
  uint64_t seed = 1;
};

struct StepStats {
  int64_t step = 0;
  double d_loss = 0, g_loss = 0;
  double d_real = 0, d_fake = 0;  // mean sigmoid(D(.)) over the batch (D step)
};

class GanTrainer : public OpExecutor {
 public:
  // `real_images`: count x image_size floats in [-1, 1], image_size = the discriminator's
  // per-sample input size. The engine parameters are used only in the analog mode.
  GanTrainer(const mapping::Network& net, const TrainerSettings& settings, std::vector<float> real_images,
             int real_count, const xbar::ArrayGeometry& geometry, const xbar::ConverterParams& converters,
             const xbar::DeviceParams& device, const xbar::NoiseSourceParams& noise);
  // The same with the real images as 8-bit pixels (a quarter of the memory), each batch mapped
  // to [-1, 1] as data::to_unit_range maps them: (2p - 255) / 255.
  GanTrainer(const mapping::Network& net, const TrainerSettings& settings, std::vector<uint8_t> real_pixels,
             int real_count, const xbar::ArrayGeometry& geometry, const xbar::ConverterParams& converters,
             const xbar::DeviceParams& device, const xbar::NoiseSourceParams& noise);
  ~GanTrainer();
  GanTrainer(const GanTrainer&) = delete;
  GanTrainer& operator=(const GanTrainer&) = delete;

  // Executes one operation. Throws std::invalid_argument for an operation that names a layer
  // or model that does not exist, std::logic_error for one issued out of order (e.g. a
  // backward pass without its forward).
  OpWork execute(const TrainOp& op) override;

  int layer_count(Model m) const override;
  const mapping::LayerSpec& layer_spec(Model m, int layer) const override;
  bool has_weights(Model m, int layer) const;  // linear / conv / batchnorm
  bool on_arrays(Model m, int layer) const override;    // linear / conv
  int64_t weight_count(Model m, int layer) const override;

  // Effective weights (PyTorch layout, read back from the arrays) and biases of a layer on
  // crossbars; the latest latent and real batches. For tests and inspection.
  nn::Tensor weights(Model m, int layer) const;
  nn::Tensor bias(Model m, int layer) const;
  const nn::Tensor& latent_batch() const;
  const nn::Tensor& real_batch() const;

  const StepStats& last_step() const { return last_; }  // of the step that StepEnd closed
  int64_t steps_done() const override { return steps_; }
  // The generator's images for the fixed evaluation latents (eval_samples x image_size).
  std::vector<float> sample_grid_images();
  // Generated images for the quality score (score_samples x image_size; fixed latents).
  std::vector<float> score_images();
  std::vector<int> image_shape() const;  // per sample, the generator's output
  const nn::MvmCounts& totals() const override { return totals_; }  // all array work so far
  // Analog mode: hands the crossbar arrays to where the chip holds them (nn::CrossbarEngine::
  // relocate; in the order layers were built: generator then discriminator, network order).
  // Returns how many moved; 0 in the digital mode.
  int64_t relocate_arrays(const nn::CrossbarEngine::ArrayHome& home);
  int64_t cells_written() const { return totals_.cells_written; }
  // The platform takes the data set into its DRAM: returns the 8-bit pixels (count x
  // image_bytes()); from then on each LOAD_REAL draws its images' indices (real_indices) and
  // the batch is the pixels the platform fetched for them (deliver_real, which throws
  // std::invalid_argument for another size). Throws std::logic_error when the trainer holds
  // float images or has released them already.
  std::vector<uint8_t> release_real_pixels();
  int64_t image_bytes() const;  // one real image's 8-bit pixels
  const std::vector<int>& real_indices() const override;
  void deliver_real(const uint8_t* pixels, int64_t bytes) override;

  // The whole training state: engine (conductances, RNGs), digital parameters, optimizer
  // moments, latent source, data order, step. Restoring needs a trainer built with the same
  // network, settings and data.
  void save(std::ostream& out) const override;
  void load(std::istream& in) override;

 private:
  struct RealImages {
    std::vector<float> values;
    std::vector<uint8_t> pixels;
  };
  GanTrainer(const mapping::Network& net, const TrainerSettings& settings, RealImages real, int real_count,
             const xbar::ArrayGeometry& geometry, const xbar::ConverterParams& converters,
             const xbar::DeviceParams& device, const xbar::NoiseSourceParams& noise);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  StepStats last_;
  int64_t steps_ = 0;
  nn::MvmCounts totals_;
};

}  // namespace memgan::train
