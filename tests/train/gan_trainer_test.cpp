// The trainer driven by the compiled training program (no SystemC): one SGD step of a tiny
// fully connected GAN against a reference written independently with plain loops, ordering
// errors, and bit-exact checkpoint/resume with every device non-ideality on.
#include <cmath>
#include <sstream>

#include <gtest/gtest.h>

#include "core/mapping/network.h"
#include "tests/tiny_gan.h"
#include "core/train/gan_trainer.h"
#include "firmware/train_program.h"

namespace {

using memgan::nn::Tensor;
using memgan::train::GanTrainer;
using memgan::train::Model;

const char* const kTinyNet = memgan::testing::kTinyGan;

constexpr uint32_t kCmd = 0x100, kDone = 0x104;

// Runs the program's engine commands (WRITE32 CMD words, loops expanded) on the trainer.
void run_program(GanTrainer& t, const memgan::mapping::Network& net, int64_t first, int64_t steps) {
  memgan::firmware::TrainSchedule s;
  s.first_step = first;
  s.steps = steps;
  s.eval_every = 1;
  s.eval_at_start = false;
  const auto prog = memgan::firmware::compile_training(net, s, {kCmd, kDone, 1, 0, 0});
  for (size_t i : memgan::firmware::trace_execution(prog.commands, 1u << 24)) {
    const auto& c = prog.commands[i];
    if (c.op == memgan::firmware::Opcode::Write32 && c.a == kCmd) {
      const auto op = memgan::train::decode_train_op(c.b);
      ASSERT_TRUE(op.has_value());
      t.execute(*op);
    }
  }
}

std::vector<float> ramp_images(int count, int size) {
  std::vector<float> v(std::size_t(count) * size);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = float(std::sin(0.7 * double(i)));
  return v;
}


// A dense layer in doubles, PyTorch semantics (W out x in).
struct Dense {
  int in = 0, out = 0;
  std::vector<double> w, b;
  std::vector<double> forward(const std::vector<double>& x, int n) const {
    std::vector<double> y(std::size_t(n) * out);
    for (int s = 0; s < n; ++s)
      for (int o = 0; o < out; ++o) {
        double acc = b[std::size_t(o)];
        for (int i = 0; i < in; ++i) acc += w[std::size_t(o) * in + i] * x[std::size_t(s) * in + i];
        y[std::size_t(s) * out + o] = acc;
      }
    return y;
  }
};

Dense dense_of(const GanTrainer& t, Model m, int layer) {
  const Tensor w = t.weights(m, layer), b = t.bias(m, layer);
  Dense d;
  d.out = w.shape[0];
  d.in = w.shape[1];
  d.w.assign(w.data.begin(), w.data.end());
  d.b.assign(b.data.begin(), b.data.end());
  return d;
}

// Discriminator pass: fills h (pre-activation), a, logits; backward from d logits adds the
// parameter gradients and returns d input.
struct DiscPass {
  std::vector<double> h, a, z;
};
DiscPass disc_forward(const Dense& l1, const Dense& l2, const std::vector<double>& x, int n) {
  DiscPass p;
  p.h = l1.forward(x, n);
  p.a = p.h;
  for (auto& v : p.a) v = v > 0 ? v : 0.2 * v;
  p.z = l2.forward(p.a, n);
  return p;
}
std::vector<double> disc_backward(const Dense& l1, const Dense& l2, const DiscPass& p, const std::vector<double>& x,
                                  const std::vector<double>& dz, int n, Dense* g1, Dense* g2) {
  std::vector<double> dh(p.h.size()), dx(std::size_t(n) * l1.in, 0.0);
  for (int s = 0; s < n; ++s) {
    for (int j = 0; j < l2.in; ++j) {
      if (g2) g2->w[std::size_t(j)] += dz[std::size_t(s)] * p.a[std::size_t(s) * l2.in + j];
      const double da = dz[std::size_t(s)] * l2.w[std::size_t(j)];
      dh[std::size_t(s) * l2.in + j] = da * (p.h[std::size_t(s) * l2.in + j] > 0 ? 1.0 : 0.2);
    }
    if (g2) g2->b[0] += dz[std::size_t(s)];
  }
  for (int s = 0; s < n; ++s)
    for (int o = 0; o < l1.out; ++o) {
      const double g = dh[std::size_t(s) * l1.out + o];
      if (g1) g1->b[std::size_t(o)] += g;
      for (int i = 0; i < l1.in; ++i) {
        if (g1) g1->w[std::size_t(o) * l1.in + i] += g * x[std::size_t(s) * l1.in + i];
        dx[std::size_t(s) * l1.in + i] += g * l1.w[std::size_t(o) * l1.in + i];
      }
    }
  return dx;
}

std::vector<double> bce_grad(const std::vector<double>& z, double target) {
  std::vector<double> g(z.size());
  for (std::size_t i = 0; i < z.size(); ++i) g[i] = (1.0 / (1.0 + std::exp(-z[i])) - target) / double(z.size());
  return g;
}

void sgd(Dense& d, const Dense& g, double lr) {
  for (std::size_t i = 0; i < d.w.size(); ++i) d.w[i] -= lr * g.w[i];
  for (std::size_t i = 0; i < d.b.size(); ++i) d.b[i] -= lr * g.b[i];
}

Dense zeros_like(const Dense& d) {
  Dense z = d;
  std::fill(z.w.begin(), z.w.end(), 0.0);
  std::fill(z.b.begin(), z.b.end(), 0.0);
  return z;
}

memgan::train::TrainerSettings digital_sgd() {
  memgan::train::TrainerSettings s;
  s.analog = false;
  s.batch = 4;
  s.optimizer = memgan::train::Optimizer::Sgd;
  s.lr_generator = s.lr_discriminator = 0.05f;
  s.init_std = 0.3f;
  s.device_latent = false;
  s.eval_samples = 4;
  s.score_samples = 4;
  s.seed = 5;
  return s;
}

}  // namespace

