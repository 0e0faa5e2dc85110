#include "train/gan_trainer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "mapping/mapper.h"
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/linear.h"
#include "nn/loss.h"

namespace memgan::train {
namespace {

using mapping::LayerType;
using nn::Tensor;

constexpr uint32_t kCheckpointMagic = 0x4B43474D;  // "MGCK"
constexpr uint32_t kCheckpointVersion = 1;

// Binary helpers for the checkpoint: raw little-endian PODs and length-prefixed vectors.
template <typename T>
void put(std::ostream& o, const T& v) {
  o.write(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
T get(std::istream& i) {
  T v{};
  if (!i.read(reinterpret_cast<char*>(&v), sizeof(T))) throw std::runtime_error("checkpoint: truncated");
  return v;
}
void put_vec(std::ostream& o, const std::vector<float>& v) {
  put<uint64_t>(o, v.size());
  o.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
}
std::vector<float> get_vec(std::istream& i, std::size_t expected) {
  const auto n = get<uint64_t>(i);
  if (n != expected) throw std::runtime_error(fmt::format("checkpoint: vector of {} values where {} expected", n, expected));
  std::vector<float> v(n);
  if (!i.read(reinterpret_cast<char*>(v.data()), std::streamsize(n * sizeof(float))))
    throw std::runtime_error("checkpoint: truncated");
  return v;
}

// Deterministic N(0, 1) from a 64-bit engine (Box-Muller; no library distribution state).
double normal(std::mt19937_64& rng) {
  const double u1 = (double(rng() >> 11) + 0.5) * 0x1.0p-53;
  const double u2 = double(rng() >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

struct AdamState {
  std::vector<float> m, v;
};

// One layer of a model: its functional object(s), the activations cached by its last forward,
// its accumulated gradients and its optimizer moments.
struct Layer {
  mapping::LayerSpec spec;
  std::unique_ptr<nn::Linear> linear, linear_grad;            // resident / digital twin for dW
  std::unique_ptr<mapping::ConvLayer> conv, conv_grad;
  std::unique_ptr<nn::BatchNorm> bn;
  Tensor input, output;
  Tensor grad_w, grad_b;  // weight/bias, or gamma/beta for batch norm
  AdamState adam_w, adam_b;
  int64_t adam_t = 0;
  int64_t arrays = 0;
  bool on_arrays() const { return linear || conv; }
  bool has_params() const { return on_arrays() || bn; }
};

struct ModelState {
  std::string name;
  std::vector<int> input_shape;  // per sample
  std::vector<Layer> layers;
  int next_forward = 0;   // the layer whose forward may run next
  int grad_at = -1;       // grad holds the gradient at this layer's output (-1: none)
  Tensor grad;
  Tensor input_grad;      // gradient at the model's input (after backward of layer 0)
  int forward_slot = -1;  // discriminator: 0 real, 1 fake
};

std::vector<int> with_batch(int n, const std::vector<int>& per_sample) {
  std::vector<int> s{n};
  s.insert(s.end(), per_sample.begin(), per_sample.end());
  return s;
}

int64_t per_sample_size(const std::vector<int>& s) { return nn::element_count(s); }

}  // namespace

Optimizer parse_optimizer(const std::string& name) {
  if (name == "manhattan") return Optimizer::Manhattan;
  if (name == "sgd") return Optimizer::Sgd;
  if (name == "adam") return Optimizer::Adam;
  throw std::invalid_argument("unknown optimizer '" + name + "' (allowed: manhattan, sgd, adam)");
}

const char* optimizer_name(Optimizer o) {
  switch (o) {
    case Optimizer::Manhattan: return "manhattan";
    case Optimizer::Sgd: return "sgd";
    case Optimizer::Adam: return "adam";
  }
  return "?";
}

struct GanTrainer::Impl {
  TrainerSettings s;
  std::unique_ptr<nn::MvmEngine> engine;
  nn::FloatGemmEngine grad_engine;  // the digital unit's GEMMs (weight gradients)
  ModelState g, d;
  std::vector<float> real;
  int real_count = 0;
  int64_t image_size = 0;
  int latent = 0;
  std::mt19937_64 rng;         // data order, PRNG latents
  std::vector<int> order;      // shuffled sample indices of this epoch
  int64_t cursor = 0;
  std::unique_ptr<xbar::DeviceNoiseSource> noise;
  std::vector<float> eval_latent, score_latent;  // fixed
  Tensor z, real_batch;
  // Running sums of the current step.
  double d_loss = 0, g_loss = 0, d_real = 0, d_fake = 0;

  ModelState& model(Model m) { return m == Model::Generator ? g : d; }
  const ModelState& model(Model m) const { return m == Model::Generator ? g : d; }

  void build(ModelState& ms, const mapping::ModelSpec& spec, std::mt19937_64& init_rng, nn::MvmCounts& counts);
  Tensor forward_layer(ModelState& ms, int i, const Tensor& x, OpWork& w, bool keep);
  void backward_data(ModelState& ms, int i, OpWork& w);
  void backward_weight(ModelState& ms, int i, OpWork& w);
  void update(ModelState& ms, int i, float lr, OpWork& w);
  Tensor generate(const std::vector<float>& latents, int count, OpWork& w);
  void next_epoch();
};

void GanTrainer::Impl::build(ModelState& ms, const mapping::ModelSpec& spec, std::mt19937_64& init_rng,
                             nn::MvmCounts& counts) {
  ms.name = spec.name;
  ms.input_shape = spec.input;
  for (const auto& ls : spec.layers) {
    Layer L;
    L.spec = ls;
    const auto randn = [&](const std::vector<int>& shape, float mean, float std) {
      Tensor t(shape);
      for (auto& v : t.data) v = float(mean + std * normal(init_rng));
      return t;
    };
    switch (ls.type) {
      case LayerType::Linear: {
        L.linear = std::make_unique<nn::Linear>(*engine, ls.in_features, ls.out_features);
        L.linear_grad = std::make_unique<nn::Linear>(grad_engine, ls.in_features, ls.out_features);
        const Tensor w = randn({ls.out_features, ls.in_features}, 0, s.init_std);
        const Tensor b = ls.bias ? Tensor({ls.out_features}) : Tensor();
        nn::MvmCounts c;
        L.linear->set_weights(w, b, &c, s.weight_range);
        L.linear_grad->set_weights(Tensor(w.shape), b);
        L.arrays = c.arrays_used;
        counts += c;
        L.grad_w = Tensor(w.shape);
        L.grad_b = ls.bias ? Tensor(b.shape) : Tensor();
        break;
      }
      case LayerType::Conv2d:
      case LayerType::ConvTranspose2d: {
        const mapping::ConvShape shape = ls.conv_shape(s.batch);
        L.conv = std::make_unique<mapping::ConvLayer>(*engine, shape, s.dataflow);
        L.conv_grad = std::make_unique<mapping::ConvLayer>(grad_engine, shape, s.dataflow);
        const Tensor w = randn(shape.weight_shape(), 0, s.init_std);
        const Tensor b = ls.bias ? Tensor({ls.out_channels}) : Tensor();
        nn::MvmCounts c;
        L.conv->set_weights(w, b, &c, s.weight_range);
        L.conv_grad->set_weights(Tensor(w.shape), b);
        L.arrays = c.arrays_used;
        counts += c;
        L.grad_w = Tensor(w.shape);
        L.grad_b = ls.bias ? Tensor(b.shape) : Tensor();
        break;
      }
      case LayerType::BatchNorm: {
        const int ch = ls.output.at(0);
        L.bn = std::make_unique<nn::BatchNorm>(ch);
        for (auto& v : L.bn->gamma) v = float(1.0 + s.init_std * normal(init_rng));
        L.grad_w = Tensor({ch});
        L.grad_b = Tensor({ch});
        break;
      }
      default: break;
    }
    ms.layers.push_back(std::move(L));
  }
}

Tensor GanTrainer::Impl::forward_layer(ModelState& ms, int i, const Tensor& x_in, OpWork& w, bool keep) {
  Layer& L = ms.layers[std::size_t(i)];
  const int n = x_in.dim(0);
  const Tensor x = x_in.reshaped(with_batch(n, L.spec.input.empty() ? std::vector<int>{int(per_sample_size(x_in.shape) / 1)} : L.spec.input));
  Tensor y;
  switch (L.spec.type) {
    case LayerType::Linear:
      y = L.linear->forward(x, &w.arrays);
      w.parallel_arrays = L.arrays;
      break;
    case LayerType::Conv2d:
    case LayerType::ConvTranspose2d:
      y = L.conv->forward(x, &w.arrays);
      w.parallel_arrays = L.arrays;
      break;
    case LayerType::BatchNorm:
      y = L.bn->forward(x, true);
      w.digital_ops += 8 * x.size();
      break;
    case LayerType::Relu: y = nn::activate(nn::Activation::Relu, x); w.digital_ops += x.size(); break;
    case LayerType::LeakyRelu:
      y = nn::activate(nn::Activation::LeakyRelu, x, L.spec.slope);
      w.digital_ops += 2 * x.size();
      break;
    case LayerType::Tanh: y = nn::activate(nn::Activation::Tanh, x); w.digital_ops += 4 * x.size(); break;
    case LayerType::Sigmoid: y = nn::activate(nn::Activation::Sigmoid, x); w.digital_ops += 4 * x.size(); break;
    case LayerType::Reshape: y = x.reshaped(with_batch(n, L.spec.output)); break;
  }
  if (keep) {
    L.input = x;
    L.output = y;
  }
  return y;
}

void GanTrainer::Impl::backward_data(ModelState& ms, int i, OpWork& w) {
  Layer& L = ms.layers[std::size_t(i)];
  const Tensor& dy = ms.grad;
  Tensor dx;
  switch (L.spec.type) {
    case LayerType::Linear:
      dx = L.linear->backward_data(dy, &w.arrays);
      w.parallel_arrays = L.arrays;
      break;
    case LayerType::Conv2d:
    case LayerType::ConvTranspose2d:
      dx = L.conv->backward_data(dy, &w.arrays);
      w.parallel_arrays = L.arrays;
      break;
    case LayerType::BatchNorm: {
      // Re-run the cached forward so the norm's own cache is this pass's (the discriminator
      // runs real and fake batches through the same norm).
      L.bn->forward(L.input, true);
      dx = L.bn->backward(dy);
      for (std::size_t c = 0; c < L.bn->grad_gamma.size(); ++c) {
        L.grad_w.data[c] += L.bn->grad_gamma[c];
        L.grad_b.data[c] += L.bn->grad_beta[c];
      }
      w.digital_ops += 12 * dy.size();
      break;
    }
    case LayerType::Relu:
      dx = nn::activate_backward(nn::Activation::Relu, L.input, L.output, dy);
      w.digital_ops += dy.size();
      break;
    case LayerType::LeakyRelu:
      dx = nn::activate_backward(nn::Activation::LeakyRelu, L.input, L.output, dy, L.spec.slope);
      w.digital_ops += 2 * dy.size();
      break;
    case LayerType::Tanh:
      dx = nn::activate_backward(nn::Activation::Tanh, L.input, L.output, dy);
      w.digital_ops += 3 * dy.size();
      break;
    case LayerType::Sigmoid:
      dx = nn::activate_backward(nn::Activation::Sigmoid, L.input, L.output, dy);
      w.digital_ops += 3 * dy.size();
      break;
    case LayerType::Reshape: dx = dy; break;
  }
  dx = dx.reshaped(L.input.shape);
  ms.grad = std::move(dx);
  ms.grad_at = i - 1;
  if (i == 0) ms.input_grad = ms.grad;
}

void GanTrainer::Impl::backward_weight(ModelState& ms, int i, OpWork& w) {
  Layer& L = ms.layers[std::size_t(i)];
  nn::MvmCounts digital;
  nn::WeightGrad wg;
  if (L.linear_grad) wg = L.linear_grad->backward_weight(L.input, ms.grad, &digital);
  else wg = L.conv_grad->backward_weight(L.input, ms.grad, &digital);
  for (std::size_t k = 0; k < wg.weight.data.size(); ++k) L.grad_w.data[k] += wg.weight.data[k];
  for (std::size_t k = 0; k < wg.bias.data.size(); ++k) L.grad_b.data[k] += wg.bias.data[k];
  // Every product of the outer-product sum is one FP32 MAC of the digital unit: per weight,
  // one per sample (linear) or per sample and position of the small tensor (conv kinds).
  int64_t positions = 1;
  if (L.spec.type == LayerType::ConvTranspose2d) positions = int64_t(L.spec.input.at(1)) * L.spec.input.at(2);
  if (L.spec.type == LayerType::Conv2d) positions = int64_t(L.spec.output.at(1)) * L.spec.output.at(2);
  w.digital_macs += L.grad_w.size() * ms.grad.dim(0) * positions;
  w.digital_ops += digital.digital_adds();
}

void GanTrainer::Impl::update(ModelState& ms, int i, float lr, OpWork& w) {
  Layer& L = ms.layers[std::size_t(i)];
  if (!L.has_params()) return;
  ++L.adam_t;
  // Optimizer delta of one tensor (digital unit: ~10 FP32 ops per parameter for Adam).
  const auto delta = [&](const Tensor& grad, AdamState& st) {
    Tensor dlt(grad.shape);
    switch (s.optimizer) {
      case Optimizer::Adam: {
        if (st.m.empty()) st.m.assign(grad.data.size(), 0.f), st.v.assign(grad.data.size(), 0.f);
        const double c1 = 1.0 - std::pow(double(s.beta1), double(L.adam_t));
        const double c2 = 1.0 - std::pow(double(s.beta2), double(L.adam_t));
        for (std::size_t k = 0; k < grad.data.size(); ++k) {
          const float gk = grad.data[k];
          st.m[k] = s.beta1 * st.m[k] + (1 - s.beta1) * gk;
          st.v[k] = s.beta2 * st.v[k] + (1 - s.beta2) * gk * gk;
          dlt.data[k] = float(-lr * (st.m[k] / c1) / (std::sqrt(st.v[k] / c2) + s.eps));
        }
        w.digital_ops += 10 * grad.size();
        break;
      }
      case Optimizer::Sgd:
        for (std::size_t k = 0; k < grad.data.size(); ++k) dlt.data[k] = -lr * grad.data[k];
        w.digital_ops += grad.size();
        break;
      case Optimizer::Manhattan:
        for (std::size_t k = 0; k < grad.data.size(); ++k) {
          const float gk = grad.data[k];
          dlt.data[k] = std::fabs(gk) > s.manhattan_threshold ? (gk > 0 ? -lr : lr) : 0.f;
        }
        w.digital_ops += grad.size();
        break;
    }
    return dlt;
  };
  if (L.bn) {
    const Tensor dg = delta(L.grad_w, L.adam_w), db = delta(L.grad_b, L.adam_b);
    for (std::size_t c = 0; c < dg.data.size(); ++c) {
      L.bn->gamma[c] += dg.data[c];
      L.bn->beta[c] += db.data[c];
    }
  } else {
    const Tensor db = L.grad_b.size() ? delta(L.grad_b, L.adam_b) : Tensor();
    if (s.optimizer == Optimizer::Manhattan) {
      // One pulse per cell against the gradient's sign; biases are digital.
      if (L.linear) L.linear->apply_manhattan(L.grad_w, s.manhattan_threshold, lr, &w.arrays);
      else L.conv->apply_manhattan(L.grad_w, s.manhattan_threshold, lr, &w.arrays);
      const Tensor zero(L.grad_w.shape);
      if (L.linear) L.linear->apply_update(zero, db, &w.arrays);
      else L.conv->apply_update(zero, db, &w.arrays);
    } else {
      const Tensor dw = delta(L.grad_w, L.adam_w);
      if (L.linear) L.linear->apply_update(dw, db, &w.arrays);
      else L.conv->apply_update(dw, db, &w.arrays);
    }
    w.parallel_arrays = L.arrays;
  }
  std::fill(L.grad_w.data.begin(), L.grad_w.data.end(), 0.f);
  std::fill(L.grad_b.data.begin(), L.grad_b.data.end(), 0.f);
}

Tensor GanTrainer::Impl::generate(const std::vector<float>& latents, int count, OpWork& w) {
  // In chunks of the training batch: the conv layers are built for it, and batch norm sees
  // batches of the size it trains with.
  Tensor out(with_batch(count, g.layers.back().spec.output));
  const int64_t per = image_size;
  for (int first = 0; first < count; first += s.batch) {
    Tensor x(with_batch(s.batch, g.input_shape));
    std::copy_n(latents.begin() + int64_t(first) * latent, int64_t(s.batch) * latent, x.data.begin());
    for (int i = 0; i < int(g.layers.size()); ++i) x = forward_layer(g, i, x, w, false);
    const int n = std::min(s.batch, count - first);
    std::copy_n(x.data.begin(), int64_t(n) * per, out.data.begin() + int64_t(first) * per);
  }
  return out;
}

void GanTrainer::Impl::next_epoch() {
  order.resize(std::size_t(real_count));
  for (int k = 0; k < real_count; ++k) order[std::size_t(k)] = k;
  for (int k = real_count - 1; k > 0; --k) std::swap(order[std::size_t(k)], order[rng() % uint64_t(k + 1)]);
  cursor = 0;
}

GanTrainer::GanTrainer(const mapping::Network& net, const TrainerSettings& settings, std::vector<float> real_images,
                       int real_count, const xbar::ArrayGeometry& geometry, const xbar::ConverterParams& converters,
                       const xbar::DeviceParams& device, const xbar::NoiseSourceParams& noise)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.s = settings;
  if (settings.batch < 1) throw std::invalid_argument("train: batch must be >= 1");
  mapping::ArchSpec arch;
  arch.array_rows = geometry.rows;
  arch.array_cols = geometry.cols;
  arch.cell_bits = converters.cell_bits;
  arch.weight_bits = converters.weight_bits;
  arch.input_bits = converters.input_bits;
  arch.dac_bits = converters.dac_bits;
  arch.quantize = converters.quantize;
  arch.encoding = converters.encoding;
  const nn::ArrayShape shape = mapping::array_shape(arch);
  m.grad_engine = nn::FloatGemmEngine(shape);
  if (settings.analog) m.engine = std::make_unique<nn::CrossbarEngine>(geometry, converters, device, settings.seed);
  else m.engine = std::make_unique<nn::FloatGemmEngine>(shape);

  const mapping::ModelSpec& gs = net.model("generator");
  const mapping::ModelSpec& ds = net.model("discriminator");
  if (gs.input.size() != 1) throw std::invalid_argument("train: the generator's input must be a latent vector [n]");
  m.latent = gs.input[0];
  m.image_size = per_sample_size(ds.input);
  if (per_sample_size(gs.layers.back().output) != m.image_size)
    throw std::invalid_argument(fmt::format("train: the generator makes {} values per sample, the discriminator takes {}",
                                            per_sample_size(gs.layers.back().output), m.image_size));
  if (real_count < settings.batch || int64_t(real_images.size()) != int64_t(real_count) * m.image_size)
    throw std::invalid_argument(fmt::format("train: {} real images of {} values do not fill a batch of {}", real_count,
                                            m.image_size, settings.batch));
  m.real = std::move(real_images);
  m.real_count = real_count;

  std::mt19937_64 init_rng(settings.seed * 0x9E3779B97F4A7C15ull + 7);
  m.build(m.g, gs, init_rng, totals_);
  m.build(m.d, ds, init_rng, totals_);
  m.rng.seed(settings.seed * 0x9E3779B97F4A7C15ull + 11);
  m.next_epoch();
  if (settings.device_latent) {
    xbar::DeviceParams cells = device;
    cells.read_noise_sigma = settings.noise_read_sigma;
    m.noise = std::make_unique<xbar::DeviceNoiseSource>(cells, noise, settings.seed + 13);
  }
  // Fixed latents, the same in every run with this seed, so the grids show progress.
  std::mt19937_64 fixed(settings.seed * 0x9E3779B97F4A7C15ull + 17);
  const auto round_up = [&](int n) { return (std::max(n, 1) + settings.batch - 1) / settings.batch * settings.batch; };
  m.eval_latent.resize(std::size_t(round_up(settings.eval_samples)) * m.latent);
  for (auto& v : m.eval_latent) v = float(normal(fixed));
  m.score_latent.resize(std::size_t(round_up(settings.score_samples)) * m.latent);
  for (auto& v : m.score_latent) v = float(normal(fixed));
}

GanTrainer::~GanTrainer() = default;

int GanTrainer::layer_count(Model m) const { return int(impl_->model(m).layers.size()); }
const mapping::LayerSpec& GanTrainer::layer_spec(Model m, int layer) const {
  return impl_->model(m).layers.at(std::size_t(layer)).spec;
}
bool GanTrainer::has_weights(Model m, int layer) const { return impl_->model(m).layers.at(std::size_t(layer)).has_params(); }
bool GanTrainer::on_arrays(Model m, int layer) const { return impl_->model(m).layers.at(std::size_t(layer)).on_arrays(); }
nn::Tensor GanTrainer::weights(Model m, int layer) const {
  const Layer& L = impl_->model(m).layers.at(std::size_t(layer));
  if (L.linear) return L.linear->weights();
  if (L.conv) return L.conv->weights();
  throw std::invalid_argument("weights: the layer is not on crossbars");
}
nn::Tensor GanTrainer::bias(Model m, int layer) const {
  const Layer& L = impl_->model(m).layers.at(std::size_t(layer));
  if (L.linear) return L.linear->bias();
  if (L.conv) return L.conv->bias();
  throw std::invalid_argument("bias: the layer is not on crossbars");
}
const nn::Tensor& GanTrainer::latent_batch() const { return impl_->z; }
const nn::Tensor& GanTrainer::real_batch() const { return impl_->real_batch; }

std::vector<int> GanTrainer::image_shape() const { return impl_->g.layers.back().spec.output; }

OpWork GanTrainer::execute(const TrainOp& op) {
  Impl& m = *impl_;
  OpWork w;
  ModelState& ms = m.model(op.model);
  const int n_layers = int(ms.layers.size());
  const bool layer_op = op.opcode == TrainOpcode::Forward || op.opcode == TrainOpcode::BackwardData ||
                        op.opcode == TrainOpcode::BackwardWeight || op.opcode == TrainOpcode::Update;
  if (layer_op && op.layer >= n_layers)
    throw std::invalid_argument(fmt::format("{}: the {} has {} layers", describe(op), model_name(op.model), n_layers));
  const auto order_error = [&](const std::string& why) {
    return std::logic_error(fmt::format("{}: out of order: {}", describe(op), why));
  };
  switch (op.opcode) {
    case TrainOpcode::Latent: {
      m.z = Tensor(with_batch(m.s.batch, m.g.input_shape));
      if (m.noise) m.noise->gaussian(m.z.ptr(), std::size_t(m.z.size()));
      else
        for (auto& v : m.z.data) v = float(normal(m.rng));
      w.noise_samples = m.z.size();
      break;
    }
    case TrainOpcode::LoadReal: {
      m.real_batch = Tensor(with_batch(m.s.batch, m.d.input_shape));
      for (int k = 0; k < m.s.batch; ++k) {
        if (m.cursor >= m.real_count) m.next_epoch();
        const int idx = m.order[std::size_t(m.cursor++)];
        std::copy_n(m.real.begin() + int64_t(idx) * m.image_size, m.image_size,
                    m.real_batch.data.begin() + int64_t(k) * m.image_size);
      }
      w.dram_bytes = m.real_batch.size();  // 8-bit pixels
      w.digital_ops = m.real_batch.size();  // scaling to [-1, 1]
      break;
    }
    case TrainOpcode::Forward: {
      if (op.layer != ms.next_forward && op.layer != 0)
        throw order_error(fmt::format("layer {} must run forward next", ms.next_forward));
      Tensor x;
      if (op.layer == 0) {
        if (op.model == Model::Generator) {
          if (m.z.size() == 0) throw order_error("no latent batch");
          x = m.z;
        } else {
          if (op.arg == 0) {
            if (m.real_batch.size() == 0) throw order_error("no real batch");
            x = m.real_batch;
          } else {
            if (m.g.next_forward != int(m.g.layers.size())) throw order_error("no fake batch");
            x = m.g.layers.back().output.reshaped(with_batch(m.s.batch, m.d.input_shape));
          }
          ms.forward_slot = op.arg;
        }
      } else {
        x = ms.layers[op.layer - 1u].output;
      }
      m.forward_layer(ms, op.layer, x, w, true);
      ms.next_forward = op.layer + 1;
      ms.grad_at = -1;
      break;
    }
    case TrainOpcode::Loss: {
      if (m.d.next_forward != int(m.d.layers.size())) throw order_error("the discriminator's forward is incomplete");
      const auto kind = LossKind(op.arg);
      const int want_slot = kind == LossKind::DiscriminatorReal ? 0 : 1;
      if (m.d.forward_slot != want_slot) throw order_error("the discriminator's last forward ran the other batch");
      const Tensor& logits = m.d.layers.back().output;
      nn::LossGrad lg;
      if (kind == LossKind::DiscriminatorReal) {
        // A discriminator step starts here: gradients of its previous passes are stale.
        for (auto& L : m.d.layers) {
          std::fill(L.grad_w.data.begin(), L.grad_w.data.end(), 0.f);
          std::fill(L.grad_b.data.begin(), L.grad_b.data.end(), 0.f);
        }
        lg = nn::bce_with_logits(logits, 1.0f);
        m.d_loss = lg.loss;
      } else if (kind == LossKind::DiscriminatorFake) {
        lg = nn::bce_with_logits(logits, 0.0f);
        m.d_loss += lg.loss;
      } else {
        for (auto& L : m.g.layers) {
          std::fill(L.grad_w.data.begin(), L.grad_w.data.end(), 0.f);
          std::fill(L.grad_b.data.begin(), L.grad_b.data.end(), 0.f);
        }
        lg = nn::generator_loss(logits);
        m.g_loss = lg.loss;
      }
      if (kind != LossKind::Generator) {
        double p = 0;
        for (float zv : logits.data) p += 1.0 / (1.0 + std::exp(-double(zv)));
        (kind == LossKind::DiscriminatorReal ? m.d_real : m.d_fake) = p / double(logits.size());
      }
      m.d.grad = lg.grad;
      m.d.grad_at = n_layers - 1 >= 0 ? int(m.d.layers.size()) - 1 : -1;
      w.digital_ops = 12 * logits.size();
      break;
    }
    case TrainOpcode::BackwardData:
    case TrainOpcode::BackwardWeight: {
      if (op.model == Model::Generator && ms.grad_at < 0 && op.layer == n_layers - 1) {
        // The generator's output gradient is the discriminator's input gradient.
        if (m.d.input_grad.size() != m.s.batch * m.image_size || m.d.forward_slot != 1)
          throw order_error("no discriminator input gradient for a fake batch");
        ms.grad = m.d.input_grad.reshaped(ms.layers.back().output.shape);
        ms.grad_at = n_layers - 1;
      }
      if (ms.grad_at != op.layer)
        throw order_error(ms.grad_at < 0 ? std::string("no output gradient")
                                         : fmt::format("the gradient is at layer {}", ms.grad_at));
      if (ms.next_forward != n_layers && !(op.model == Model::Generator)) throw order_error("forward incomplete");
      if (op.opcode == TrainOpcode::BackwardData) {
        m.backward_data(ms, op.layer, w);
      } else {
        if (!ms.layers[op.layer].on_arrays()) throw order_error("the layer has no weight matrix");
        m.backward_weight(ms, op.layer, w);
      }
      break;
    }
    case TrainOpcode::Update:
      m.update(ms, op.layer, op.model == Model::Generator ? m.s.lr_generator : m.s.lr_discriminator, w);
      break;
    case TrainOpcode::StepEnd:
      ++steps_;
      last_.step = steps_;
      last_.d_loss = m.d_loss;
      last_.g_loss = m.g_loss;
      last_.d_real = m.d_real;
      last_.d_fake = m.d_fake;
      break;
    case TrainOpcode::Eval:
    case TrainOpcode::Checkpoint:
      break;  // the engine's host side does the work (sample_grid_images, score_images, save)
  }
  totals_ += w.arrays;
  return w;
}

std::vector<float> GanTrainer::sample_grid_images() {
  OpWork w;
  Tensor t = impl_->generate(impl_->eval_latent, impl_->s.eval_samples, w);
  return t.data;
}

std::vector<float> GanTrainer::score_images() {
  OpWork w;
  Tensor t = impl_->generate(impl_->score_latent, impl_->s.score_samples, w);
  return t.data;
}

void GanTrainer::save(std::ostream& out) const {
  const Impl& m = *impl_;
  put(out, kCheckpointMagic);
  put(out, kCheckpointVersion);
  // Fingerprint: enough to refuse a checkpoint of another network or batch.
  put<int32_t>(out, m.s.batch);
  put<int32_t>(out, int32_t(m.g.layers.size()));
  put<int32_t>(out, int32_t(m.d.layers.size()));
  put<int32_t>(out, m.s.analog ? 1 : 0);
  put(out, steps_);
  put(out, last_);
  put(out, totals_);
  m.engine->save_state(out);
  for (const ModelState* ms : {&m.g, &m.d}) {
    for (const Layer& L : ms->layers) {
      if (L.linear) L.linear->save_state(out);
      if (L.conv) L.conv->save_state(out);
      if (L.bn) {
        put_vec(out, L.bn->gamma);
        put_vec(out, L.bn->beta);
        put_vec(out, L.bn->running_mean);
        put_vec(out, L.bn->running_var);
      }
      put_vec(out, L.adam_w.m);
      put_vec(out, L.adam_w.v);
      put_vec(out, L.adam_b.m);
      put_vec(out, L.adam_b.v);
      put(out, L.adam_t);
    }
  }
  std::ostringstream rng_text;
  rng_text << m.rng;
  const std::string r = rng_text.str();
  put<uint64_t>(out, r.size());
  out.write(r.data(), std::streamsize(r.size()));
  put<uint64_t>(out, m.order.size());
  out.write(reinterpret_cast<const char*>(m.order.data()), std::streamsize(m.order.size() * sizeof(int)));
  put(out, m.cursor);
  put<int32_t>(out, m.noise ? 1 : 0);
  if (m.noise) m.noise->save_state(out);
  if (!out) throw std::runtime_error("checkpoint: write failed");
}

void GanTrainer::load(std::istream& in) {
  Impl& m = *impl_;
  if (get<uint32_t>(in) != kCheckpointMagic) throw std::runtime_error("checkpoint: not a memgan checkpoint (bad magic)");
  const auto version = get<uint32_t>(in);
  if (version != kCheckpointVersion)
    throw std::runtime_error(fmt::format("checkpoint: version {} (this memgan reads {})", version, kCheckpointVersion));
  const auto batch = get<int32_t>(in), gl = get<int32_t>(in), dl = get<int32_t>(in), analog = get<int32_t>(in);
  if (batch != m.s.batch || gl != int32_t(m.g.layers.size()) || dl != int32_t(m.d.layers.size()) ||
      analog != (m.s.analog ? 1 : 0))
    throw std::runtime_error("checkpoint: made for another network, batch or mode than this config's");
  steps_ = get<int64_t>(in);
  last_ = get<StepStats>(in);
  totals_ = get<nn::MvmCounts>(in);
  m.engine->load_state(in);
  for (ModelState* ms : {&m.g, &m.d}) {
    for (Layer& L : ms->layers) {
      if (L.linear) L.linear->load_state(in);
      if (L.conv) L.conv->load_state(in);
      if (L.bn) {
        const std::size_t c = L.bn->gamma.size();
        L.bn->gamma = get_vec(in, c);
        L.bn->beta = get_vec(in, c);
        L.bn->running_mean = get_vec(in, c);
        L.bn->running_var = get_vec(in, c);
      }
      const std::size_t nw = std::size_t(L.grad_w.size()), nb = std::size_t(L.grad_b.size());
      const auto moments = [&](std::size_t n) {
        const auto peek = get<uint64_t>(in);
        in.seekg(-std::streamoff(sizeof(uint64_t)), std::ios::cur);
        return get_vec(in, peek == 0 ? 0 : n);
      };
      L.adam_w.m = moments(nw);
      L.adam_w.v = moments(nw);
      L.adam_b.m = moments(nb);
      L.adam_b.v = moments(nb);
      L.adam_t = get<int64_t>(in);
    }
  }
  const auto rn = get<uint64_t>(in);
  if (rn > 1 << 20) throw std::runtime_error("checkpoint: corrupt generator state");
  std::string r(rn, '\0');
  if (!in.read(r.data(), std::streamsize(rn))) throw std::runtime_error("checkpoint: truncated");
  std::istringstream rng_text(r);
  rng_text >> m.rng;
  const auto on = get<uint64_t>(in);
  if (on != uint64_t(m.real_count)) throw std::runtime_error("checkpoint: made with another data set size");
  if (!in.read(reinterpret_cast<char*>(m.order.data()), std::streamsize(on * sizeof(int))))
    throw std::runtime_error("checkpoint: truncated");
  m.cursor = get<int64_t>(in);
  const auto has_noise = get<int32_t>(in);
  if ((has_noise != 0) != bool(m.noise)) throw std::runtime_error("checkpoint: latent source differs from this config's");
  if (m.noise) m.noise->load_state(in);
}

}  // namespace memgan::train
