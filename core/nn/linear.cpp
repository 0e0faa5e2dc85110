#include "core/nn/linear.h"

#include <istream>
#include <ostream>
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

void Linear::set_weights(const Tensor& weight, const Tensor& bias, MvmCounts* counts, float weight_range) {
  if (weight.shape != std::vector<int>{out_, in_})
    throw std::invalid_argument("Linear: weight must be " + shape_string({out_, in_}) + ", got " +
                                shape_string(weight.shape));
  if (bias.size() != 0 && bias.shape != std::vector<int>{out_})
    throw std::invalid_argument("Linear: bias must be " + shape_string({out_}) + ", got " + shape_string(bias.shape));
  engine_.load(key_, transposed(weight).data(), in_, out_, counts, weight_range);
  bias_ = bias.data;
  loaded_ = true;
}

std::vector<float> Linear::transposed(const Tensor& weight) const {
  std::vector<float> wt(std::size_t(in_) * out_);
  for (int o = 0; o < out_; ++o)
    for (int i = 0; i < in_; ++i) wt[std::size_t(i) * out_ + o] = weight.at(o, i);
  return wt;
}

void Linear::check_trained(const Tensor& weight, const char* what) const {
  if (!loaded_) throw std::logic_error(std::string("Linear: ") + what + " before set_weights");
  if (weight.shape != std::vector<int>{out_, in_})
    throw std::invalid_argument(std::string("Linear: ") + what + " tensor must be " + shape_string({out_, in_}) +
                                ", got " + shape_string(weight.shape));
}

void Linear::apply_update(const Tensor& weight_delta, const Tensor& bias_delta, MvmCounts* counts) {
  check_trained(weight_delta, "apply_update");
  if (bias_delta.size() != 0 && (bias_.empty() || bias_delta.shape != std::vector<int>{out_}))
    throw std::invalid_argument("Linear: bias_delta must be " +
                                (bias_.empty() ? std::string("empty (no bias)") : shape_string({out_})) + ", got " +
                                shape_string(bias_delta.shape));
  MvmCounts c;
  engine_.apply_update(key_, transposed(weight_delta).data(), &c);
  if (bias_delta.size() != 0) {
    for (int o = 0; o < out_; ++o) bias_[o] += bias_delta.data[o];
    c.bias_adds += out_;
  }
  if (counts) *counts += c;
}

void Linear::apply_manhattan(const Tensor& weight_grad, float threshold, float digital_step, MvmCounts* counts) {
  check_trained(weight_grad, "apply_manhattan");
  engine_.apply_manhattan(key_, transposed(weight_grad).data(), threshold, digital_step, counts);
}

Tensor Linear::weights() const {
  if (!loaded_) throw std::logic_error("Linear: weights before set_weights");
  std::vector<float> wt(std::size_t(in_) * out_);
  engine_.read_weights(key_, wt.data());
  Tensor w({out_, in_});
  for (int o = 0; o < out_; ++o)
    for (int i = 0; i < in_; ++i) w.at(o, i) = wt[std::size_t(i) * out_ + o];
  return w;
}

Tensor Linear::bias() const { return bias_.empty() ? Tensor() : Tensor({out_}, bias_); }

double Linear::weight_step() const {
  if (!loaded_) throw std::logic_error("Linear: weight_step before set_weights");
  return engine_.weight_step(key_);
}

namespace {
constexpr const char* kLinearTag = "memgan.nn.Linear";
constexpr uint32_t kLinearVersion = 1;
}  // namespace

void Linear::save_state(std::ostream& os) const {
  namespace sio = xbar::state_io;
  sio::write_tag(os, kLinearTag, kLinearVersion);
  for (const int v : {in_, out_, key_, scratch_key_}) sio::write<int32_t>(os, v);
  sio::write<uint8_t>(os, loaded_);
  sio::write_vector(os, bias_);
}

void Linear::load_state(std::istream& is) {
  namespace sio = xbar::state_io;
  static constexpr const char* what = "Linear::load_state";
  sio::read_tag(is, kLinearTag, kLinearVersion, what);
  int saved[4];
  for (int& v : saved) v = sio::read<int32_t>(is, what);
  if (saved[0] != in_ || saved[1] != out_)
    throw std::runtime_error(std::string(what) + ": the state is of a " + std::to_string(saved[0]) + " -> " +
                             std::to_string(saved[1]) + " layer, this one is " + std::to_string(in_) + " -> " +
                             std::to_string(out_));
  if (saved[2] != key_ || saved[3] != scratch_key_)
    throw std::runtime_error(std::string(what) + ": the state was saved from a layer on engine keys (" +
                             std::to_string(saved[2]) + ", " + std::to_string(saved[3]) + "), this one holds (" +
                             std::to_string(key_) + ", " + std::to_string(scratch_key_) +
                             "): construct the layers in the same order");
  const bool loaded = sio::read<uint8_t>(is, what) != 0;
  std::vector<float> bias;
  sio::read_vector(is, bias, what);
  if (!bias.empty() && bias.size() != std::size_t(out_)) throw std::runtime_error(std::string(what) + ": corrupt bias");
  loaded_ = loaded;
  bias_ = std::move(bias);
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