TEST(GanTrainer, OneStepMatchesAPlainLoopReference) {
  const auto net = memgan::mapping::parse_network(kTinyNet, "tiny.yaml");
  GanTrainer t(net, digital_sgd(), ramp_images(8, 8), 8, {16, 16}, {}, {}, {});
  Dense g = dense_of(t, Model::Generator, 0), d1 = dense_of(t, Model::Discriminator, 0),
        d2 = dense_of(t, Model::Discriminator, 2);
  run_program(t, net, 0, 1);
  ASSERT_EQ(t.steps_done(), 1);
  const int n = 4;
  const std::vector<double> zlat(t.latent_batch().data.begin(), t.latent_batch().data.end());
  const std::vector<double> real(t.real_batch().data.begin(), t.real_batch().data.end());
  std::vector<double> fake = g.forward(zlat, n);
  for (auto& v : fake) v = std::tanh(v);
  // Discriminator step: gradients of bce(D(real), 1) + bce(D(fake), 0), one SGD update.
  Dense g1 = zeros_like(d1), g2 = zeros_like(d2);
  const DiscPass pr = disc_forward(d1, d2, real, n);
  disc_backward(d1, d2, pr, real, bce_grad(pr.z, 1.0), n, &g1, &g2);
  const DiscPass pf = disc_forward(d1, d2, fake, n);
  disc_backward(d1, d2, pf, fake, bce_grad(pf.z, 0.0), n, &g1, &g2);
  sgd(d1, g1, 0.05);
  sgd(d2, g2, 0.05);
  // Generator step through the updated discriminator, non-saturating loss.
  const DiscPass pg = disc_forward(d1, d2, fake, n);
  const std::vector<double> dfake = disc_backward(d1, d2, pg, fake, bce_grad(pg.z, 1.0), n, nullptr, nullptr);
  Dense gg = zeros_like(g);
  for (int s = 0; s < n; ++s)
    for (int o = 0; o < g.out; ++o) {
      const double f = fake[std::size_t(s) * g.out + o];
      const double dy = dfake[std::size_t(s) * g.out + o] * (1 - f * f);
      gg.b[std::size_t(o)] += dy;
      for (int i = 0; i < g.in; ++i) gg.w[std::size_t(o) * g.in + i] += dy * zlat[std::size_t(s) * g.in + i];
    }
  sgd(g, gg, 0.05);

  const auto expect_near = [](const Dense& ref, const GanTrainer& tr, Model m, int layer) {
    const Tensor w = tr.weights(m, layer), b = tr.bias(m, layer);
    for (std::size_t i = 0; i < ref.w.size(); ++i) EXPECT_NEAR(w.data[i], ref.w[i], 2e-6) << "w" << i;
    for (std::size_t i = 0; i < ref.b.size(); ++i) EXPECT_NEAR(b.data[i], ref.b[i], 2e-6) << "b" << i;
  };
  expect_near(d1, t, Model::Discriminator, 0);
  expect_near(d2, t, Model::Discriminator, 2);
  expect_near(g, t, Model::Generator, 0);
  // The step's statistics are those of the discriminator step.
  double d_loss = 0;
  for (double z : pr.z) d_loss += std::log1p(std::exp(-z)) / n;
  for (double z : pf.z) d_loss += std::log1p(std::exp(z)) / n;
  EXPECT_NEAR(t.last_step().d_loss, d_loss, 1e-5);
}

TEST(GanTrainer, OperationsOutOfOrderAreRejected) {
  const auto net = memgan::mapping::parse_network(kTinyNet, "tiny.yaml");
  GanTrainer t(net, digital_sgd(), ramp_images(8, 8), 8, {16, 16}, {}, {}, {});
  using memgan::train::TrainOp;
  using memgan::train::TrainOpcode;
  TrainOp op;
  op.opcode = TrainOpcode::Forward;
  op.model = Model::Generator;
  op.layer = 0;
  try {
    t.execute(op);
    FAIL() << "forward without a latent batch";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("no latent batch"), std::string::npos) << e.what();
  }
  op.opcode = TrainOpcode::BackwardData;
  op.model = Model::Discriminator;
  op.layer = 2;
  EXPECT_THROW(t.execute(op), std::logic_error);
  op.layer = 7;
  EXPECT_THROW(t.execute(op), std::invalid_argument);
}

