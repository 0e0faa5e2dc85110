// Fully connected layer, PyTorch semantics: y = x W^T + b with W out x in.
//
// On the engine W^T (in x out) is the resident matrix: forward is one MVM per sample, backward-
// data (dx = dy W) the transposed MVM on the same arrays. Backward-weight programs the batch of
// inputs x (N x in) into scratch arrays and applies each output's gradient column dy[:, o]
// (length N): dW[o, :] = dy[:, o]^T x, `out` MVMs of length N.
//
// Training in place: apply_update / apply_manhattan change the resident matrix through the
// engine (pulses on a CrossbarEngine); the bias is digital and updated exactly.
#pragma once

#include <iosfwd>

#include "core/nn/mvm_engine.h"
#include "core/nn/tensor.h"

namespace memgan::nn {

struct WeightGrad {
  Tensor weight;  // same layout as the layer's weight
  Tensor bias;    // empty when the layer has no bias
};

class Linear {
 public:
  // Takes two keys of `engine` (resident, scratch) and releases them when destroyed: the engine
  // must outlive the layer.
  Linear(MvmEngine& engine, int in_features, int out_features);
  ~Linear();
  Linear(const Linear&) = delete;
  Linear& operator=(const Linear&) = delete;
  Linear(Linear&& other) noexcept;  // takes over the keys

  int in_features() const { return in_; }
  int out_features() const { return out_; }
  // weight: out x in; bias: {out} or empty (no bias). Programs the resident matrix;
  // weight_range > 0 fixes its range (MvmEngine::load).
  void set_weights(const Tensor& weight, const Tensor& bias, MvmCounts* counts = nullptr, float weight_range = 0);
  // x: N x ... with in_features elements per sample; returns N x out.
  Tensor forward(const Tensor& x, MvmCounts* counts = nullptr);
  // dy: N x out; returns N x in.
  Tensor backward_data(const Tensor& dy, MvmCounts* counts = nullptr);
  WeightGrad backward_weight(const Tensor& x, const Tensor& dy, MvmCounts* counts = nullptr);

  // W += weight_delta (out x in) on the engine (MvmEngine::apply_update), b += bias_delta
  // digitally. bias_delta: {out}, or empty to leave the bias; must be empty without a bias.
  // Throws std::logic_error before set_weights.
  void apply_update(const Tensor& weight_delta, const Tensor& bias_delta, MvmCounts* counts = nullptr);
  // Manhattan rule on the weights (MvmEngine::apply_manhattan); the bias is the caller's.
  void apply_manhattan(const Tensor& weight_grad, float threshold, float digital_step, MvmCounts* counts = nullptr);
  Tensor weights() const;  // out x in, read back from the engine (MvmEngine::read_weights)
  Tensor bias() const;     // {out}, or empty without a bias
  double weight_step() const;  // MvmEngine::weight_step of the resident matrix

  // The layer's digital state (sizes, keys, loaded flag, bias); the engine's matrices are
  // checkpointed by the engine. load_state needs a layer built alike on the same keys (layers
  // constructed in the same order) and throws std::runtime_error otherwise.
  void save_state(std::ostream& os) const;
  void load_state(std::istream& is);

 private:
  int samples(const Tensor& t, int per_sample, const char* what) const;
  std::vector<float> transposed(const Tensor& weight) const;  // out x in -> the resident in x out
  void check_trained(const Tensor& weight, const char* what) const;
  MvmEngine& engine_;
  int in_, out_;
  int key_, scratch_key_;
  bool loaded_ = false;
  std::vector<float> bias_;
};

}  // namespace memgan::nn
