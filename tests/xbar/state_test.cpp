// Checkpoints: a CrossbarArray or DeviceNoiseSource restored from save_state (into an object built
// with another seed) continues bit-identically; bad streams are refused without side effects.
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/xbar/reference.h"

namespace memgan::xbar::test {
namespace {

struct Config {
  const char* name;
  ArrayGeometry geo;
  ConverterParams cp;
  DeviceParams dp;
};

// Every non-ideality on, so every random stream and the fault / wear flags carry state.
DeviceParams noisy_device() {
  DeviceParams d;
  d.read_noise_sigma = 0.05;
  d.program_sigma = 0.05;
  d.stuck_on_rate = 0.03;
  d.stuck_off_rate = 0.03;
  d.pulse.c2c_sigma = 0.1;
  d.pulse.nonlinearity_ltp = 2.0;
  d.pulse.nonlinearity_ltd = -1.5;
  d.endurance_writes = 60;
  return d;
}

// Quantized with one cell (pair) per weight, so in-situ updates work.
ConverterParams quantized_single_slice(WeightEncoding e) {
  ConverterParams c;
  c.encoding = e;
  c.cell_bits = 4;
  c.weight_bits = e == WeightEncoding::Differential ? 5 : 4;
  c.input_bits = 6;
  c.dac_bits = 2;
  return c;
}

std::vector<Config> configs() {
  DeviceParams q = noisy_device();
  q.levels = 16;
  q.read_noise_sigma = 0.02;
  return {{"analog_differential", {12, 16}, analog_converters(), noisy_device()},
          {"analog_offset", {12, 17}, analog_converters(WeightEncoding::Offset), noisy_device()},
          {"quantized_differential", {12, 16}, quantized_single_slice(WeightEncoding::Differential), q},
          {"quantized_offset", {12, 17}, quantized_single_slice(WeightEncoding::Offset), q}};
}

// Drives one array through a fixed script of programming, reads and updates; every output and
// ProgramStats field is recorded.
class Script {
 public:
  Script(CrossbarArray& a, uint64_t seed) : a_(a), rng_(seed) {}

  void program(int row0, int col0, int rows, int cols) {
    const auto& c = a_.converters();
    const int w_max = (1 << (c.weight_bits - 1)) - 1;
    const auto w = c.quantize ? random_ints(rng_, std::size_t(rows) * cols, -w_max, w_max)
                              : random_floats(rng_, std::size_t(rows) * cols, -0.9f, 0.9f);
    record(a_.program_weights(row0, col0, rows, cols, w.data(), cols));
  }
  void read(int batch, bool transposed) {
    const int n_in = transposed ? a_.logical_cols() : a_.logical_rows();
    const int n_out = transposed ? a_.logical_rows() : a_.logical_cols();
    const int x_lim = (1 << (a_.converters().input_bits - 1)) - 1;
    const auto x = a_.converters().quantize ? random_ints(rng_, std::size_t(batch) * n_in, -x_lim - 1, x_lim)
                                            : random_floats(rng_, std::size_t(batch) * n_in, -1.0f, 1.0f);
    std::vector<float> y(std::size_t(batch) * n_out);
    MvmStats st;
    if (transposed)
      a_.mvm_transposed(x.data(), batch, 0, a_.logical_rows(), 0, a_.logical_cols(), y.data(), &st);
    else
      a_.mvm(x.data(), batch, 0, a_.logical_rows(), 0, a_.logical_cols(), y.data(), &st);
    out_.insert(out_.end(), y.begin(), y.end());
    out_.push_back(float(st.array_energy_pj));
    out_.push_back(float(st.adc_saturations));
  }
  void pulses() {
    const std::size_t n = std::size_t(a_.logical_rows()) * a_.logical_cols();
    const float lim = 4.5f * float(a_.weight_per_pulse());  // up to ~4 pulses, fractional
    const auto d = random_floats(rng_, n, -lim, lim);
    record(a_.update_pulses(0, 0, a_.logical_rows(), a_.logical_cols(), d.data(), a_.logical_cols()));
  }
  void manhattan() {
    const std::size_t n = std::size_t(a_.logical_rows()) * a_.logical_cols();
    const auto g = random_floats(rng_, n, -1.0f, 1.0f);
    record(a_.update_manhattan(0, 0, a_.logical_rows(), a_.logical_cols(), g.data(), a_.logical_cols(), 0.3f));
  }
  const std::vector<float>& out() const { return out_; }

