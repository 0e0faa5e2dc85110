// The three dataflows against the direct reference (tests/nn/reference.h): exact engines to
// float rounding, the 8-bit quantized crossbar within the documented bound (docs/dataflows.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/mapping/dataflow.h"
#include "tests/mapping/cases.h"
#include "tests/nn/reference.h"

namespace memgan::mapping {
namespace {

using test::Case;
using test::conv;
using test::convt;
using test::kCases;

using nn::Tensor;

struct Result {
  Tensor y, dx;
  nn::WeightGrad g;
};

struct Data {
  Tensor x, w, b, dy;
};

Data make_data(const ConvShape& s, uint32_t seed) {
  std::mt19937 rng(seed);
  Data d;
  d.x = ref::random_tensor(s.input_shape(), rng);
  d.w = ref::random_tensor(s.weight_shape(), rng, 0.5f);
  d.b = ref::random_tensor({s.out_channels}, rng);
  d.dy = ref::random_tensor(s.output_shape(), rng);
  return d;
}

Result run(nn::MvmEngine& engine, const ConvShape& s, Dataflow df, const Data& d) {
  ConvLayer layer(engine, s, df);
  layer.set_weights(d.w, d.b);
  Result r;
  r.y = layer.forward(d.x);
  r.dx = layer.backward_data(d.dy);
  r.g = layer.backward_weight(d.x, d.dy);
  return r;
}

Result reference(const ConvShape& s, const Data& d) {
  Result r;
  if (s.kind == ConvKind::ConvTranspose2d) {
    const ref::ConvT c{s.stride, s.padding, s.output_padding};
    r.y = ref::conv_transpose2d(d.x, d.w, d.b, c);
    r.dx = ref::conv_transpose2d_backward_data(d.dy, d.w, s.in_h, s.in_w, c);
    r.g.weight = ref::conv_transpose2d_backward_weight(d.x, d.dy, s.kernel, c);
  } else {
    const ref::Conv c{s.stride, s.padding};
    r.y = ref::conv2d(d.x, d.w, d.b, c);
    r.dx = ref::conv2d_backward_data(d.dy, d.w, s.in_h, s.in_w, c);
    r.g.weight = ref::conv2d_backward_weight(d.x, d.dy, s.kernel, c);
  }
  r.g.bias = ref::channel_sum(d.dy);
  return r;
}

xbar::ConverterParams analog() {
  xbar::ConverterParams c;
  c.quantize = false;
  return c;
}

void expect_close(const Result& got, const Result& want, double tol, const std::string& what) {
  ASSERT_EQ(got.y.shape, want.y.shape) << what;
  ASSERT_EQ(got.dx.shape, want.dx.shape) << what;
  ASSERT_EQ(got.g.weight.shape, want.g.weight.shape) << what;
  EXPECT_LE(ref::rel_max_error(got.y, want.y), tol) << what << " forward";
  EXPECT_LE(ref::rel_max_error(got.dx, want.dx), tol) << what << " backward-data";
  EXPECT_LE(ref::rel_max_error(got.g.weight, want.g.weight), tol) << what << " backward-weight";
  EXPECT_LE(ref::rel_max_error(got.g.bias, want.g.bias), tol) << what << " bias gradient";
}

// Exact engines: the float GEMM, and ideal crossbars small enough (8 x 5 logical) that every
// matrix spans several row and column tiles. All three dataflows, to float rounding.
class DataflowExact : public ::testing::TestWithParam<Case> {};

TEST_P(DataflowExact, FloatGemmAndIdealCrossbarMatchReference) {
  const ConvShape& s = GetParam().shape;
  const Data d = make_data(s, 7);
  const Result want = reference(s, d);
  for (const Dataflow df : kAllDataflows) {
    nn::FloatGemmEngine fe;
    expect_close(run(fe, s, df, d), want, 1e-5, std::string("float GEMM ") + dataflow_name(df));
    nn::CrossbarEngine ce({8, 10}, analog(), {}, 3);
    expect_close(run(ce, s, df, d), want, 1e-5, std::string("ideal crossbar ") + dataflow_name(df));
  }
}

std::string shape_name(const ::testing::TestParamInfo<Case>& param) { return param.param.name; }

INSTANTIATE_TEST_SUITE_P(Shapes, DataflowExact, ::testing::ValuesIn(kCases), shape_name);

// 8-bit inputs and weights on an ideal device, with an ADC that is lossless at 32 rows (auto
// full scale): the only error is rounding inputs and weights to 8 bits. For one dot product of
// x and w rounded with steps s_x = max|x| / 127 and s_w = max|w| / 127 (errors uniform and
// independent), docs/dataflows.md derives
//   RMS(y_q - y) / RMS(y) ~ e(x, w) = sqrt((s_x^2 / E[x^2] + s_w^2 / E[w^2]) / 12),
// with the maxima over the whole tensors (a dataflow that scales per phase only does better).
// Every pass multiplies two tensors: forward (x, W), backward-data (dy, W), backward-weight
// (x, dy). The tests allow 2 e (sampling spread of small outputs) and at most 3% absolute.
double predicted_rel_rms(const Tensor& a, const Tensor& b) {
  const auto term = [](const Tensor& t) {
    double peak = 0, power = 0;
    for (const float v : t.data) {
      peak = std::max(peak, double(std::fabs(v)));
      power += double(v) * v;
    }
    const double step = peak / 127.0;
    return step * step / (power / double(t.size()));
  };
  return std::sqrt((term(a) + term(b)) / 12.0);
}

constexpr double kQuantCeiling = 0.03;

class DataflowQuantized : public ::testing::TestWithParam<Case> {};

TEST_P(DataflowQuantized, EightBitWithinBoundOfReferenceAndOfEachOther) {
  const ConvShape& s = GetParam().shape;
  const Data d = make_data(s, 5);
  const Result want = reference(s, d);
  xbar::ConverterParams q;  // defaults: 8-bit weights and inputs, 2-bit cells, 1-bit DAC, 8-bit ADC
  ASSERT_EQ(xbar::mvm_error_bound(q, 32), 0.0) << "the ADC must be lossless for this bound";
  const double bound_y = std::min(kQuantCeiling, 2 * predicted_rel_rms(d.x, d.w));
  const double bound_dx = std::min(kQuantCeiling, 2 * predicted_rel_rms(d.dy, d.w));
  const double bound_dw = std::min(kQuantCeiling, 2 * predicted_rel_rms(d.x, d.dy));
  std::vector<Result> results;
  for (const Dataflow df : kAllDataflows) {
    nn::CrossbarEngine engine({32, 64}, q, {}, 9);
    results.push_back(run(engine, s, df, d));
    const Result& r = results.back();
    EXPECT_LT(ref::rel_rms_error(r.y, want.y, want.y), bound_y) << dataflow_name(df) << " forward";
    EXPECT_LT(ref::rel_rms_error(r.dx, want.dx, want.dx), bound_dx) << dataflow_name(df) << " backward-data";
    EXPECT_LT(ref::rel_rms_error(r.g.weight, want.g.weight, want.g.weight), bound_dw)
        << dataflow_name(df) << " backward-weight";
  }
  for (std::size_t i = 0; i < results.size(); ++i)
    for (std::size_t j = i + 1; j < results.size(); ++j) {
      EXPECT_LT(ref::rel_rms_error(results[i].y, results[j].y, want.y), bound_y);
      EXPECT_LT(ref::rel_rms_error(results[i].dx, results[j].dx, want.dx), bound_dx);
      EXPECT_LT(ref::rel_rms_error(results[i].g.weight, results[j].g.weight, want.g.weight), bound_dw);
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, DataflowQuantized, ::testing::ValuesIn(kCases), shape_name);

TEST(ConvShape, OutputSizesFollowPyTorch) {
  EXPECT_EQ(convt(1, 1, 1, 7, 7, 4, 2, 1, 0).out_h(), 14);
  EXPECT_EQ(convt(1, 1, 1, 1, 1, 4, 1, 0, 0).out_h(), 4);
  EXPECT_EQ(convt(1, 1, 1, 3, 3, 3, 2, 1, 1).out_h(), 6);
  EXPECT_EQ(conv(1, 1, 1, 28, 28, 4, 2, 1).out_h(), 14);
  EXPECT_EQ(conv(1, 1, 1, 6, 6, 3, 2, 1).out_h(), 3);
}

TEST(ConvShape, ValidateNamesTheField) {
  EXPECT_THROW(convt(1, 1, 1, 3, 3, 3, 2, 1, 2).validate(), std::invalid_argument);  // output_padding >= stride
  EXPECT_THROW(conv(1, 1, 1, 2, 2, 5, 1, 0).validate(), std::invalid_argument);
  try {
    convt(1, 0, 1, 3, 3, 3, 2, 1, 0).validate();
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("in_channels"), std::string::npos);
  }
}

TEST(ConvLayer, RejectsWrongShapesAndUseBeforeWeights) {
  nn::FloatGemmEngine engine;
  const ConvShape s = convt(1, 2, 3, 3, 3, 4, 2, 1, 0);
  ConvLayer layer(engine, s, Dataflow::ZeroFree);
  EXPECT_THROW(layer.forward(Tensor(s.input_shape())), std::logic_error);
  EXPECT_THROW(layer.set_weights(Tensor({3, 2, 4, 4}), Tensor()), std::invalid_argument);
  layer.set_weights(Tensor(s.weight_shape()), Tensor());
  EXPECT_THROW(layer.forward(Tensor({1, 2, 4, 3})), std::invalid_argument);
  EXPECT_EQ(layer.backward_weight(Tensor(s.input_shape()), Tensor(s.output_shape())).bias.size(), 0);
  std::vector<ConvLayer> layers;
  layers.push_back(std::move(layer));
  EXPECT_EQ(layers[0].forward(Tensor(s.input_shape())).shape, s.output_shape());
}

// ---- in-situ training: every resident matrix takes the update --------------------------------

Tensor plus(const Tensor& a, const Tensor& b) {
  Tensor c = a;
  for (std::size_t i = 0; i < c.data.size(); ++i) c.data[i] += b.data[i];
  return c;
}

// W - step * sign(g) where |g| > threshold.
Tensor manhattan(const Tensor& w, const Tensor& g, float threshold, float step) {
  Tensor out = w;
  for (std::size_t i = 0; i < out.data.size(); ++i)
    if (std::fabs(g.data[i]) > threshold) out.data[i] += g.data[i] > 0 ? -step : step;
  return out;
}

// sign * U(0.25, 1): no update below crosses a differential pair's sign.
Tensor away_from_zero(const std::vector<int>& shape, std::mt19937& rng) {
  Tensor t(shape);
  std::uniform_real_distribution<float> mag(0.25f, 1.0f);
  std::bernoulli_distribution negative(0.5);
  for (auto& v : t.data) v = negative(rng) ? -mag(rng) : mag(rng);
  return t;
}

class DataflowTraining : public ::testing::TestWithParam<Case> {};

// Float engine: an updated layer is bit-identical to a fresh one programmed with W + dW, in
// every pass (so every resident matrix got the same update), and weights() reads W + dW.
TEST_P(DataflowTraining, FloatUpdateEqualsFreshWeights) {
  const ConvShape& s = GetParam().shape;
  const Data d = make_data(s, 9);
  std::mt19937 rng(10);
  const Tensor dw = ref::random_tensor(s.weight_shape(), rng, 0.05f), db = ref::random_tensor({s.out_channels}, rng);
  const Tensor g = ref::random_tensor(s.weight_shape(), rng);
  const Tensor w2 = plus(d.w, dw), b2 = plus(d.b, db), w3 = manhattan(w2, g, 0.5f, 0.01f);
  for (const Dataflow df : kAllDataflows) {
    const std::string what = dataflow_name(df);
    nn::FloatGemmEngine e;
    ConvLayer layer(e, s, df), fresh(e, s, df);
    layer.set_weights(d.w, d.b, nullptr, 2.0f);
    nn::MvmCounts c;
    layer.apply_update(dw, db, &c);
    EXPECT_EQ(c.bias_adds, s.out_channels) << what;
    fresh.set_weights(w2, b2);
    EXPECT_EQ(layer.weights().shape, s.weight_shape()) << what;
    EXPECT_EQ(layer.weights().data, w2.data) << what;
    EXPECT_EQ(layer.bias().data, b2.data) << what;
    EXPECT_EQ(layer.forward(d.x).data, fresh.forward(d.x).data) << what;
    EXPECT_EQ(layer.backward_data(d.dy).data, fresh.backward_data(d.dy).data) << what;
    EXPECT_EQ(layer.weight_step(), 0.0) << what;

    layer.apply_manhattan(g, 0.5f, 0.01f);
    fresh.set_weights(w3, b2);
    EXPECT_EQ(layer.weights().data, w3.data) << what;
    EXPECT_EQ(layer.forward(d.x).data, fresh.forward(d.x).data) << what;
    EXPECT_EQ(layer.backward_data(d.dy).data, fresh.backward_data(d.dy).data) << what;
  }
}

// Ideal crossbar (analog, linear pulses, no noise): whole-step updates and Manhattan steps land
// in every resident matrix, matching a layer freshly programmed with the moved weights.
TEST_P(DataflowTraining, IdealCrossbarUpdateEqualsFreshWeights) {
  const ConvShape& s = GetParam().shape;
  const Data d = make_data(s, 11);
  std::mt19937 rng(12);
  const Tensor w = away_from_zero(s.weight_shape(), rng), g = ref::random_tensor(s.weight_shape(), rng);
  constexpr float kRange = 2.0f;
  constexpr double kStep = kRange / 64.0;  // range / q * (R / P) / R
  Tensor dw(s.weight_shape());
  std::uniform_int_distribution<int> pulses(-3, 3);
  for (auto& v : dw.data) v = float(pulses(rng) * kStep);
  const Tensor w2 = plus(w, dw), w3 = manhattan(w2, g, 0.5f, float(kStep));
  for (const Dataflow df : kAllDataflows) {
    const std::string what = dataflow_name(df);
    nn::CrossbarEngine e({8, 10}, analog(), {}, 3), fresh_engine({8, 10}, analog(), {}, 4);
    ConvLayer layer(e, s, df), fresh(fresh_engine, s, df);
    layer.set_weights(w, d.b, nullptr, kRange);
    EXPECT_DOUBLE_EQ(layer.weight_step(), kStep) << what;
    nn::MvmCounts c;
    layer.apply_update(dw, Tensor(), &c);
    EXPECT_GT(c.write_pulses, 0) << what;
    fresh.set_weights(w2, d.b, nullptr, kRange);
    EXPECT_LE(ref::rel_max_error(layer.weights(), w2), 1e-5) << what;
    EXPECT_LE(ref::rel_max_error(layer.forward(d.x), fresh.forward(d.x)), 1e-5) << what;
    EXPECT_LE(ref::rel_max_error(layer.backward_data(d.dy), fresh.backward_data(d.dy)), 1e-5) << what;

    layer.apply_manhattan(g, 0.5f, 0.0f);
    fresh.set_weights(w3, d.b, nullptr, kRange);
    EXPECT_LE(ref::rel_max_error(layer.weights(), w3), 1e-5) << what;
    EXPECT_LE(ref::rel_max_error(layer.forward(d.x), fresh.forward(d.x)), 1e-5) << what;
    EXPECT_LE(ref::rel_max_error(layer.backward_data(d.dy), fresh.backward_data(d.dy)), 1e-5) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, DataflowTraining, ::testing::ValuesIn(kCases), shape_name);

TEST(ConvLayerTraining, BitSlicedWeightsRefuseUpdates) {
  const ConvShape s = convt(1, 2, 3, 3, 3, 4, 2, 1, 0);
  nn::CrossbarEngine e({32, 64}, xbar::ConverterParams{}, {}, 1);  // ns = 4
  ConvLayer layer(e, s, Dataflow::ZeroInsertion);
  std::mt19937 rng(1);
  layer.set_weights(ref::random_tensor(s.weight_shape(), rng), Tensor());
  const Tensor before = layer.weights();
  try {
    layer.apply_update(ref::random_tensor(s.weight_shape(), rng, 0.01f), Tensor());
    ADD_FAILURE() << "no exception";
  } catch (const std::logic_error& err) {
    EXPECT_NE(std::string(err.what()).find("bit-slices"), std::string::npos) << err.what();
  }
  EXPECT_EQ(layer.weights().data, before.data);
}

TEST(ConvLayerTraining, RejectsBadUse) {
  nn::FloatGemmEngine e;
  const ConvShape s = conv(1, 2, 3, 6, 6, 4, 2, 1);
  ConvLayer layer(e, s, Dataflow::PixelWise);
  EXPECT_THROW(layer.apply_update(Tensor(s.weight_shape()), Tensor()), std::logic_error);
  EXPECT_THROW(layer.apply_manhattan(Tensor(s.weight_shape()), 0.0f, 0.1f), std::logic_error);
  EXPECT_THROW(layer.weights(), std::logic_error);
  EXPECT_THROW(layer.weight_step(), std::logic_error);
  layer.set_weights(Tensor(s.weight_shape(), 0.5f), Tensor());
  EXPECT_THROW(layer.apply_update(Tensor({2, 3, 4, 4}), Tensor()), std::invalid_argument);
  EXPECT_THROW(layer.apply_update(Tensor(s.weight_shape()), Tensor({3})), std::invalid_argument);  // no bias
  layer.set_weights(Tensor(s.weight_shape(), 0.5f), Tensor({3}));
  EXPECT_THROW(layer.apply_update(Tensor(s.weight_shape()), Tensor({2})), std::invalid_argument);
  EXPECT_EQ(layer.bias().shape, std::vector<int>{3});
}

// Engine and layer checkpoints: a rebuilt engine and layer that load them continue exactly.
TEST(ConvLayerTraining, CheckpointContinuesBitIdentically) {
  const ConvShape s = convt(2, 2, 3, 3, 3, 4, 2, 1, 0);
  xbar::DeviceParams noisy;
  noisy.read_noise_sigma = 0.03;
  noisy.program_sigma = 0.03;
  noisy.pulse.c2c_sigma = 0.1;
  noisy.pulse.nonlinearity_ltp = 1.0;
  std::mt19937 rng(5);
  const Data d = make_data(s, 6);
  const Tensor dw = ref::random_tensor(s.weight_shape(), rng, 0.02f), db = ref::random_tensor({3}, rng, 0.1f);
  const auto step = [&](ConvLayer& layer) {
    layer.apply_update(dw, db);
    const Tensor y = layer.forward(d.x), dx = layer.backward_data(d.dy);
    const nn::WeightGrad gr = layer.backward_weight(d.x, d.dy);  // scratch loads make new arrays
    layer.apply_manhattan(gr.weight, 0.5f, 0.0f);
    std::vector<float> out = y.data;
    for (const Tensor* t : {&dx, &gr.weight, &gr.bias}) out.insert(out.end(), t->data.begin(), t->data.end());
    const Tensor w = layer.weights(), b = layer.bias();
    out.insert(out.end(), w.data.begin(), w.data.end());
    out.insert(out.end(), b.data.begin(), b.data.end());
    return out;
  };
  for (const Dataflow df : kAllDataflows) {
    const std::string what = dataflow_name(df);
    nn::CrossbarEngine ea({8, 10}, analog(), noisy, 1);
    ConvLayer a(ea, s, df);
    a.set_weights(d.w, d.b, nullptr, 1.5f);
    step(a);
    std::ostringstream os;
    ea.save_state(os);
    a.save_state(os);
    const std::vector<float> want = step(a);

    nn::CrossbarEngine eb({8, 10}, analog(), noisy, 99);
    ConvShape other_batch = s;
    other_batch.batch = 1;  // the layer state does not depend on the batch
    ConvLayer b(eb, s, df);
    std::istringstream in(os.str());
    eb.load_state(in);
    b.load_state(in);
    EXPECT_EQ(step(b), want) << what;

    std::ostringstream layer_only;
    a.save_state(layer_only);
    nn::FloatGemmEngine ef;
    ConvLayer any_batch(ef, other_batch, df);
    std::istringstream in_batch(layer_only.str());
    EXPECT_NO_THROW(any_batch.load_state(in_batch)) << what;
    ConvLayer shifted(ef, s, df);  // built second: other keys
    std::istringstream in_shifted(layer_only.str());
    EXPECT_THROW(shifted.load_state(in_shifted), std::runtime_error) << what;
    nn::FloatGemmEngine eg;
    ConvLayer other_df(eg, s, df == Dataflow::PixelWise ? Dataflow::ZeroFree : Dataflow::PixelWise);
    std::istringstream in_df(layer_only.str());
    EXPECT_THROW(other_df.load_state(in_df), std::runtime_error) << what;
  }
}

TEST(Dataflow, NamesRoundTrip) {
  for (const Dataflow df : kAllDataflows) EXPECT_EQ(parse_dataflow(dataflow_name(df)), df);
  EXPECT_THROW(parse_dataflow("zero-free"), std::invalid_argument);
}

}  // namespace
}  // namespace memgan::mapping
