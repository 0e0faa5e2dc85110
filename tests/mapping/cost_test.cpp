// Counts from running the layers through counting engines equal the closed forms of cost.h.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/mapping/cases.h"
#include "core/mapping/cost.h"
#include "core/mapping/dataflow.h"
#include "core/nn/linear.h"
#include "tests/nn/reference.h"

namespace memgan::mapping {
namespace {

using nn::MvmCounts;
using nn::Tensor;
using test::Case;
using test::kCases;

void expect_counts(const MvmCounts& got, const MvmCounts& want, const std::string& what) {
  EXPECT_EQ(got.logical_mvms, want.logical_mvms) << what;
  EXPECT_EQ(got.array_reads, want.array_reads) << what;
  EXPECT_EQ(got.dac_conversions, want.dac_conversions) << what;
  EXPECT_EQ(got.adc_conversions, want.adc_conversions) << what;
  EXPECT_EQ(got.inputs_applied, want.inputs_applied) << what;
  EXPECT_EQ(got.inputs_nonzero, want.inputs_nonzero) << what;
  EXPECT_EQ(got.outputs, want.outputs) << what;
  EXPECT_EQ(got.partial_sum_adds, want.partial_sum_adds) << what;
  EXPECT_EQ(got.arrays_used, want.arrays_used) << what;
  EXPECT_EQ(got.weights_programmed, want.weights_programmed) << what;
  EXPECT_EQ(got.outputs_discarded, want.outputs_discarded) << what;
  EXPECT_EQ(got.overlap_adds, want.overlap_adds) << what;
  EXPECT_EQ(got.bias_adds, want.bias_adds) << what;
}

struct Phases {
  MvmCounts program, forward, backward_data, backward_weight;
};

// Random gaussian data: no exact zeros, so the non-zero counts are the structural ones.
Phases run_counted(nn::MvmEngine& engine, const ConvShape& s, Dataflow df, bool bias) {
  std::mt19937 rng(17);
  ConvLayer layer(engine, s, df);
  Phases p;
  layer.set_weights(ref::random_tensor(s.weight_shape(), rng),
                    bias ? ref::random_tensor({s.out_channels}, rng) : Tensor(), &p.program);
  const Tensor x = ref::random_tensor(s.input_shape(), rng), dy = ref::random_tensor(s.output_shape(), rng);
  layer.forward(x, &p.forward);
  layer.backward_data(dy, &p.backward_data);
  layer.backward_weight(x, dy, &p.backward_weight);
  return p;
}

void expect_cost(nn::MvmEngine& engine, const Case& c, Dataflow df, bool bias) {
  const std::string what = std::string(c.name) + " " + dataflow_name(df) + " on " +
                           std::to_string(engine.array_shape().rows) + "x" + std::to_string(engine.array_shape().cols) +
                           " ns " + std::to_string(engine.array_shape().slices);
  const Phases got = run_counted(engine, c.shape, df, bias);
  const LayerCost want = conv_cost(c.shape, df, engine.array_shape(), bias);
  expect_counts(got.program, want.program, what + " program");
  expect_counts(got.forward, want.forward, what + " forward");
  expect_counts(got.backward_data, want.backward_data, what + " backward-data");
  expect_counts(got.backward_weight, want.backward_weight, what + " backward-weight");
}

// Four counting engines, every dataflow: ideal crossbars (8 x 5 logical), quantized
// differential crossbars (4 slices, 8 input cycles, 8 x 3 logical), quantized offset crossbars
// with a 2-bit DAC (reference row and column reserved: 8 x 3 logical) and the float engine
// counting for an odd ArrayShape.
class CountsMatchClosedForm : public ::testing::TestWithParam<Case> {};

TEST_P(CountsMatchClosedForm, OnEveryEngine) {
  xbar::ConverterParams analog;
  analog.quantize = false;
  xbar::ConverterParams offset;
  offset.encoding = xbar::WeightEncoding::Offset;
  offset.dac_bits = 2;
  for (const Dataflow df : kAllDataflows) {
    nn::CrossbarEngine ideal({8, 10}, analog, {}, 1);
    expect_cost(ideal, GetParam(), df, true);
    nn::CrossbarEngine differential({8, 24}, {}, {}, 1);
    ASSERT_EQ(differential.array_shape().slices, 4);
    ASSERT_EQ(differential.array_shape().cycles, 8);
    expect_cost(differential, GetParam(), df, false);
    nn::CrossbarEngine offset_encoded({9, 13}, offset, {}, 1);
    ASSERT_EQ(offset_encoded.array_shape().rows, 8);
    expect_cost(offset_encoded, GetParam(), df, true);
    nn::FloatGemmEngine counting({7, 5, 3, 2});
    expect_cost(counting, GetParam(), df, true);
  }
}

std::string shape_name(const ::testing::TestParamInfo<Case>& param) { return param.param.name; }

INSTANTIATE_TEST_SUITE_P(Shapes, CountsMatchClosedForm, ::testing::ValuesIn(kCases), shape_name);

TEST(LinearCost, CountsMatchClosedForm) {
  for (const bool bias : {false, true}) {
    nn::CrossbarEngine engine({8, 24}, {}, {}, 1);
    std::mt19937 rng(3);
    nn::Linear layer(engine, 11, 7);
    Phases p;
    layer.set_weights(ref::random_tensor({7, 11}, rng), bias ? ref::random_tensor({7}, rng) : Tensor(), &p.program);
    const Tensor x = ref::random_tensor({5, 11}, rng), dy = ref::random_tensor({5, 7}, rng);
    layer.forward(x, &p.forward);
    layer.backward_data(dy, &p.backward_data);
    layer.backward_weight(x, dy, &p.backward_weight);
    const LayerCost want = linear_cost(5, 11, 7, bias, engine.array_shape());
    expect_counts(p.program, want.program, "program");
    expect_counts(p.forward, want.forward, "forward");
    expect_counts(p.backward_data, want.backward_data, "backward-data");
    expect_counts(p.backward_weight, want.backward_weight, "backward-weight");
  }
}

// REFERENCE.md's worked example: H = 4, Cin = 1024, Cout = 512, K = 4, S = 2, P = 1 (Ho = 8),
// R = 128; 8-bit weights on 2-bit differential cells (4 slices, 16 logical columns per 128),
// 1-bit DAC (8 cycles). Closed form only.
TEST(WorkedExample, ReferenceNumbers) {
  const ConvShape s = test::convt(1, 1024, 512, 4, 4, 4, 2, 1, 0);
  ASSERT_EQ(s.out_h(), 8);
  const nn::ArrayShape arrays{128, 16, 4, 8};

  // (a) 64 MVMs of length 16384, 128 row tiles each.
  const LayerCost zi = conv_cost(s, Dataflow::ZeroInsertion, arrays, false);
  EXPECT_EQ(zi.forward.logical_mvms, 64);
  EXPECT_EQ(zi.forward.inputs_applied, 64 * 16384);
  const MatrixSpec& m_zi = zi.resident[1];
  ASSERT_EQ(m_zi.role, "M_zi");
  EXPECT_EQ(m_zi.rows, 16384);
  EXPECT_EQ(m_zi.tiling.row_tiles, 128);
  EXPECT_EQ(m_zi.tiling.col_tiles, 32);
  // reads = MVMs x ceil(rows / R) x ceil(Cout * ns / C) x nc
  EXPECT_EQ(zi.forward.array_reads, int64_t(64) * 128 * 32 * 8);
  // Only the 14 x 14 valid (pixel, tap) pairs per axis carry data: about 1/S^2 non-zero.
  EXPECT_EQ(zi.forward.inputs_nonzero, int64_t(1024) * 14 * 14);
  EXPECT_NEAR(zi.forward.fed_zero_fraction(), 1.0 - 200704.0 / 1048576.0, 1e-12);

  // (b) 4 phases x 16 = 64 MVMs of length 4096, 32 row tiles each.
  const LayerCost zf = conv_cost(s, Dataflow::ZeroFree, arrays, false);
  ASSERT_EQ(zf.resident.size(), 5u);  // M_g (backward-data) and the four phases
  int64_t phase_arrays = 0;
  for (const auto& m : zf.resident) {
    if (m.role == "M_g") continue;
    EXPECT_EQ(m.rows, 4096) << m.role;
    EXPECT_EQ(m.tiling.row_tiles, 32) << m.role;
    EXPECT_EQ(m.forward_mvms, 16) << m.role;
    phase_arrays += m.tiling.arrays();
  }
  EXPECT_EQ(phase_arrays, m_zi.tiling.arrays());  // same cells as M_zi, in S^2 groups
  EXPECT_EQ(zf.forward.logical_mvms, 64);
  EXPECT_EQ(zf.forward.inputs_applied, 64 * 4096);
  EXPECT_EQ(zf.forward.inputs_nonzero, zi.forward.inputs_nonzero);  // same products, fewer zeros
  EXPECT_EQ(zf.forward.array_reads * 4, zi.forward.array_reads);   // S^2 fewer array reads
  EXPECT_EQ(zf.forward.adc_conversions * 4, zi.forward.adc_conversions);

  // Backward-data: the stride-S convolution of dOut, H*W = 16 MVMs of K*K*Cout = 8192, against
  // the baseline's stride-1 convolution over the 7 x 7 zero-inserted grid.
  EXPECT_EQ(zf.backward_data.logical_mvms, 16);
  EXPECT_EQ(zf.backward_data.inputs_applied, 16 * 8192);
  EXPECT_EQ(zi.backward_data.logical_mvms, 49);
  EXPECT_EQ(zi.backward_data.outputs_discarded, (49 - 16) * 1024);

  // (c) pixel-wise: H*W = 16 MVMs of length Cin into K*K*Cout = 8192 outputs, overlap-added.
  const LayerCost px = conv_cost(s, Dataflow::PixelWise, arrays, false);
  EXPECT_EQ(px.forward.logical_mvms, 16);
  EXPECT_EQ(px.forward.inputs_applied, 16 * 1024);
  EXPECT_EQ(px.forward.inputs_nonzero, 16 * 1024);
  EXPECT_EQ(px.forward.array_reads, zf.forward.array_reads);
  EXPECT_EQ(px.forward.overlap_adds, int64_t(512) * 14 * 14);
  EXPECT_EQ(px.forward.outputs_discarded, int64_t(512) * (16 * 16 - 14 * 14));
}

TEST(AxisCounts, ClosedFormsMatchEnumeration) {
  for (int small = 1; small <= 5; ++small)
    for (int k = 1; k <= 5; ++k)
      for (int s = 1; s <= 3; ++s)
        for (int p = 0; p < k; ++p)
          for (int extra = 0; extra < s; ++extra) {
            const int big = (small - 1) * s - 2 * p + k + extra;
            if (big < 1) continue;
            const AxisGeometry g{small, big, k, s, p};
            int64_t v = 0, grid = 0;
            for (int a = 0; a < small; ++a)
              for (int t = 0; t < k; ++t) v += a * s + t - p >= 0 && a * s + t - p < big;
            for (int z = 0; z < (small - 1) * s + 1; ++z)
              for (int t = 0; t < k; ++t) grid += z + t - p >= 0 && z + t - p < big;
            EXPECT_EQ(valid_pairs(g), v);
            EXPECT_EQ(grid_pairs(g), grid);
            int64_t phased = 0, positions = 0;
            for (int r = 0; r < s; ++r) {
              const AxisPhase ph = axis_phase(g, r);
              phased += phase_pairs(g, ph);
              positions += ph.count;
              for (int t = 0; t < ph.count; ++t) EXPECT_EQ((ph.first + t * s + p) % s, r);
            }
            EXPECT_EQ(phased, v);
            EXPECT_EQ(positions, big);
          }
}

}  // namespace
}  // namespace memgan::mapping
