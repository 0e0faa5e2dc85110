#include "nn/linear.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace memgan::nn {

Linear::Linear(MvmEngine& engine, int in_features, int out_features)
    : engine_(engine), in_(in_features), out_(out_features), key_(engine.new_key()), scratch_key_(engine.new_key()) {
  if (in_ < 1 || out_ < 1) throw std::invalid_argument("Linear: in_features and out_features must be >= 1");
}

Linear::Linear(Linear&& other) noexcept
    : engine_(other.engine_),
      in_(other.in_),
      out_(other.out_),
      key_(other.key_),
      scratch_key_(other.scratch_key_),
      loaded_(other.loaded_),
      bias_(std::move(other.bias_)) {
  other.key_ = other.scratch_key_ = -1;
  other.loaded_ = false;
}

Linear::~Linear() {
  if (key_ >= 0) engine_.release(key_);
  if (scratch_key_ >= 0) engine_.release(scratch_key_);
}

int Linear::samples(const Tensor& t, int per_sample, const char* what) const {
  if (t.rank() < 1 || t.shape[0] < 1 || t.size() != int64_t(t.shape[0]) * per_sample)
    throw std::invalid_argument(std::string("Linear: ") + what + " of shape " + shape_string(t.shape) + " is not N x " +
                                std::to_string(per_sample));
  return t.shape[0];
}

void Linear::set_weights(const Tensor& weight, const Tensor& bias, MvmCounts* counts) {
  if (weight.shape != std::vector<int>{out_, in_})
    throw std::invalid_argument("Linear: weight must be " + shape_string({out_, in_}) + ", got " +
                                shape_string(weight.shape));
  if (bias.size() != 0 && bias.shape != std::vector<int>{out_})
    throw std::invalid_argument("Linear: bias must be " + shape_string({out_}) + ", got " + shape_string(bias.shape));
  std::vector<float> wt(std::size_t(in_) * out_);
  for (int o = 0; o < out_; ++o)
    for (int i = 0; i < in_; ++i) wt[std::size_t(i) * out_ + o] = weight.at(o, i);
  engine_.load(key_, wt.data(), in_, out_, counts);
  bias_ = bias.data;
  loaded_ = true;
}

Tensor Linear::forward(const Tensor& x, MvmCounts* counts) {
  if (!loaded_) throw std::logic_error("Linear: forward before set_weights");
  const int n = samples(x, in_, "input");
  Tensor y({n, out_});
  MvmCounts c;
  engine_.mvm(key_, x.ptr(), n, y.ptr(), &c);
  if (!bias_.empty()) {
    for (int s = 0; s < n; ++s)
      for (int o = 0; o < out_; ++o) y.at(s, o) += bias_[o];
    c.bias_adds += int64_t(n) * out_;
  }
  c.arrays_used += engine_.matrix(key_).arrays();
  if (counts) *counts += c;
  return y;
}

Tensor Linear::backward_data(const Tensor& dy, MvmCounts* counts) {
  if (!loaded_) throw std::logic_error("Linear: backward_data before set_weights");
  const int n = samples(dy, out_, "output gradient");
  Tensor dx({n, in_});
  MvmCounts c;
  engine_.mvm_transposed(key_, dy.ptr(), n, dx.ptr(), &c);
  c.arrays_used += engine_.matrix(key_).arrays();
  if (counts) *counts += c;
  return dx;
}

WeightGrad Linear::backward_weight(const Tensor& x, const Tensor& dy, MvmCounts* counts) {
  const int n = samples(x, in_, "input");
  if (samples(dy, out_, "output gradient") != n) throw std::invalid_argument("Linear: x and dy batch sizes differ");
  MvmCounts c;
  engine_.load(scratch_key_, x.ptr(), n, in_, &c);
  std::vector<float> dyt(std::size_t(out_) * n);  // dy^T: one vector of length N per output
  for (int s = 0; s < n; ++s)
    for (int o = 0; o < out_; ++o) dyt[std::size_t(o) * n + s] = dy.at(s, o);
  WeightGrad g;
  g.weight = Tensor({out_, in_});
  engine_.mvm(scratch_key_, dyt.data(), out_, g.weight.ptr(), &c);
  if (!bias_.empty()) {
    g.bias = Tensor({out_});
    for (int o = 0; o < out_; ++o) {
      double sum = 0;
      for (int s = 0; s < n; ++s) sum += dy.at(s, o);
      g.bias.data[o] = static_cast<float>(sum);
    }
    c.bias_adds += int64_t(n) * out_;
  }
  if (counts) *counts += c;
  return g;
}

}  // namespace memgan::nn
