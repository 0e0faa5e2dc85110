// In-situ training on the engines and Linear (apply_update, apply_manhattan, weight_range,
// read_weights) and engine / layer checkpoints (save_state, load_state).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/nn/linear.h"
#include "core/nn/mvm_engine.h"
#include "tests/nn/reference.h"

namespace memgan::nn {
namespace {

std::vector<float> normals(std::size_t n, std::mt19937& rng, float sigma = 1.0f) {
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// sign * U(lo, hi): weights away from zero, so no update crosses a differential pair's sign
// (where a pulse on the minority cell only returns it to g_min).
std::vector<float> away_from_zero(std::size_t n, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> mag(lo, hi);
  std::bernoulli_distribution negative(0.5);
  std::vector<float> v(n);
  for (auto& x : v) x = negative(rng) ? -mag(rng) : mag(rng);
  return v;
}

std::vector<float> read(const MvmEngine& e, int key) {
  const MatrixInfo m = e.matrix(key);
  std::vector<float> w(std::size_t(m.rows) * m.cols);
  e.read_weights(key, w.data());
  return w;
}

xbar::ConverterParams analog() {
  xbar::ConverterParams c;
  c.quantize = false;
  return c;
}

// Quantized with one cell pair per weight (Bw - 1 <= Bc): q = 15, in-situ updates allowed.
xbar::ConverterParams quantized_single_slice() {
  xbar::ConverterParams c;
  c.cell_bits = 4;
  c.weight_bits = 5;
  c.input_bits = 6;
  c.dac_bits = 2;
  return c;
}

xbar::DeviceParams noisy_device(int levels = 4) {
  xbar::DeviceParams d;
  d.levels = levels;
  d.read_noise_sigma = 0.03;
  d.program_sigma = 0.03;
  d.stuck_on_rate = 0.01;
  d.stuck_off_rate = 0.01;
  d.pulse.c2c_sigma = 0.1;
  d.pulse.nonlinearity_ltp = 1.5;
  d.pulse.nonlinearity_ltd = 1.0;
  d.endurance_writes = 200;
  return d;
}

constexpr int kK = 13, kN = 11;  // 2 x 3 tiles on the 8 x 5 logical arrays of {8, 10}

// ---- FloatGemmEngine ------------------------------------------------------------------------

TEST(FloatEngineTraining, ApplyUpdateIsAnExactFloatAdd) {
  std::mt19937 rng(1);
  const auto w = normals(std::size_t(kK) * kN, rng), d = normals(w.size(), rng, 0.1f),
             x = normals(std::size_t(3) * kK, rng);
  FloatGemmEngine e({8, 5});
  e.load(0, w.data(), kK, kN, nullptr, 0.5f);  // weight_range is ignored: weights stay exact
  EXPECT_EQ(read(e, 0), w);
  EXPECT_EQ(e.weight_step(0), 0.0);
  MvmCounts c;
  e.apply_update(0, d.data(), &c);
  std::vector<float> want(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) want[i] = w[i] + d[i];
  EXPECT_EQ(read(e, 0), want);
  EXPECT_EQ(c.arrays_used, 6);
  EXPECT_EQ(c.write_pulses, 0);
  EXPECT_EQ(c.cells_written, 0);

  FloatGemmEngine fresh({8, 5});
  fresh.load(0, want.data(), kK, kN, nullptr);
  std::vector<float> y(std::size_t(3) * kN), y_fresh(y.size());
  e.mvm(0, x.data(), 3, y.data(), nullptr);
  fresh.mvm(0, x.data(), 3, y_fresh.data(), nullptr);
  EXPECT_EQ(y, y_fresh);
}

TEST(FloatEngineTraining, ManhattanTakesDigitalStepsAgainstTheGradient) {
  std::mt19937 rng(2);
  const auto w = normals(std::size_t(kK) * kN, rng), g = normals(w.size(), rng);
  FloatGemmEngine e;
  e.load(0, w.data(), kK, kN, nullptr);
  e.apply_manhattan(0, g.data(), 0.5f, 0.01f, nullptr);
  const auto got = read(e, 0);
  for (std::size_t i = 0; i < w.size(); ++i) {
    const float want = std::fabs(g[i]) > 0.5f ? (g[i] > 0 ? w[i] - 0.01f : w[i] + 0.01f) : w[i];
    EXPECT_EQ(got[i], want) << i;
  }
  EXPECT_THROW(e.apply_manhattan(0, g.data(), -1.0f, 0.01f, nullptr), std::invalid_argument);
  EXPECT_THROW(e.apply_manhattan(0, g.data(), 0.5f, -0.01f, nullptr), std::invalid_argument);
}

// ---- CrossbarEngine on an ideal, linear device ------------------------------------------------

TEST(CrossbarEngineTraining, WholeStepUpdatesMoveWeightsByTheDelta) {
  std::mt19937 rng(3);
  const auto w = away_from_zero(std::size_t(kK) * kN, rng, 0.25f, 1.0f);
  CrossbarEngine e({8, 10}, analog(), {}, 3);
  e.load(0, w.data(), kK, kN, nullptr, 2.0f);
  const double step = e.weight_step(0);
  EXPECT_DOUBLE_EQ(step, 2.0 / 64);  // scale (range / q = 2) * R / P / R
  const auto before = read(e, 0);
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(before[i], w[i], 1e-6);

  std::uniform_int_distribution<int> pulses(-3, 3);
  std::vector<float> delta(w.size());
  int64_t total = 0, moved = 0;
  for (auto& v : delta) {
    const int m = pulses(rng);
    v = float(m * step);
    total += std::abs(m);
    moved += m != 0;
  }
  MvmCounts c;
  e.apply_update(0, delta.data(), &c);
  const auto after = read(e, 0);
  for (std::size_t i = 0; i < w.size(); ++i)
    EXPECT_NEAR(after[i] - before[i], delta[i], 1e-5 * std::max(1.0f, std::fabs(delta[i]))) << i;
  EXPECT_EQ(c.write_pulses, total);
  EXPECT_EQ(c.cells_written, moved);  // one cell of the pair per weight: no sign crossing
  EXPECT_GT(c.write_energy_pj, 0);
  EXPECT_EQ(c.arrays_used, 6);
  EXPECT_EQ(c.weights_programmed, 0);

  // Reads use the updated conductances: y = x * read_weights.
  const auto x = normals(std::size_t(2) * kK, rng);
  std::vector<float> y(std::size_t(2) * kN);
  e.mvm(0, x.data(), 2, y.data(), nullptr);
  for (int b = 0; b < 2; ++b)
    for (int j = 0; j < kN; ++j) {
      double want = 0, mag = 0;
      for (int i = 0; i < kK; ++i) {
        want += double(x[std::size_t(b) * kK + i]) * after[std::size_t(i) * kN + j];
        mag += std::fabs(double(x[std::size_t(b) * kK + i]) * after[std::size_t(i) * kN + j]);
      }
      EXPECT_NEAR(y[std::size_t(b) * kN + j], want, 1e-5 * mag);
    }
}

TEST(CrossbarEngineTraining, StochasticRoundingIsUnbiased) {
  const int k = 40, n = 50;  // 2000 weights
  CrossbarEngine e({8, 10}, analog(), {}, 4);
  const std::vector<float> w(std::size_t(k) * n, 0.5f);
  for (const double fraction : {0.3, 2.7}) {
    e.load(0, w.data(), k, n, nullptr, 2.0f);
    const double step = e.weight_step(0);
    const std::vector<float> delta(w.size(), float(fraction * step));
    const auto before = read(e, 0);
    MvmCounts c;
    e.apply_update(0, delta.data(), &c);
    const auto after = read(e, 0);
    double pulses = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const double p = (after[i] - before[i]) / step;
      EXPECT_NEAR(p, std::round(p), 1e-4) << "whole pulses only";
      EXPECT_TRUE(std::round(p) == std::floor(fraction) || std::round(p) == std::ceil(fraction)) << p;
      pulses += std::round(p);
    }
    EXPECT_EQ(int64_t(std::lround(pulses)), c.write_pulses);
    const double mean = pulses / double(w.size()), frac = fraction - std::floor(fraction);
    const double sigma = std::sqrt(frac * (1 - frac) / double(w.size()));
    EXPECT_NEAR(mean, fraction, 4 * sigma) << fraction;
  }
}

TEST(CrossbarEngineTraining, ManhattanMovesOneStepAgainstTheGradient) {
  std::mt19937 rng(5);
  const auto w = away_from_zero(std::size_t(kK) * kN, rng, 0.25f, 1.0f), g = normals(w.size(), rng);
  CrossbarEngine e({8, 10}, analog(), {}, 5);
  e.load(0, w.data(), kK, kN, nullptr, 2.0f);
  const double step = e.weight_step(0);
  const auto before = read(e, 0);
  MvmCounts c;
  e.apply_manhattan(0, g.data(), 0.5f, 123.0f, &c);  // digital_step is the float engine's
  const auto after = read(e, 0);
  int64_t moved = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (std::fabs(g[i]) > 0.5f) {
      EXPECT_NEAR(after[i] - before[i], g[i] > 0 ? -step : step, 1e-5) << i;
      ++moved;
    } else {
      EXPECT_EQ(after[i], before[i]) << i;
    }
  }
  EXPECT_EQ(c.write_pulses, moved);
  EXPECT_EQ(c.cells_written, moved);
}

TEST(CrossbarEngineTraining, WeightRangeSetsTheScaleClipsAndBoundsUpdates) {
  std::mt19937 rng(6);
  auto w = normals(std::size_t(kK) * kN, rng, 0.5f);
  w[0] = 0.9f;
  w[1] = -0.7f;
  float w_max = 0;
  for (const float v : w) w_max = std::max(w_max, std::fabs(v));

  CrossbarEngine e({8, 10}, analog(), {}, 6);
  e.load(0, w.data(), kK, kN, nullptr, 0.5f);
  EXPECT_DOUBLE_EQ(e.weight_step(0), 0.5 / 64);
  auto got = read(e, 0);
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(got[i], std::clamp(w[i], -0.5f, 0.5f), 1e-6) << i;

  e.load(0, w.data(), kK, kN, nullptr);  // 0: the range is max |W|
  EXPECT_NEAR(e.weight_step(0), w_max / 64, 1e-9);
  got = read(e, 0);
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(got[i], w[i], 1e-6) << i;

  // Updates saturate at the range: the pair cannot exceed G+ = g_max, G- = g_min.
  const std::vector<float> near_top(std::size_t(kK) * kN, 0.45f), up(near_top.size(), 0.2f);
  e.load(1, near_top.data(), kK, kN, nullptr, 0.5f);
  e.apply_update(1, up.data(), nullptr);
  for (const float v : read(e, 1)) EXPECT_NEAR(v, 0.5f, 1e-6);

  // Quantized, one slice: q = 15, so the range maps to integers of 0.1.
  xbar::DeviceParams d16;
  d16.levels = 16;
  CrossbarEngine q({8, 10}, quantized_single_slice(), d16, 7);
  q.load(0, w.data(), kK, kN, nullptr, 1.5f);
  EXPECT_NEAR(q.weight_step(0), 0.1 * 15.0 / 64, 1e-7);
  got = read(q, 0);
  for (std::size_t i = 0; i < w.size(); ++i)
    EXPECT_NEAR(got[i], std::clamp(std::nearbyint(w[i] / 0.1f), -15.0f, 15.0f) * 0.1f, 1e-5) << i;

  for (MvmEngine* engine : std::initializer_list<MvmEngine*>{&e, &q}) {
    EXPECT_THROW(engine->load(2, w.data(), kK, kN, nullptr, -1.0f), std::invalid_argument);
    EXPECT_THROW(engine->load(2, w.data(), kK, kN, nullptr, std::nanf("")), std::invalid_argument);
  }
}

TEST(CrossbarEngineTraining, BitSlicedWeightsRefuseInSituUpdates) {
  std::mt19937 rng(8);
  const auto w = normals(std::size_t(kK) * kN, rng), d = normals(w.size(), rng, 0.01f);
  CrossbarEngine e({16, 32}, xbar::ConverterParams{}, {}, 8);  // 8-bit weights on 2-bit cells: ns = 4
  ASSERT_EQ(e.array_shape().slices, 4);
  e.load(0, w.data(), kK, kN, nullptr);
  const auto before = read(e, 0);
  try {
    e.apply_update(0, d.data(), nullptr);
    ADD_FAILURE() << "apply_update on bit-sliced weights did not throw";
  } catch (const std::logic_error& err) {
    const std::string msg = err.what();
    EXPECT_NE(msg.find("ns = 4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("one cell (pair) per weight"), std::string::npos) << msg;
  }
  EXPECT_THROW(e.apply_manhattan(0, d.data(), 0.0f, 0.0f, nullptr), std::logic_error);
  EXPECT_EQ(read(e, 0), before);
}

TEST(CrossbarEngineTraining, BadDeltaOrKeyChangesNothing) {
  std::mt19937 rng(9);
  const auto w = away_from_zero(std::size_t(kK) * kN, rng, 0.25f, 1.0f);
  auto d = normals(w.size(), rng, 0.1f);
  d.back() = std::nanf("");
  FloatGemmEngine f;
  CrossbarEngine x({8, 10}, analog(), {}, 9);
  for (MvmEngine* e : std::initializer_list<MvmEngine*>{&f, &x}) {
    e->load(0, w.data(), kK, kN, nullptr, 2.0f);
    const auto before = read(*e, 0);
    EXPECT_THROW(e->apply_update(0, d.data(), nullptr), std::invalid_argument);
    EXPECT_THROW(e->apply_manhattan(0, d.data(), 0.0f, 0.1f, nullptr), std::invalid_argument);
    EXPECT_EQ(read(*e, 0), before);
    EXPECT_THROW(e->apply_update(5, d.data(), nullptr), std::out_of_range);
    EXPECT_THROW(e->weight_step(5), std::out_of_range);
    EXPECT_THROW(read(*e, 5), std::out_of_range);
  }
}

// ---- engine checkpoints -------------------------------------------------------------------------

// A fixed script of loads, reads, updates and releases on an engine; every output is recorded.
class EngineScript {
 public:
  EngineScript(MvmEngine& e, uint32_t seed, bool updates) : e_(e), rng_(seed), updates_(updates) {}

  int load(int k, int n, float range) {
    const int key = e_.new_key();
    const auto w = away_from_zero(std::size_t(k) * n, rng_, 0.2f, 0.8f);
    MvmCounts c;
    e_.load(key, w.data(), k, n, &c, range);
    record(c);
    return key;
  }
  void step(int key) {
    const MatrixInfo m = e_.matrix(key);
    for (const int batch : {3, 1}) {
      const auto x = normals(std::size_t(batch) * m.rows, rng_), dy = normals(std::size_t(batch) * m.cols, rng_);
      std::vector<float> y(std::size_t(batch) * m.cols), dx(std::size_t(batch) * m.rows);
      MvmCounts c;
      e_.mvm(key, x.data(), batch, y.data(), &c);
      e_.mvm_transposed(key, dy.data(), batch, dx.data(), &c);
      out_.insert(out_.end(), y.begin(), y.end());
      out_.insert(out_.end(), dx.begin(), dx.end());
      record(c);
    }
    if (updates_) {
      const double s = e_.weight_step(key) > 0 ? e_.weight_step(key) : 0.01;
      const auto d = normals(std::size_t(m.rows) * m.cols, rng_, float(2 * s));
      const auto g = normals(d.size(), rng_);
      MvmCounts c;
      e_.apply_update(key, d.data(), &c);
      e_.apply_manhattan(key, g.data(), 1.0f, 0.01f, &c);
      record(c);
    }
    const auto w = read(e_, key);
    out_.insert(out_.end(), w.begin(), w.end());
  }
  const std::vector<float>& out() const { return out_; }

 private:
  void record(const MvmCounts& c) {
    for (const double v : {double(c.adc_saturations), c.array_energy_pj, double(c.cells_written),
                           double(c.write_pulses), c.write_energy_pj, double(c.arrays_used)})
      out_.push_back(float(v));
  }
  MvmEngine& e_;
  std::mt19937 rng_;
  bool updates_;
  std::vector<float> out_;
};

std::vector<int> prefix(MvmEngine& e, bool updates) {
  EngineScript s(e, 1, updates);
  const int a = s.load(kK, kN, 2.0f), b = s.load(5, 7, 0.0f), scratch = s.load(4, 3, 0.0f);
  s.step(a);
  s.step(b);
  s.step(a);
  e.release(scratch);
  return {a, b, scratch};
}

std::vector<float> continuation(MvmEngine& e, const std::vector<int>& keys, bool updates) {
  EngineScript s(e, 2, updates);
  s.step(keys[0]);
  const int c = s.load(9, 6, 1.0f);  // new key and new arrays after the snapshot
  s.step(c);
  s.step(keys[1]);
  e.release(keys[1]);
  const int d = s.load(kK, kN, 2.0f);
  s.step(d);
  s.step(keys[0]);
  return s.out();
}

std::string state_of(const MvmEngine& e) {
  std::ostringstream os;
  e.save_state(os);
  return os.str();
}

void load_from(MvmEngine& e, const std::string& s) {
  std::istringstream in(s);
  e.load_state(in);
}

template <class Make>
void expect_restores_bit_identically(Make make, bool updates, const std::string& what) {
  auto a = make(11);
  const std::vector<int> keys = prefix(*a, updates);
  const std::string snapshot = state_of(*a);
  const std::vector<float> want = continuation(*a, keys, updates);
  const int next_a = a->new_key();

  auto b = make(12345);  // another seed: the state carries the engine's seed and every array's streams
  for (int i = 0; i < 2; ++i) b->new_key();  // fewer keys than the snapshot: the saved counter wins
  load_from(*b, snapshot);
  EXPECT_EQ(b->matrix(keys[0]).rows, kK) << what;
  EXPECT_THROW(b->matrix(keys[2]), std::out_of_range) << what;  // released before the snapshot
  EXPECT_EQ(continuation(*b, keys, updates), want) << what;
  EXPECT_EQ(b->new_key(), next_a) << what;
  EXPECT_TRUE(state_of(*b) == state_of(*a)) << what;  // (binary: not printed)

  auto c = make(12345);
  for (int i = 0; i < 50; ++i) c->new_key();  // more keys than the snapshot: those stay unique
  load_from(*c, snapshot);
  const int fresh = c->new_key();
  EXPECT_GE(fresh, 50) << what;
  EXPECT_THROW(c->matrix(fresh), std::out_of_range) << what;
}

TEST(EngineState, FloatGemmEngineRestoresBitIdentically) {
  expect_restores_bit_identically([](uint64_t) { return std::make_unique<FloatGemmEngine>(ArrayShape{8, 5, 1, 1}); },
                                  true, "float");
}

TEST(EngineState, CrossbarEngineRestoresBitIdentically) {
  expect_restores_bit_identically(
      [](uint64_t seed) {
        return std::make_unique<CrossbarEngine>(xbar::ArrayGeometry{8, 10}, analog(), noisy_device(), seed);
      },
      true, "analog crossbar");
  expect_restores_bit_identically(
      [](uint64_t seed) {
        return std::make_unique<CrossbarEngine>(xbar::ArrayGeometry{8, 10}, quantized_single_slice(), noisy_device(16),
                                                seed);
      },
      true, "quantized single-slice crossbar");
  xbar::ConverterParams offset = analog();
  offset.encoding = xbar::WeightEncoding::Offset;
  expect_restores_bit_identically(
      [&](uint64_t seed) {
        return std::make_unique<CrossbarEngine>(xbar::ArrayGeometry{9, 6}, offset, noisy_device(), seed);
      },
      true, "analog offset crossbar");
  expect_restores_bit_identically(
      [](uint64_t seed) {
        return std::make_unique<CrossbarEngine>(xbar::ArrayGeometry{16, 32}, xbar::ConverterParams{}, noisy_device(),
                                                seed);
      },
      false, "bit-sliced crossbar (no updates)");
}

TEST(EngineState, CrossbarEngineRestoresProgramStats) {
  CrossbarEngine a({8, 10}, analog(), noisy_device(), 1);
  prefix(a, true);
  CrossbarEngine b({8, 10}, analog(), noisy_device(), 1);
  load_from(b, state_of(a));
  EXPECT_EQ(b.program_stats().pulses, a.program_stats().pulses);
  EXPECT_EQ(b.program_stats().cells_written, a.program_stats().cells_written);
  EXPECT_EQ(b.program_stats().write_energy_pj, a.program_stats().write_energy_pj);
  EXPECT_EQ(b.arrays_allocated(), a.arrays_allocated());
}

TEST(EngineState, BadStreamsThrowAndLeaveTheEngineAlone) {
  CrossbarEngine a({8, 10}, analog(), noisy_device(), 1);
  prefix(a, true);
  const std::string s = state_of(a);

  CrossbarEngine b({8, 10}, analog(), noisy_device(), 2);
  const std::vector<float> w(12, 0.25f);
  b.load(b.new_key(), w.data(), 3, 4, nullptr);
  const std::string before = state_of(b);
  for (const std::size_t cut : {std::size_t(0), std::size_t(20), s.size() / 2, s.size() - 1}) {
    std::istringstream in(s.substr(0, cut));
    EXPECT_THROW(b.load_state(in), std::runtime_error) << "cut at " << cut;
    EXPECT_EQ(state_of(b), before) << "cut at " << cut;
  }
  CrossbarEngine other_geometry({8, 12}, analog(), noisy_device(), 1);
  EXPECT_THROW(load_from(other_geometry, s), std::runtime_error);
  CrossbarEngine other_device({8, 10}, analog(), {}, 1);
  EXPECT_THROW(load_from(other_device, s), std::runtime_error);
  FloatGemmEngine f;
  EXPECT_THROW(load_from(f, s), std::runtime_error);  // another engine's state
  EXPECT_THROW(load_from(b, state_of(f)), std::runtime_error);
  FloatGemmEngine other_shape({8, 5, 1, 1});
  EXPECT_THROW(load_from(other_shape, state_of(f)), std::runtime_error);
}

// ---- Linear ---------------------------------------------------------------------------------------

TEST(LinearTraining, UpdateEqualsFreshWeightsOnTheFloatEngine) {
  std::mt19937 rng(10);
  const Tensor w = ref::random_tensor({6, 9}, rng), b = ref::random_tensor({6}, rng);
  const Tensor dw = ref::random_tensor({6, 9}, rng, 0.1f), db = ref::random_tensor({6}, rng, 0.1f);
  const Tensor x = ref::random_tensor({4, 9}, rng), dy = ref::random_tensor({4, 6}, rng);
  Tensor w2 = w, b2 = b;
  for (std::size_t i = 0; i < w2.data.size(); ++i) w2.data[i] += dw.data[i];
  for (std::size_t i = 0; i < b2.data.size(); ++i) b2.data[i] += db.data[i];

  FloatGemmEngine e;
  Linear layer(e, 9, 6), fresh(e, 9, 6);
  layer.set_weights(w, b, nullptr, 3.0f);
  layer.apply_update(dw, db);
  fresh.set_weights(w2, b2);
  EXPECT_EQ(layer.weights().data, w2.data);
  EXPECT_EQ(layer.weights().shape, w.shape);
  EXPECT_EQ(layer.bias().data, b2.data);
  EXPECT_EQ(layer.forward(x).data, fresh.forward(x).data);
  EXPECT_EQ(layer.backward_data(dy).data, fresh.backward_data(dy).data);
  EXPECT_EQ(layer.weight_step(), 0.0);

  // Manhattan on the float engine: digital steps; the bias is left alone.
  const Tensor g = ref::random_tensor({6, 9}, rng);
  layer.apply_manhattan(g, 0.3f, 0.05f);
  const Tensor got = layer.weights();
  for (std::size_t i = 0; i < g.data.size(); ++i) {
    const float want = std::fabs(g.data[i]) > 0.3f ? w2.data[i] + (g.data[i] > 0 ? -0.05f : 0.05f) : w2.data[i];
    EXPECT_EQ(got.data[i], want) << i;
  }
  EXPECT_EQ(layer.bias().data, b2.data);

  // An empty bias delta leaves the bias.
  layer.apply_update(Tensor({6, 9}), Tensor());
  EXPECT_EQ(layer.bias().data, b2.data);
}

TEST(LinearTraining, CrossbarUpdateMovesTheResidentWeights) {
  std::mt19937 rng(11);
  Tensor w({6, 9});
  w.data = away_from_zero(w.data.size(), rng, 0.25f, 1.0f);
  CrossbarEngine e({4, 6}, analog(), {}, 2);
  Linear layer(e, 9, 6);
  layer.set_weights(w, Tensor(), nullptr, 2.0f);
  const double step = layer.weight_step();
  EXPECT_DOUBLE_EQ(step, 2.0 / 64);
  const Tensor before = layer.weights();
  Tensor dw({6, 9});
  std::uniform_int_distribution<int> pulses(-2, 2);
  for (auto& v : dw.data) v = float(pulses(rng) * step);
  MvmCounts c;
  layer.apply_update(dw, Tensor(), &c);
  const Tensor after = layer.weights();
  for (std::size_t i = 0; i < w.data.size(); ++i)
    EXPECT_NEAR(after.data[i] - before.data[i], dw.data[i], 1e-5) << i;
  EXPECT_GT(c.write_pulses, 0);
  EXPECT_EQ(layer.bias().size(), 0);
}

TEST(LinearTraining, RejectsBadUse) {
  FloatGemmEngine e;
  Linear layer(e, 3, 2);
  EXPECT_THROW(layer.apply_update(Tensor({2, 3}), Tensor()), std::logic_error);
  EXPECT_THROW(layer.weights(), std::logic_error);
  EXPECT_THROW(layer.weight_step(), std::logic_error);
  layer.set_weights(Tensor({2, 3}, 0.5f), Tensor());
  EXPECT_THROW(layer.apply_update(Tensor({3, 2}), Tensor()), std::invalid_argument);
  EXPECT_THROW(layer.apply_update(Tensor({2, 3}), Tensor({2})), std::invalid_argument);  // no bias to update
  EXPECT_THROW(layer.apply_manhattan(Tensor({2, 2}), 0.0f, 0.1f), std::invalid_argument);
  layer.set_weights(Tensor({2, 3}, 0.5f), Tensor({2}));
  EXPECT_THROW(layer.apply_update(Tensor({2, 3}), Tensor({3})), std::invalid_argument);
}

TEST(LinearTraining, CheckpointOfEngineAndLayersContinuesBitIdentically) {
  std::mt19937 rng(12);
  const Tensor w1 = ref::random_tensor({5, 7}, rng, 0.3f), b1 = ref::random_tensor({5}, rng);
  const Tensor w2 = ref::random_tensor({3, 5}, rng, 0.3f);
  const Tensor x = ref::random_tensor({4, 7}, rng), d1 = ref::random_tensor({5, 7}, rng, 0.02f),
               db = ref::random_tensor({5}, rng, 0.1f), g2 = ref::random_tensor({3, 5}, rng);

  const auto run = [&](Linear& l1, Linear& l2) {
    l1.apply_update(d1, db);
    l2.apply_manhattan(g2, 0.5f, 0.0f);
    const Tensor y = l2.forward(l1.forward(x));
    std::vector<float> out = y.data;
    const Tensor w = l1.weights(), b = l1.bias();
    out.insert(out.end(), w.data.begin(), w.data.end());
    out.insert(out.end(), b.data.begin(), b.data.end());
    return out;
  };

  CrossbarEngine ea({4, 8}, analog(), noisy_device(), 1);
  Linear a1(ea, 7, 5), a2(ea, 5, 3);
  a1.set_weights(w1, b1, nullptr, 1.0f);
  a2.set_weights(w2, Tensor(), nullptr, 1.0f);
  run(a1, a2);
  std::ostringstream os;
  ea.save_state(os);
  a1.save_state(os);
  a2.save_state(os);
  const std::vector<float> want = run(a1, a2);

  CrossbarEngine eb({4, 8}, analog(), noisy_device(), 77);
  Linear b1l(eb, 7, 5), b2l(eb, 5, 3);  // same construction order: same keys
  std::istringstream in(os.str());
  eb.load_state(in);
  b1l.load_state(in);
  b2l.load_state(in);
  EXPECT_EQ(run(b1l, b2l), want);

  // A layer on other keys, or of another size, refuses the state.
  CrossbarEngine ec({4, 8}, analog(), noisy_device(), 1);
  Linear shift(ec, 2, 2), c1(ec, 7, 5);
  std::ostringstream layer_state;
  a1.save_state(layer_state);
  std::istringstream in_c(layer_state.str());
  EXPECT_THROW(c1.load_state(in_c), std::runtime_error);
  std::istringstream in_d(layer_state.str());
  EXPECT_THROW(shift.load_state(in_d), std::runtime_error);
}

}  // namespace
}  // namespace memgan::nn
