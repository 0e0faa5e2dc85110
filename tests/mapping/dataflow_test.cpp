// The three dataflows against the direct reference (tests/nn/reference.h): exact engines to
// float rounding, the 8-bit quantized crossbar within the documented bound (docs/dataflows.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "mapping/dataflow.h"
#include "mapping/cases.h"
#include "nn/reference.h"

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

TEST(Dataflow, NamesRoundTrip) {
  for (const Dataflow df : kAllDataflows) EXPECT_EQ(parse_dataflow(dataflow_name(df)), df);
  EXPECT_THROW(parse_dataflow("zero-free"), std::invalid_argument);
}

}  // namespace
}  // namespace memgan::mapping
