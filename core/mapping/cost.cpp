#include "core/mapping/cost.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/mapping/phase_geometry.h"

namespace memgan::mapping {
namespace {

// floor(a / b) and ceil(a / b) for b > 0 and any sign of a.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

// Integers in [lo, hi], or 0.
int64_t span(int64_t lo, int64_t hi) { return std::max<int64_t>(0, hi - lo + 1); }

struct Calls {
  const nn::ArrayShape& shape;
  nn::MvmCounts& c;
  void mvm(int k, int n, int64_t vectors, bool transposed, int64_t nonzero) {
    nn::MvmCounts m = nn::tiled_mvm_counts(shape, k, n, vectors, transposed);
    m.inputs_nonzero = nonzero;
    c += m;
  }
  void reads(const MatrixSpec& m) { c.arrays_used += m.tiling.arrays(); }
  void load(const MatrixSpec& m) {
    c.arrays_used += m.tiling.arrays();
    c.weights_programmed += int64_t(m.rows) * m.cols;
  }
};

MatrixSpec spec(const nn::ArrayShape& s, std::string role, int rows, int cols, int64_t forward_mvms = 0) {
  return {std::move(role), rows, cols, nn::tile_matrix(s, rows, cols), forward_mvms};
}

std::string phase_role(const char* prefix, int ry, int rx) {
  return std::string(prefix) + "_" + std::to_string(ry) + std::to_string(rx);
}

}  // namespace

int64_t LayerCost::resident_arrays() const {
  int64_t n = 0;
  for (const auto& m : resident) n += m.tiling.arrays();
  return n;
}

int64_t LayerCost::resident_weights() const {
  int64_t n = 0;
  for (const auto& m : resident) n += int64_t(m.rows) * m.cols;
  return n;
}

int64_t valid_pairs(const AxisGeometry& g) {
  int64_t v = 0;
  for (int k = 0; k < g.kernel; ++k)  // a with P - k <= a*S <= Hb - 1 + P - k
    v += span(std::max<int64_t>(0, ceil_div(g.pad - k, g.stride)),
              std::min<int64_t>(g.small - 1, floor_div(g.big - 1 + g.pad - k, g.stride)));
  return v;
}

int64_t grid_pairs(const AxisGeometry& g) {
  const int64_t grid = int64_t(g.small - 1) * g.stride + 1;
  int64_t v = 0;
  for (int k = 0; k < g.kernel; ++k)  // z with P - k <= z <= Hb - 1 + P - k
    v += span(std::max<int64_t>(0, g.pad - k), std::min<int64_t>(grid - 1, g.big - 1 + g.pad - k));
  return v;
}

int64_t phase_pairs(const AxisGeometry& g, const AxisPhase& p) {
  int64_t v = 0;
  for (int m = 0; m < p.taps; ++m)  // t with m - base <= t <= h - 1 + m - base
    v += span(std::max<int64_t>(0, m - p.base), std::min<int64_t>(p.count - 1, g.small - 1 + m - p.base));
  return v;
}

LayerCost conv_cost(const ConvShape& shape, Dataflow df, const nn::ArrayShape& s, bool bias) {
  shape.validate();
  const bool convt = shape.kind == ConvKind::ConvTranspose2d;
  // The relation b = a*S + k - P: A small (ca, h, w), B big (cb, hb, wb); see dataflow.h.
  const int64_t n = shape.batch;
  const int ca = convt ? shape.in_channels : shape.out_channels, cb = convt ? shape.out_channels : shape.in_channels;
  const int h = convt ? shape.in_h : shape.out_h(), w = convt ? shape.in_w : shape.out_w();
  const int hb = convt ? shape.out_h() : shape.in_h, wb = convt ? shape.out_w() : shape.in_w;
  const int k = shape.kernel, st = shape.stride, taps = k * k;
  const AxisGeometry gy{h, hb, k, st, shape.padding}, gx{w, wb, k, st, shape.padding};
  const int64_t vy = valid_pairs(gy), vx = valid_pairs(gx);

  LayerCost cost;
  const MatrixSpec m_zi = spec(s, "M_zi", taps * ca, cb, convt ? n * hb * wb : 0);
  const MatrixSpec m_g = spec(s, "M_g", taps * cb, ca, convt ? 0 : n * h * w);
  const MatrixSpec m_px = spec(s, "M_px", ca, taps * cb, n * h * w);
  struct PhaseSpec {
    AxisPhase y, x;
    MatrixSpec m;
  };
  std::vector<PhaseSpec> phases;
  for (int ry = 0; ry < st; ++ry)
    for (int rx = 0; rx < st; ++rx) {
      const AxisPhase py = axis_phase(gy, ry), px = axis_phase(gx, rx);
      if (py.taps == 0 || px.taps == 0 || py.count == 0 || px.count == 0) continue;
      phases.push_back({py, px,
                        spec(s, phase_role("P", ry, rx), py.taps * px.taps * ca, cb,
                             convt ? n * py.count * px.count : 0)});
    }

  // Resident matrices, as ConvLayer programs them.
  if (!convt || df != Dataflow::PixelWise) cost.resident.push_back(m_g);
  if (df == Dataflow::ZeroInsertion) cost.resident.push_back(m_zi);
  if (convt && df == Dataflow::PixelWise) cost.resident.push_back(m_px);
  if (df == Dataflow::ZeroFree)
    for (const auto& p : phases) cost.resident.push_back(p.m);
  for (const auto& m : cost.resident) Calls{s, cost.program}.load(m);

  // Scatter A -> B: the transposed convolution's forward, the convolution's backward-data.
  auto scatter = [&](nn::MvmCounts& c) {
    Calls calls{s, c};
    if (df == Dataflow::ZeroInsertion) {
      calls.mvm(m_zi.rows, m_zi.cols, n * hb * wb, false, n * ca * vy * vx);
      calls.reads(m_zi);
    } else if (df == Dataflow::ZeroFree) {
      for (const auto& p : phases) {
        calls.mvm(p.m.rows, p.m.cols, n * p.y.count * p.x.count, false,
                  n * ca * phase_pairs(gy, p.y) * phase_pairs(gx, p.x));
        calls.reads(p.m);
      }
    } else {
      const int64_t pixels = n * h * w;
      if (convt) {
        calls.mvm(m_px.rows, m_px.cols, pixels, false, pixels * ca);
        calls.reads(m_px);
      } else {
        calls.mvm(m_g.rows, m_g.cols, pixels, true, pixels * ca);
        calls.reads(m_g);
      }
      c.overlap_adds += n * cb * vy * vx;
      c.outputs_discarded += n * cb * (int64_t(h) * k * w * k - vy * vx);
    }
  };
  // Gather B -> A: the convolution's forward, the transposed convolution's backward-data.
  auto gather = [&](nn::MvmCounts& c) {
    Calls calls{s, c};
    if (convt && df == Dataflow::ZeroInsertion) {
      const int64_t grid = (int64_t(h - 1) * st + 1) * (int64_t(w - 1) * st + 1);
      calls.mvm(m_g.rows, m_g.cols, n * grid, false, n * cb * grid_pairs(gy) * grid_pairs(gx));
      calls.reads(m_g);
      c.outputs_discarded += n * ca * (grid - int64_t(h) * w);
    } else if (convt && df == Dataflow::PixelWise) {
      calls.mvm(m_px.rows, m_px.cols, n * h * w, true, n * cb * vy * vx);
      calls.reads(m_px);
    } else {
      calls.mvm(m_g.rows, m_g.cols, n * h * w, false, n * cb * vy * vx);
      calls.reads(m_g);
    }
  };
  if (convt) {
    scatter(cost.forward);
    gather(cost.backward_data);
  } else {
    gather(cost.forward);
    scatter(cost.backward_data);
  }

  // Backward-weight: scratch operand programmed, the other streamed as columns.
  {
    nn::MvmCounts& c = cost.backward_weight;
    Calls calls{s, c};
    if (df == Dataflow::ZeroInsertion) {
      const MatrixSpec m = spec(s, "scratch", int(n * hb * wb), cb);
      calls.load(m);
      calls.mvm(m.rows, m.cols, int64_t(taps) * ca, false, n * ca * vy * vx);
      cost.scratch.push_back(m);
    } else if (df == Dataflow::ZeroFree) {
      for (const auto& p : phases) {
        const MatrixSpec m = spec(s, "scratch" + p.m.role.substr(1), int(n * p.y.count * p.x.count), cb);
        calls.load(m);
        calls.mvm(m.rows, m.cols, int64_t(p.y.taps) * p.x.taps * ca, false,
                  n * ca * phase_pairs(gy, p.y) * phase_pairs(gx, p.x));
        cost.scratch.push_back(m);
      }
    } else {
      const MatrixSpec m = spec(s, "scratch", int(n * h * w), ca);
      calls.load(m);
      calls.mvm(m.rows, m.cols, int64_t(taps) * cb, false, n * cb * vy * vx);
      cost.scratch.push_back(m);
    }
  }
  if (bias) {
    const int64_t outputs = n * shape.out_channels * shape.out_h() * shape.out_w();
    cost.forward.bias_adds += outputs;
    cost.backward_weight.bias_adds += outputs;
  }
  return cost;
}

LayerCost linear_cost(int batch, int in, int out, bool bias, const nn::ArrayShape& s) {
  if (batch < 1 || in < 1 || out < 1) throw std::invalid_argument("linear_cost: batch, in and out must be >= 1");
  LayerCost cost;
  const MatrixSpec m = spec(s, "W^T", in, out, batch);
  cost.resident.push_back(m);
  Calls{s, cost.program}.load(m);
  Calls fwd{s, cost.forward};
  fwd.mvm(in, out, batch, false, int64_t(batch) * in);
  fwd.reads(m);
  Calls bwd{s, cost.backward_data};
  bwd.mvm(in, out, batch, true, int64_t(batch) * out);
  bwd.reads(m);
  const MatrixSpec scratch = spec(s, "scratch", batch, in);
  cost.scratch.push_back(scratch);
  Calls bw{s, cost.backward_weight};
  bw.load(scratch);
  bw.mvm(batch, in, out, false, int64_t(out) * batch);
  if (bias) {
    cost.forward.bias_adds += int64_t(batch) * out;
    cost.backward_weight.bias_adds += int64_t(batch) * out;
  }
  return cost;
}

double lock_step_ns(const nn::MvmCounts& c, int64_t arrays, const ArrayTiming& t) {
  const int64_t n = std::max<int64_t>(1, arrays);
  const auto cdiv = [](int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : a; };
  const double conv_per_read = c.array_reads ? double(c.adc_conversions) / double(c.array_reads) : 0;
  const double t_read = std::max(t.dac_ns + t.array_read_ns, std::ceil(conv_per_read / t.adcs_per_array) * t.adc_ns);
  const int64_t cols = std::max(1, t.logical_cols);
  return double(cdiv(c.array_reads, n)) * t_read + double(cdiv(c.digital_adds(), n * t.adcs_per_array)) * t.clock_ns +
         double(cdiv(c.weights_programmed, n * cols)) * t.row_write_ns +
         double(cdiv(c.write_pulses, n * cols)) * t.write_pulse_ns;
}

}  // namespace memgan::mapping
