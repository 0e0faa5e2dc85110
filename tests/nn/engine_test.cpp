#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include "core/nn/mvm_engine.h"
#include "tests/nn/reference.h"

namespace memgan::nn {
namespace {

std::vector<float> random_vector(std::size_t n, std::mt19937& rng) {
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// y = x W and dx = dy W^T with plain loops.
std::vector<float> product(const std::vector<float>& x, const std::vector<float>& w, int batch, int k, int n,
                           bool transposed) {
  const int in = transposed ? n : k, out = transposed ? k : n;
  std::vector<float> y(std::size_t(batch) * out);
  for (int b = 0; b < batch; ++b)
    for (int j = 0; j < out; ++j) {
      double acc = 0;
      for (int i = 0; i < in; ++i)
        acc += double(x[std::size_t(b) * in + i]) * (transposed ? w[std::size_t(j) * n + i] : w[std::size_t(i) * n + j]);
      y[std::size_t(b) * out + j] = float(acc);
    }
  return y;
}

double rel_max(const std::vector<float>& a, const std::vector<float>& b) {
  return ref::rel_max_error(Tensor({int(a.size())}, a), Tensor({int(b.size())}, b));
}

xbar::ConverterParams analog() {
  xbar::ConverterParams c;
  c.quantize = false;
  return c;
}

TEST(FloatGemmEngine, ComputesBothDirectionsAndCountsTiles) {
  std::mt19937 rng(1);
  const int k = 13, n = 11, batch = 3;
  const auto w = random_vector(std::size_t(k) * n, rng), x = random_vector(std::size_t(batch) * k, rng);
  auto dy = random_vector(std::size_t(batch) * n, rng);
  dy[0] = 0;
  FloatGemmEngine e({8, 5, 2, 3});
  MvmCounts load, fwd, bwd;
  e.load(4, w.data(), k, n, &load);
  EXPECT_EQ(load.arrays_used, 2 * 3);
  EXPECT_EQ(load.weights_programmed, k * n);
  std::vector<float> y(std::size_t(batch) * n), dx(std::size_t(batch) * k);
  e.mvm(4, x.data(), batch, y.data(), &fwd);
  e.mvm_transposed(4, dy.data(), batch, dx.data(), &bwd);
  EXPECT_LE(rel_max(y, product(x, w, batch, k, n, false)), 1e-6);
  EXPECT_LE(rel_max(dx, product(dy, w, batch, k, n, true)), 1e-6);
  EXPECT_EQ(fwd.logical_mvms, batch);
  EXPECT_EQ(fwd.array_reads, batch * 2 * 3 * 3);                 // v * rt * ct * nc
  EXPECT_EQ(bwd.array_reads, batch * 2 * 3 * 3 * 2);             // transposed: also per slice
  EXPECT_EQ(fwd.adc_conversions, batch * 2 * 3 * 2 * n);         // v * rt * nc * ns * n
  EXPECT_EQ(bwd.inputs_nonzero, batch * n - 1);
  EXPECT_EQ(fwd.partial_sum_adds, batch * n);                    // two row tiles
}

TEST(CrossbarEngine, IdealDeviceEqualsFloatAcrossTiles) {
  std::mt19937 rng(2);
  const int k = 13, n = 11, batch = 4;
  const auto w = random_vector(std::size_t(k) * n, rng), x = random_vector(std::size_t(batch) * k, rng),
             dy = random_vector(std::size_t(batch) * n, rng);
  CrossbarEngine e({8, 10}, analog(), {}, 5);
  EXPECT_EQ(e.array_shape().rows, 8);
  EXPECT_EQ(e.array_shape().cols, 5);
  e.load(0, w.data(), k, n, nullptr);
  EXPECT_EQ(e.matrix(0).arrays(), 2 * 3);
  std::vector<float> y(std::size_t(batch) * n), dx(std::size_t(batch) * k);
  MvmCounts c;
  e.mvm(0, x.data(), batch, y.data(), &c);
  e.mvm_transposed(0, dy.data(), batch, dx.data(), &c);
  EXPECT_LE(rel_max(y, product(x, w, batch, k, n, false)), 1e-5);
  EXPECT_LE(rel_max(dx, product(dy, w, batch, k, n, true)), 1e-5);
  EXPECT_GT(c.array_energy_pj, 0);
}

// With a lossless ADC the quantized engine computes s_x s_w sum(q_x q_w) exactly, where
// q_x = round(x / s_x), s_x = max|x| / 127 per call, and q_w, s_w likewise per matrix.
TEST(CrossbarEngine, QuantizedFollowsTheDocumentedRounding) {
  std::mt19937 rng(3);
  const int k = 20, n = 7, batch = 3;
  const auto w = random_vector(std::size_t(k) * n, rng), x = random_vector(std::size_t(batch) * k, rng);
  xbar::ConverterParams q;
  ASSERT_EQ(xbar::mvm_error_bound(q, 16), 0.0);
  CrossbarEngine e({16, 32}, q, {}, 7);
  e.load(0, w.data(), k, n, nullptr);
  std::vector<float> y(std::size_t(batch) * n);
  e.mvm(0, x.data(), batch, y.data(), nullptr);

  const auto quantize = [](const std::vector<float>& v, float& scale) {
    float peak = 0;
    for (const float a : v) peak = std::max(peak, std::fabs(a));
    scale = peak / 127.0f;
    std::vector<float> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = std::nearbyint(v[i] / scale);
    return out;
  };
  float sx, sw;
  const auto qx = quantize(x, sx), qw = quantize(w, sw);
  std::vector<float> want = product(qx, qw, batch, k, n, false);
  for (auto& v : want) v *= sx * sw;
  EXPECT_LE(rel_max(y, want), 1e-6);
  EXPECT_GT(rel_max(y, product(x, w, batch, k, n, false)), 1e-4);  // it did quantize
}

TEST(CrossbarEngine, ReloadReusesArraysAndReleaseFreesThem) {
  std::vector<float> w(30, 0.5f);
  CrossbarEngine e({8, 10}, analog(), {}, 1);
  MvmCounts c;
  e.load(1, w.data(), 10, 3, &c);
  EXPECT_EQ(e.arrays_allocated(), 2);
  EXPECT_EQ(c.arrays_used, 2);
  e.load(1, w.data(), 10, 3, nullptr);
  EXPECT_EQ(e.arrays_allocated(), 2);
  e.load(1, w.data(), 3, 10, nullptr);
  EXPECT_EQ(e.arrays_allocated(), 2);  // 1 row tile x 2 column tiles
  EXPECT_EQ(e.matrix(1).col_tiles, 2);
  e.release(1);
  EXPECT_EQ(e.arrays_allocated(), 0);
  EXPECT_GT(e.program_stats().cells_written, 0);
}

// Arrays handed to a new home (the tiles) keep their state: the same reads and updates as an
// engine that kept them, in creation order; afterwards reshaping or restoring is refused.
TEST(CrossbarEngine, RelocatedArraysGiveTheSameBits) {
  std::mt19937 rng(9);
  const int k = 20, n = 12, batch = 5;
  const auto w = random_vector(std::size_t(k) * n, rng), x = random_vector(std::size_t(batch) * k, rng);
  xbar::ConverterParams q;
  q.cell_bits = 4;
  q.weight_bits = 5;
  q.dac_bits = 2;
  xbar::DeviceParams noisy;
  noisy.levels = 16;
  noisy.program_sigma = 0.05;
  noisy.read_noise_sigma = 0.03;
  CrossbarEngine kept({8, 8}, q, noisy, 3), moved({8, 8}, q, noisy, 3);
  for (CrossbarEngine* e : {&kept, &moved}) e->load(0, w.data(), k, n, nullptr);
  std::vector<std::unique_ptr<xbar::CrossbarArray>> home;
  std::vector<uint64_t> ordinals;
  const int64_t count = moved.relocate([&](uint64_t ordinal, std::unique_ptr<xbar::CrossbarArray>& cells) {
    ordinals.push_back(ordinal);
    if (ordinal % 2) return static_cast<xbar::CrossbarArray*>(nullptr);  // odd ones stay
    home.push_back(std::move(cells));
    return home.back().get();
  });
  EXPECT_EQ(count, (moved.arrays_allocated() + 1) / 2);
  ASSERT_EQ(ordinals.size(), std::size_t(moved.arrays_allocated()));
  for (std::size_t i = 0; i < ordinals.size(); ++i) EXPECT_EQ(ordinals[i], i);
  std::vector<float> a(std::size_t(batch) * n), b(a.size()), delta(std::size_t(k) * n, 0.01f);
  for (int round = 0; round < 3; ++round) {
    kept.mvm(0, x.data(), batch, a.data(), nullptr);
    moved.mvm(0, x.data(), batch, b.data(), nullptr);
    EXPECT_EQ(a, b) << "round " << round;
    kept.apply_update(0, delta.data(), nullptr);
    moved.apply_update(0, delta.data(), nullptr);
  }
  std::stringstream sk, sm;
  kept.save_state(sk);
  moved.save_state(sm);
  EXPECT_EQ(sk.str(), sm.str());
  EXPECT_GT(home.front()->write_count(0, 0) + home.front()->write_count(0, 1), 0);
  EXPECT_THROW(moved.load(0, w.data(), n, k, nullptr), std::logic_error);
  std::istringstream again(sk.str());
  EXPECT_THROW(moved.load_state(again), std::logic_error);
}

TEST(MvmEngine, RejectsBadUse) {
  FloatGemmEngine f;
  CrossbarEngine x({8, 10}, analog(), {}, 1);
  float v[4] = {1, 2, 3, 4}, out[4];
  for (MvmEngine* e : std::initializer_list<MvmEngine*>{&f, &x}) {
    EXPECT_THROW(e->mvm(9, v, 1, out, nullptr), std::out_of_range);
    EXPECT_THROW(e->matrix(9), std::out_of_range);
    EXPECT_THROW(e->load(0, v, 0, 4, nullptr), std::invalid_argument);
    float bad[2] = {1, NAN};
    EXPECT_THROW(e->load(0, bad, 1, 2, nullptr), std::invalid_argument);
    e->load(0, v, 2, 2, nullptr);
    EXPECT_THROW(e->mvm(0, v, -1, out, nullptr), std::invalid_argument);
    EXPECT_NE(e->new_key(), e->new_key());
  }
  EXPECT_THROW(CrossbarEngine({8, 1}, {}, {}, 1), std::invalid_argument);
}

}  // namespace
}  // namespace memgan::nn