// The platform holds the data set in its DRAM: the trainer releases its pixels, each LOAD_REAL
// names the images it drew, and the batch is the pixels delivered for them, mapped exactly as
// a trainer that kept them maps its own.
TEST(GanTrainer, RealBatchesFromThePlatformAreTheOnesItWouldLoad) {
  const auto net = memgan::mapping::parse_network(kTinyNet, "tiny.yaml");
  std::vector<uint8_t> pixels(8 * 8);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = uint8_t(37 * i + 11);
  GanTrainer own(net, digital_sgd(), pixels, 8, {16, 16}, {}, {}, {});
  GanTrainer platform(net, digital_sgd(), pixels, 8, {16, 16}, {}, {}, {});
  const std::vector<uint8_t> dram = platform.release_real_pixels();
  EXPECT_EQ(dram, pixels);
  EXPECT_EQ(platform.image_bytes(), 8);
  EXPECT_THROW(platform.release_real_pixels(), std::logic_error);
  memgan::train::TrainOp load, forward;
  load.opcode = memgan::train::TrainOpcode::LoadReal;
  forward.opcode = memgan::train::TrainOpcode::Forward;
  forward.model = Model::Discriminator;
  forward.layer = 0;
  forward.arg = 0;  // the real slot
  for (int batch = 0; batch < 3; ++batch) {  // past the 8-image epoch: a reshuffle
    own.execute(load);
    platform.execute(load);
    EXPECT_TRUE(own.real_indices().empty()) << "a trainer with its pixels loads them itself";
    const std::vector<int> idx = platform.real_indices();
    ASSERT_EQ(idx.size(), 4u);
    if (batch == 0) {
      try {
        platform.execute(forward);
        FAIL() << "the batch is used before it arrived";
      } catch (const std::logic_error& e) {
        EXPECT_NE(std::string(e.what()).find("not delivered"), std::string::npos) << e.what();
      }
      EXPECT_THROW(platform.deliver_real(dram.data(), 31), std::invalid_argument);
    }
    std::vector<uint8_t> gathered;
    for (int i : idx) gathered.insert(gathered.end(), dram.begin() + i * 8, dram.begin() + (i + 1) * 8);
    platform.deliver_real(gathered.data(), int64_t(gathered.size()));
    EXPECT_EQ(platform.real_batch().data, own.real_batch().data) << "batch " << batch;
  }
}

TEST(GanTrainer, CheckpointResumesBitIdenticallyOnNoisyArrays) {
  const auto net = memgan::mapping::parse_network(kTinyNet, "tiny.yaml");
  memgan::train::TrainerSettings s = digital_sgd();
  s.analog = true;
  s.optimizer = memgan::train::Optimizer::Adam;
  s.device_latent = true;
  s.lr_generator = s.lr_discriminator = 0.01f;
  memgan::xbar::ConverterParams cv;
  cv.cell_bits = 4;
  cv.weight_bits = 5;
  cv.dac_bits = 2;
  memgan::xbar::DeviceParams dev;
  dev.levels = 16;
  dev.program_sigma = 0.05;
  dev.read_noise_sigma = 0.02;
  dev.stuck_on_rate = 0.01;
  dev.pulse.pulses_full_range = 128;
  dev.pulse.nonlinearity_ltp = 1.5;
  dev.pulse.c2c_sigma = 0.2;
  memgan::xbar::NoiseSourceParams np;
  np.pairs = 8;
  GanTrainer a(net, s, ramp_images(8, 8), 8, {16, 16}, cv, dev, np);
  run_program(a, net, 0, 2);
  std::stringstream snapshot;
  a.save(snapshot);
  run_program(a, net, 2, 3);

  GanTrainer b(net, s, ramp_images(8, 8), 8, {16, 16}, cv, dev, np);
  b.load(snapshot);
  EXPECT_EQ(b.steps_done(), 2);
  run_program(b, net, 2, 3);
  std::stringstream end_a, end_b;
  a.save(end_a);
  b.save(end_b);
  EXPECT_EQ(end_a.str(), end_b.str());
  EXPECT_EQ(a.last_step().g_loss, b.last_step().g_loss);
  EXPECT_GT(a.cells_written(), 0);

  // A corrupted or foreign checkpoint is refused with a reason.
  std::string bytes = snapshot.str();
  bytes[8] ^= 0x55;  // the tag's first letter, after its u64 length
  std::istringstream bad(bytes);
  try {
    b.load(bad);
    FAIL() << "a foreign tag was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("expected a memgan-checkpoint state"), std::string::npos) << e.what();
  }
}
