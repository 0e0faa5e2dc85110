// Fully connected layer, PyTorch semantics: y = x W^T + b with W out x in.
//
// On the engine W^T (in x out) is the resident matrix: forward is one MVM per sample, backward-
// data (dx = dy W) the transposed MVM on the same arrays. Backward-weight programs the batch of
// inputs x (N x in) into scratch arrays and applies each output's gradient column dy[:, o]
// (length N): dW[o, :] = dy[:, o]^T x, `out` MVMs of length N.
#pragma once

#include "nn/mvm_engine.h"
#include "nn/tensor.h"

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
  // weight: out x in; bias: {out} or empty (no bias). Programs the resident matrix.
  void set_weights(const Tensor& weight, const Tensor& bias, MvmCounts* counts = nullptr);
  // x: N x ... with in_features elements per sample; returns N x out.
  Tensor forward(const Tensor& x, MvmCounts* counts = nullptr);
  // dy: N x out; returns N x in.
  Tensor backward_data(const Tensor& dy, MvmCounts* counts = nullptr);
  WeightGrad backward_weight(const Tensor& x, const Tensor& dy, MvmCounts* counts = nullptr);

 private:
  int samples(const Tensor& t, int per_sample, const char* what) const;
  MvmEngine& engine_;
  int in_, out_;
  int key_, scratch_key_;
  bool loaded_ = false;
  std::vector<float> bias_;
};

}  // namespace memgan::nn
