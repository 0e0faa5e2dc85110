#include "core/train/gan_trainer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "core/mapping/mapper.h"
#include "core/nn/activation.h"
#include "core/nn/batchnorm.h"
#include "core/nn/linear.h"
#include "core/nn/loss.h"

namespace memgan::train {
namespace {

using mapping::LayerType;
using nn::Tensor;

// Digital-unit operations per element of an element-wise layer (shared with the cost model).
int64_t ew(LayerType t, bool backward) { return mapping::elementwise_ops_per_element(t, backward); }

// Checkpoint framing (xbar::state_io, as the arrays and engines save themselves).
constexpr const char* kCheckpointTag = "memgan-checkpoint";
constexpr uint32_t kCheckpointVersion = 1;
constexpr const char* kWhat = "checkpoint";

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
  void zero_grads() {
    std::fill(grad_w.data.begin(), grad_w.data.end(), 0.f);
    std::fill(grad_b.data.begin(), grad_b.data.end(), 0.f);
  }
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
  std::vector<float> real;            // the real images in [-1, 1], or
  std::vector<uint8_t> real_pixels;   // as 8-bit pixels, mapped to [-1, 1] per batch
  bool platform_data = false;         // the pixels are in the platform's DRAM (release_real_pixels)
  std::vector<int> real_indices;      // the last LOAD_REAL's images, for the platform to fetch
  bool real_delivered = false;        // their pixels have arrived (deliver_real)
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
  // The network file's per-sample input shape (optional there: then as it comes).
  const Tensor x = L.spec.input.empty() ? x_in : x_in.reshaped(with_batch(n, L.spec.input));
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
      w.digital_ops += ew(LayerType::BatchNorm, false) * x.size();
      break;
    case LayerType::Relu:
      y = nn::activate(nn::Activation::Relu, x);
      w.digital_ops += ew(LayerType::Relu, false) * x.size();
      break;
    case LayerType::LeakyRelu:
      y = nn::activate(nn::Activation::LeakyRelu, x, L.spec.slope);
      w.digital_ops += ew(LayerType::LeakyRelu, false) * x.size();
      break;
    case LayerType::Tanh:
      y = nn::activate(nn::Activation::Tanh, x);
      w.digital_ops += ew(LayerType::Tanh, false) * x.size();
      break;
    case LayerType::Sigmoid:
      y = nn::activate(nn::Activation::Sigmoid, x);
      w.digital_ops += ew(LayerType::Sigmoid, false) * x.size();
      break;
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
      w.digital_ops += ew(LayerType::BatchNorm, true) * dy.size();
      break;
    }
    case LayerType::Relu:
      dx = nn::activate_backward(nn::Activation::Relu, L.input, L.output, dy);
      w.digital_ops += ew(LayerType::Relu, true) * dy.size();
      break;
    case LayerType::LeakyRelu:
      dx = nn::activate_backward(nn::Activation::LeakyRelu, L.input, L.output, dy, L.spec.slope);
      w.digital_ops += ew(LayerType::LeakyRelu, true) * dy.size();
      break;
    case LayerType::Tanh:
      dx = nn::activate_backward(nn::Activation::Tanh, L.input, L.output, dy);
      w.digital_ops += ew(LayerType::Tanh, true) * dy.size();
      break;
    case LayerType::Sigmoid:
      dx = nn::activate_backward(nn::Activation::Sigmoid, L.input, L.output, dy);
      w.digital_ops += ew(LayerType::Sigmoid, true) * dy.size();
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
  L.zero_grads();
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
    : GanTrainer(net, settings, RealImages{std::move(real_images), {}}, real_count, geometry, converters, device,
                 noise) {}

GanTrainer::GanTrainer(const mapping::Network& net, const TrainerSettings& settings, std::vector<uint8_t> real_pixels,
                       int real_count, const xbar::ArrayGeometry& geometry, const xbar::ConverterParams& converters,
                       const xbar::DeviceParams& device, const xbar::NoiseSourceParams& noise)
    : GanTrainer(net, settings, RealImages{{}, std::move(real_pixels)}, real_count, geometry, converters, device,
                 noise) {}

GanTrainer::GanTrainer(const mapping::Network& net, const TrainerSettings& settings, RealImages real,
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
  m.latent = latent_length(gs);
  m.image_size = per_sample_size(ds.input);
  if (per_sample_size(gs.layers.back().output) != m.image_size)
    throw std::invalid_argument(fmt::format("train: the generator makes {} values per sample, the discriminator takes {}",
                                            per_sample_size(gs.layers.back().output), m.image_size));
  const int64_t real_values = int64_t(real.pixels.empty() ? real.values.size() : real.pixels.size());
  if (real_count < settings.batch || real_values != int64_t(real_count) * m.image_size)
    throw std::invalid_argument(fmt::format("train: {} real images of {} values do not fill a batch of {}", real_count,
                                            m.image_size, settings.batch));
  m.real = std::move(real.values);
  m.real_pixels = std::move(real.pixels);
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
int64_t GanTrainer::relocate_arrays(const nn::CrossbarEngine::ArrayHome& home) {
  auto* crossbars = dynamic_cast<nn::CrossbarEngine*>(impl_->engine.get());
  return crossbars ? crossbars->relocate(home) : 0;
}

int64_t GanTrainer::weight_count(Model m, int layer) const {
  const Layer& L = impl_->model(m).layers.at(std::size_t(layer));
  return L.on_arrays() ? L.grad_w.size() : 0;
}
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

std::vector<uint8_t> GanTrainer::release_real_pixels() {
  Impl& m = *impl_;
  if (m.platform_data) throw std::logic_error("GanTrainer: the real pixels were released already");
  if (m.real_pixels.empty() && !m.real.empty())
    throw std::logic_error("GanTrainer: the real images are floats, not 8-bit pixels a DRAM would hold");
  m.platform_data = true;
  return std::move(m.real_pixels);
}

int64_t GanTrainer::image_bytes() const { return impl_->image_size; }

const std::vector<int>& GanTrainer::real_indices() const { return impl_->real_indices; }

void GanTrainer::deliver_real(const uint8_t* pixels, int64_t bytes) {
  Impl& m = *impl_;
  if (!m.platform_data || m.real_delivered) return;
  const int64_t want = int64_t(m.real_indices.size()) * m.image_size;
  if (bytes != want)
    throw std::invalid_argument(fmt::format("GanTrainer::deliver_real: {} bytes for {} images of {}", bytes,
                                            m.real_indices.size(), m.image_size));
  float* dst = m.real_batch.data.data();
  for (int64_t i = 0; i < bytes; ++i) dst[i] = float((2.0 * pixels[i] - 255.0) / 255.0);
  m.real_delivered = true;
}

std::vector<int> GanTrainer::image_shape() const { return impl_->g.layers.back().spec.output; }

OpWork GanTrainer::execute(const TrainOp& op) {
  Impl& m = *impl_;
  OpWork w;
  ModelState& ms = m.model(op.model);
  const int n_layers = int(ms.layers.size());
  if (is_layer_op(op.opcode) && op.layer >= n_layers)
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
      m.real_indices.clear();
      m.real_delivered = !m.platform_data;
      for (int k = 0; k < m.s.batch; ++k) {
        if (m.cursor >= m.real_count) m.next_epoch();
        const int idx = m.order[std::size_t(m.cursor++)];
        float* dst = m.real_batch.data.data() + int64_t(k) * m.image_size;
        if (m.platform_data) {
          m.real_indices.push_back(idx);  // the platform fetches its pixels from DRAM
        } else if (m.real_pixels.empty()) {
          std::copy_n(m.real.begin() + int64_t(idx) * m.image_size, m.image_size, dst);
        } else {
          const uint8_t* src = m.real_pixels.data() + int64_t(idx) * m.image_size;
          for (int64_t i = 0; i < m.image_size; ++i) dst[i] = float((2.0 * src[i] - 255.0) / 255.0);
        }
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
            if (!m.real_delivered) throw order_error("the real batch's pixels were not delivered (deliver_real)");
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
        for (auto& L : m.d.layers) L.zero_grads();
        lg = nn::bce_with_logits(logits, 1.0f);
        m.d_loss = lg.loss;
      } else if (kind == LossKind::DiscriminatorFake) {
        lg = nn::bce_with_logits(logits, 0.0f);
        m.d_loss += lg.loss;
      } else {
        for (auto& L : m.g.layers) L.zero_grads();
        lg = nn::generator_loss(logits);
        m.g_loss = lg.loss;
      }
      if (kind != LossKind::Generator) {
        double p = 0;
        for (float zv : logits.data) p += 1.0 / (1.0 + std::exp(-double(zv)));
        (kind == LossKind::DiscriminatorReal ? m.d_real : m.d_fake) = p / double(logits.size());
      }
      m.d.grad = lg.grad;
      m.d.grad_at = int(m.d.layers.size()) - 1;
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
      if (ms.next_forward != n_layers) throw order_error("the model's forward pass is incomplete");
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
  namespace io = xbar::state_io;
  const Impl& m = *impl_;
  io::write_tag(out, kCheckpointTag, kCheckpointVersion);
  // Fingerprint: enough to refuse a checkpoint of another network, batch or mode.
  for (const int32_t v : {m.s.batch, int32_t(m.g.layers.size()), int32_t(m.d.layers.size()), int32_t(m.s.analog)})
    io::write(out, v);
  io::write(out, steps_);
  io::write(out, last_);
  io::write(out, totals_);
  m.engine->save_state(out);
  for (const ModelState* ms : {&m.g, &m.d}) {
    for (const Layer& L : ms->layers) {
      if (L.linear) L.linear->save_state(out);
      if (L.conv) L.conv->save_state(out);
      if (L.bn) {
        for (const auto* v : {&L.bn->gamma, &L.bn->beta, &L.bn->running_mean, &L.bn->running_var})
          io::write_vector(out, *v);
      }
      for (const auto* v : {&L.adam_w.m, &L.adam_w.v, &L.adam_b.m, &L.adam_b.v}) io::write_vector(out, *v);
      io::write(out, L.adam_t);
    }
  }
  std::ostringstream rng_text;
  rng_text << m.rng;
  io::write_string(out, rng_text.str());
  io::write_vector(out, m.order);
  io::write(out, m.cursor);
  io::write<int32_t>(out, m.noise ? 1 : 0);
  if (m.noise) m.noise->save_state(out);
  if (!out) throw std::runtime_error("checkpoint: write failed");
}

void GanTrainer::load(std::istream& in) {
  namespace io = xbar::state_io;
  Impl& m = *impl_;
  io::read_tag(in, kCheckpointTag, kCheckpointVersion, kWhat);
  for (const int32_t want : {m.s.batch, int32_t(m.g.layers.size()), int32_t(m.d.layers.size()), int32_t(m.s.analog)})
    if (io::read<int32_t>(in, kWhat) != want)
      throw std::runtime_error("checkpoint: made for another network, batch or mode than this config's");
  steps_ = io::read<int64_t>(in, kWhat);
  last_ = io::read<StepStats>(in, kWhat);
  totals_ = io::read<nn::MvmCounts>(in, kWhat);
  m.engine->load_state(in);
  for (ModelState* ms : {&m.g, &m.d}) {
    for (Layer& L : ms->layers) {
      if (L.linear) L.linear->load_state(in);
      if (L.conv) L.conv->load_state(in);
      if (L.bn) {
        const uint64_t c = L.bn->gamma.size();
        for (auto* v : {&L.bn->gamma, &L.bn->beta, &L.bn->running_mean, &L.bn->running_var})
          io::read_vector(in, *v, kWhat, c);
      }
      // Adam moments are empty until the layer's first update.
      for (auto [v, n] : {std::pair{&L.adam_w.m, L.grad_w.size()}, std::pair{&L.adam_w.v, L.grad_w.size()},
                          std::pair{&L.adam_b.m, L.grad_b.size()}, std::pair{&L.adam_b.v, L.grad_b.size()}}) {
        io::read_vector(in, *v, kWhat);
        if (!v->empty() && int64_t(v->size()) != n) io::size_mismatch(kWhat, v->size(), uint64_t(n));
      }
      L.adam_t = io::read<int64_t>(in, kWhat);
    }
  }
  std::istringstream rng_text(io::read_string(in, kWhat, 1 << 16));
  rng_text >> m.rng;
  io::read_vector(in, m.order, kWhat, uint64_t(m.real_count));
  m.cursor = io::read<int64_t>(in, kWhat);
  // The data order indexes the real images: a corrupt one would read outside them.
  for (const auto i : m.order)
    if (int64_t(i) < 0 || int64_t(i) >= int64_t(m.real_count))
      throw std::runtime_error(fmt::format("checkpoint: data order names image {} of {}", int64_t(i), m.real_count));
  if (m.cursor < 0 || m.cursor > int64_t(m.order.size()))
    throw std::runtime_error(fmt::format("checkpoint: data cursor {} outside [0, {}]", m.cursor, m.order.size()));
  if ((io::read<int32_t>(in, kWhat) != 0) != bool(m.noise))
    throw std::runtime_error("checkpoint: latent source differs from this config's");
  if (m.noise) m.noise->load_state(in);
}

}  // namespace memgan::train