 private:
  void record(const ProgramStats& st) {
    out_.push_back(float(st.cells_written));
    out_.push_back(float(st.pulses));
    out_.push_back(float(st.rows_written));
    out_.push_back(float(st.write_energy_pj));
  }
  CrossbarArray& a_;
  std::mt19937_64 rng_;
  std::vector<float> out_;
};

void prefix(CrossbarArray& a) {
  Script s(a, 1);
  s.program(0, 0, a.logical_rows(), a.logical_cols());
  s.read(3, false);  // odd sizes leave part-used random blocks and spare normals behind
  s.pulses();
  s.read(5, true);
  s.manhattan();
  s.read(1, false);
}

struct Trace {
  std::vector<float> out;
  std::vector<double> g;
  std::vector<int64_t> writes;
  std::vector<int> stuck;
};

Trace continuation(CrossbarArray& a) {
  Script s(a, 2);
  for (int round = 0; round < 3; ++round) {
    s.read(7, false);
    s.pulses();
    s.read(2, true);
    s.manhattan();
    s.read(1, false);
    s.program(1, 1, 3, 2);  // programming variation stream
    s.read(4, true);
  }
  Trace t;
  t.out = s.out();
  for (int r = 0; r < a.geometry().rows; ++r)
    for (int c = 0; c < a.geometry().cols; ++c) {
      t.g.push_back(a.conductance_us(r, c));
      t.writes.push_back(a.write_count(r, c));
      t.stuck.push_back(a.is_stuck(r, c));
    }
  return t;
}

std::string state_of(const CrossbarArray& a) {
  std::ostringstream os;
  a.save_state(os);
  return os.str();
}

TEST(CrossbarState, RestoredArrayContinuesBitIdentically) {
  for (const Config& c : configs()) {
    CrossbarArray a(c.geo, c.cp, c.dp, 11);
    prefix(a);
    const std::string snapshot = state_of(a);
    const Trace want = continuation(a);

    CrossbarArray b(c.geo, c.cp, c.dp, 987654321);  // another seed: every stream comes from the state
    std::istringstream in(snapshot);
    b.load_state(in);
    const Trace got = continuation(b);
    EXPECT_EQ(got.out, want.out) << c.name;
    EXPECT_EQ(got.g, want.g) << c.name;
    EXPECT_EQ(got.writes, want.writes) << c.name;
    EXPECT_EQ(got.stuck, want.stuck) << c.name;
    EXPECT_EQ(state_of(b), state_of(a)) << c.name;

    // The check has teeth: without the restore the same script diverges.
    CrossbarArray fresh(c.geo, c.cp, c.dp, 987654321);
    prefix(fresh);
    EXPECT_NE(continuation(fresh).out, want.out) << c.name;
  }
}

TEST(CrossbarState, SaveLoadSaveIsStable) {
  const Config c = configs()[0];
  CrossbarArray a(c.geo, c.cp, c.dp, 3);
  prefix(a);
  const std::string s = state_of(a);
  CrossbarArray b(c.geo, c.cp, c.dp, 4);
  std::istringstream in(s);
  b.load_state(in);
  EXPECT_EQ(state_of(b), s);
}

TEST(CrossbarState, TruncatedStreamThrowsAndLeavesTheArrayAlone) {
  const Config c = configs()[1];
  CrossbarArray a(c.geo, c.cp, c.dp, 5);
  prefix(a);
  const std::string s = state_of(a);
  CrossbarArray b(c.geo, c.cp, c.dp, 6);
  const std::string before = state_of(b);
  for (const std::size_t cut : {std::size_t(0), std::size_t(10), s.size() / 3, s.size() / 2, s.size() - 1}) {
    std::istringstream in(s.substr(0, cut));
    EXPECT_THROW(b.load_state(in), std::runtime_error) << "cut at " << cut;
    EXPECT_EQ(state_of(b), before) << "cut at " << cut;
  }
}

TEST(CrossbarState, RefusesOtherGeometryParametersAndObjects) {
  const Config c = configs()[0];
  CrossbarArray a(c.geo, c.cp, c.dp, 5);
  const std::string s = state_of(a);
  const auto expect_refused = [&](CrossbarArray& other, const std::string& needle) {
    std::istringstream in(s);
    try {
      other.load_state(in);
      ADD_FAILURE() << "no exception, expected one mentioning '" << needle << "'";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  CrossbarArray taller({c.geo.rows + 1, c.geo.cols}, c.cp, c.dp, 5);
  expect_refused(taller, "13 x 16");
  DeviceParams quieter = c.dp;
  quieter.read_noise_sigma = 0.01;
  CrossbarArray other_device(c.geo, c.cp, quieter, 5);
  expect_refused(other_device, "parameters");

  DeviceNoiseSource noise(noisy_device(), {}, 1);
  std::ostringstream os;
  noise.save_state(os);
  std::istringstream in(os.str());
  EXPECT_THROW(a.load_state(in), std::runtime_error);
}

TEST(NoiseSourceState, RestoredSourceContinuesBitIdentically) {
  const DeviceParams d = noisy_device();
  for (const bool calibrate : {true, false}) {
    NoiseSourceParams p;
    p.pairs = 7;
    p.calibrate = calibrate;
    DeviceNoiseSource a(d, p, 21);
    std::vector<float> head(1001);
    a.gaussian(head.data(), head.size());  // part of a random block and a pair cycle used
    std::ostringstream os;
    a.save_state(os);

    const auto draw = [](DeviceNoiseSource& s) {
      std::vector<float> v(3000), u(777);
      s.gaussian(v.data(), v.size());
      s.uniform(u.data(), u.size());
      v.insert(v.end(), u.begin(), u.end());
      return v;
    };
    const std::vector<float> want = draw(a);
    DeviceNoiseSource b(d, p, 22);
    std::istringstream in(os.str());
    b.load_state(in);
    EXPECT_EQ(draw(b), want);
    EXPECT_EQ(b.samples(), a.samples());
    EXPECT_EQ(b.read_energy_pj(), a.read_energy_pj());

    const std::string s = os.str();
    DeviceNoiseSource c(d, p, 23);
    std::istringstream cut(s.substr(0, s.size() - 1));
    EXPECT_THROW(c.load_state(cut), std::runtime_error);
    NoiseSourceParams other = p;
    other.pairs = 8;
    DeviceNoiseSource e(d, other, 23);
    std::istringstream whole(s);
    EXPECT_THROW(e.load_state(whole), std::runtime_error);
  }
}

}  // namespace
}  // namespace memgan::xbar::test
