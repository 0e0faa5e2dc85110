#include "core/mapping/dataflow.h"

#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/mapping/phase_geometry.h"

namespace memgan::mapping {
namespace {

// The relation b = a*S + k - P between A (n x ca x h x w) and B (n x cb x hb x wb).
struct Rel {
  int n, ca, cb, h, w, hb, wb, k, s, p;
  AxisGeometry axis_y() const { return {h, hb, k, s, p}; }
  AxisGeometry axis_x() const { return {w, wb, k, s, p}; }
  std::size_t a_index(int b, int c, int y, int x) const { return ((std::size_t(b) * ca + c) * h + y) * w + x; }
  std::size_t b_index(int b, int c, int y, int x) const { return ((std::size_t(b) * cb + c) * hb + y) * wb + x; }
};

Rel relation(const ConvShape& s) {
  if (s.kind == ConvKind::ConvTranspose2d)
    return {s.batch, s.in_channels, s.out_channels, s.in_h, s.in_w, s.out_h(), s.out_w(), s.kernel, s.stride, s.padding};
  return {s.batch, s.out_channels, s.in_channels, s.out_h(), s.out_w(), s.in_h, s.in_w, s.kernel, s.stride, s.padding};
}

struct Phase {
  AxisPhase y, x;
  bool empty() const { return y.taps == 0 || x.taps == 0 || y.count == 0 || x.count == 0; }
  int taps() const { return y.taps * x.taps; }
  int positions() const { return y.count * x.count; }
};

std::vector<Phase> phases(const Rel& r) {
  std::vector<Phase> v;
  for (int ry = 0; ry < r.s; ++ry)
    for (int rx = 0; rx < r.s; ++rx) v.push_back({axis_phase(r.axis_y(), ry), axis_phase(r.axis_x(), rx)});
  return v;
}

bool in_range(int v, int size) { return v >= 0 && v < size; }

std::vector<float> transpose(const std::vector<float>& m, int rows, int cols) {
  std::vector<float> t(m.size());
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) t[std::size_t(j) * rows + i] = m[std::size_t(i) * cols + j];
  return t;
}

// --- weight matrices from Wt (ca x cb x K x K) ------------------------------------------------

float wt_at(const Rel& r, const float* wt, int c, int d, int ky, int kx) {
  return wt[((std::size_t(c) * r.cb + d) * r.k + ky) * r.k + kx];
}

std::vector<float> matrix_zi(const Rel& r, const float* wt) {
  std::vector<float> m(std::size_t(r.k) * r.k * r.ca * r.cb);
  for (int ky = 0; ky < r.k; ++ky)
    for (int kx = 0; kx < r.k; ++kx)
      for (int c = 0; c < r.ca; ++c)
        for (int d = 0; d < r.cb; ++d)
          m[((std::size_t(ky) * r.k + kx) * r.ca + c) * r.cb + d] = wt_at(r, wt, c, d, r.k - 1 - ky, r.k - 1 - kx);
  return m;
}

std::vector<float> matrix_g(const Rel& r, const float* wt) {
  std::vector<float> m(std::size_t(r.k) * r.k * r.ca * r.cb);
  for (int ky = 0; ky < r.k; ++ky)
    for (int kx = 0; kx < r.k; ++kx)
      for (int d = 0; d < r.cb; ++d)
        for (int c = 0; c < r.ca; ++c)
          m[((std::size_t(ky) * r.k + kx) * r.cb + d) * r.ca + c] = wt_at(r, wt, c, d, ky, kx);
  return m;
}

std::vector<float> matrix_px(const Rel& r, const float* wt) {
  const std::size_t cols = std::size_t(r.k) * r.k * r.cb;
  std::vector<float> m(r.ca * cols);
  for (int c = 0; c < r.ca; ++c)
    for (int ky = 0; ky < r.k; ++ky)
      for (int kx = 0; kx < r.k; ++kx)
        for (int d = 0; d < r.cb; ++d)
          m[c * cols + (std::size_t(ky) * r.k + kx) * r.cb + d] = wt_at(r, wt, c, d, ky, kx);
  return m;
}

std::vector<float> matrix_phase(const Rel& r, const Phase& ph, const float* wt) {
  std::vector<float> m(std::size_t(ph.taps()) * r.ca * r.cb);
  for (int my = 0; my < ph.y.taps; ++my)
    for (int mx = 0; mx < ph.x.taps; ++mx)
      for (int c = 0; c < r.ca; ++c)
        for (int d = 0; d < r.cb; ++d)
          m[((std::size_t(my) * ph.x.taps + mx) * r.ca + c) * r.cb + d] =
              wt_at(r, wt, c, d, ph.y.r + my * r.s, ph.x.r + mx * r.s);
  return m;
}

// --- input vectors ----------------------------------------------------------------------------

// The input matrices are copies, sample by sample: samples go to host threads once a matrix is
// large enough to pay for them (the same values for any thread count).
constexpr std::size_t kParallelFloats = std::size_t(1) << 16;

// Stride-1 windows of the zero-inserted, padded A at every B position: rows (n, by, bx),
// columns (ky, kx, c) of the flipped kernel; inserted and padding positions stay 0.
std::vector<float> zi_columns(const Rel& r, const float* a) {
  const int len = r.k * r.k * r.ca, pad = r.k - 1 - r.p;
  std::vector<float> x(std::size_t(r.n) * r.hb * r.wb * len, 0.0f);
#pragma omp parallel for schedule(static) if (x.size() > kParallelFloats)
  for (int b = 0; b < r.n; ++b)
    for (int by = 0; by < r.hb; ++by)
      for (int bx = 0; bx < r.wb; ++bx)
        for (int ky = 0; ky < r.k; ++ky) {
          const int zy = by + ky - pad;
          if (zy < 0 || zy % r.s != 0 || zy / r.s >= r.h) continue;
          for (int kx = 0; kx < r.k; ++kx) {
            const int zx = bx + kx - pad;
            if (zx < 0 || zx % r.s != 0 || zx / r.s >= r.w) continue;
            const std::size_t row = (std::size_t(b) * r.hb + by) * r.wb + bx;
            float* dst = x.data() + row * len + (std::size_t(ky) * r.k + kx) * r.ca;
            for (int c = 0; c < r.ca; ++c) dst[c] = a[r.a_index(b, c, zy / r.s, zx / r.s)];
          }
        }
  return x;
}

// Dense stride-1 windows of A for one phase: rows (n, ty, tx), columns (my, mx, c).
std::vector<float> phase_columns(const Rel& r, const Phase& ph, const float* a) {
  const int len = ph.taps() * r.ca;
  std::vector<float> x(std::size_t(r.n) * ph.positions() * len, 0.0f);
#pragma omp parallel for schedule(static) if (x.size() > kParallelFloats)
  for (int b = 0; b < r.n; ++b)
    for (int ty = 0; ty < ph.y.count; ++ty)
      for (int tx = 0; tx < ph.x.count; ++tx)
        for (int my = 0; my < ph.y.taps; ++my) {
          const int ay = ph.y.base + ty - my;
          if (!in_range(ay, r.h)) continue;
          for (int mx = 0; mx < ph.x.taps; ++mx) {
            const int ax = ph.x.base + tx - mx;
            if (!in_range(ax, r.w)) continue;
            const std::size_t row = (std::size_t(b) * ph.y.count + ty) * ph.x.count + tx;
            float* dst = x.data() + row * len + (std::size_t(my) * ph.x.taps + mx) * r.ca;
            for (int c = 0; c < r.ca; ++c) dst[c] = a[r.a_index(b, c, ay, ax)];
          }
        }
  return x;
}

// Number of window positions per axis: strided (a*S for a < h) or every point of the
// zero-inserted grid [0, (h-1)S].
int window_positions(int small, int stride, bool grid) { return grid ? (small - 1) * stride + 1 : small; }

// K x K windows of B at those positions: rows (n, iy, ix), columns (ky, kx, d); outside B is 0.
std::vector<float> window_columns(const Rel& r, const float* bt, bool grid) {
  const int len = r.k * r.k * r.cb;
  const int py = window_positions(r.h, r.s, grid), px = window_positions(r.w, r.s, grid), step = grid ? 1 : r.s;
  std::vector<float> x(std::size_t(r.n) * py * px * len, 0.0f);
#pragma omp parallel for schedule(static) if (x.size() > kParallelFloats)
  for (int b = 0; b < r.n; ++b)
    for (int iy = 0; iy < py; ++iy)
      for (int ix = 0; ix < px; ++ix)
        for (int ky = 0; ky < r.k; ++ky) {
          const int by = iy * step + ky - r.p;
          if (!in_range(by, r.hb)) continue;
          for (int kx = 0; kx < r.k; ++kx) {
            const int bx = ix * step + kx - r.p;
            if (!in_range(bx, r.wb)) continue;
            const std::size_t row = (std::size_t(b) * py + iy) * px + ix;
            float* dst = x.data() + row * len + (std::size_t(ky) * r.k + kx) * r.cb;
            for (int d = 0; d < r.cb; ++d) dst[d] = bt[r.b_index(b, d, by, bx)];
          }
        }
  return x;
}

// NCHW -> rows (n, y, x) of C channels.
std::vector<float> pixel_rows(const float* t, int n, int c, int h, int w) {
  std::vector<float> x(std::size_t(n) * c * h * w);
#pragma omp parallel for schedule(static) if (x.size() > kParallelFloats)
  for (int b = 0; b < n; ++b)
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < h; ++y)
        for (int xx = 0; xx < w; ++xx)
          x[((std::size_t(b) * h + y) * w + xx) * c + ch] = t[((std::size_t(b) * c + ch) * h + y) * w + xx];
  return x;
}

// B pixels of one phase: rows (n, ty, tx) at b = first + t*S, Cb channels.
std::vector<float> phase_rows(const Rel& r, const Phase& ph, const float* bt) {
  std::vector<float> x(std::size_t(r.n) * ph.positions() * r.cb);
#pragma omp parallel for schedule(static) if (x.size() > kParallelFloats)
  for (int b = 0; b < r.n; ++b)
    for (int ty = 0; ty < ph.y.count; ++ty)
      for (int tx = 0; tx < ph.x.count; ++tx) {
        const std::size_t row = (std::size_t(b) * ph.y.count + ty) * ph.x.count + tx;
        for (int d = 0; d < r.cb; ++d)
          x[row * r.cb + d] = bt[r.b_index(b, d, ph.y.first + ty * r.s, ph.x.first + tx * r.s)];
      }
  return x;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

const char* dataflow_name(Dataflow d) {
  switch (d) {
    case Dataflow::ZeroInsertion: return "zero_insertion";
    case Dataflow::ZeroFree: return "zero_free";
    case Dataflow::PixelWise: return "pixel_wise";
  }
  return "?";
}

Dataflow parse_dataflow(const std::string& name) {
  for (const Dataflow d : kAllDataflows)
    if (name == dataflow_name(d)) return d;
  throw std::invalid_argument("unknown dataflow '" + name + "' (zero_insertion, zero_free, pixel_wise)");
}

const char* conv_kind_name(ConvKind k) { return k == ConvKind::Conv2d ? "conv2d" : "conv_transpose2d"; }

int ConvShape::out_h() const {
  return kind == ConvKind::Conv2d ? (in_h + 2 * padding - kernel) / stride + 1
                                  : (in_h - 1) * stride - 2 * padding + kernel + output_padding;
}

int ConvShape::out_w() const {
  return kind == ConvKind::Conv2d ? (in_w + 2 * padding - kernel) / stride + 1
                                  : (in_w - 1) * stride - 2 * padding + kernel + output_padding;
}

std::vector<int> ConvShape::weight_shape() const {
  return kind == ConvKind::Conv2d ? std::vector<int>{out_channels, in_channels, kernel, kernel}
                                  : std::vector<int>{in_channels, out_channels, kernel, kernel};
}

std::vector<int> ConvShape::input_shape() const { return {batch, in_channels, in_h, in_w}; }
std::vector<int> ConvShape::output_shape() const { return {batch, out_channels, out_h(), out_w()}; }

void ConvShape::validate() const {
  const auto need = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("ConvShape." + what);
  };
  need(batch >= 1, "batch must be >= 1");
  need(in_channels >= 1, "in_channels must be >= 1");
  need(out_channels >= 1, "out_channels must be >= 1");
  need(in_h >= 1 && in_w >= 1, "in_h and in_w must be >= 1");
  need(kernel >= 1, "kernel must be >= 1");
  need(stride >= 1, "stride must be >= 1");
  need(padding >= 0, "padding must be >= 0");
  if (kind == ConvKind::Conv2d) {
    need(output_padding == 0, "output_padding must be 0 for conv2d");
    need(in_h + 2 * padding >= kernel && in_w + 2 * padding >= kernel, "kernel is larger than the padded input");
  } else {
    need(output_padding >= 0 && output_padding < stride, "output_padding must be in [0, stride)");
    need(out_h() >= 1 && out_w() >= 1, "padding leaves no output (out_h, out_w < 1)");
  }
}

// ---------------------------------------------------------------------------------------------

struct ConvLayer::Impl {
  nn::MvmEngine& eng;
  ConvShape shape;
  Dataflow df;
  Rel r;
  std::vector<Phase> ph;
  int zi_key = -1, g_key = -1, px_key = -1;
  std::vector<int> phase_keys;    // per phase, -1 where the phase is empty
  std::vector<int> scratch_keys;  // zero_free: per phase; otherwise one
  bool loaded = false;
  std::vector<float> bias;

  Impl(nn::MvmEngine& e, const ConvShape& s, Dataflow d) : eng(e), shape(s), df(d) {
    shape.validate();
    r = relation(shape);
    ph = phases(r);
    const bool convt = transposed();
    if (!convt || df != Dataflow::PixelWise) g_key = eng.new_key();
    if (df == Dataflow::ZeroInsertion) zi_key = eng.new_key();
    if (convt && df == Dataflow::PixelWise) px_key = eng.new_key();
    if (df == Dataflow::ZeroFree) {
      for (const Phase& p : ph) {
        phase_keys.push_back(p.empty() ? -1 : eng.new_key());
        scratch_keys.push_back(p.empty() ? -1 : eng.new_key());
      }
    } else {
      scratch_keys.push_back(eng.new_key());
    }
  }

  ~Impl() {
    for (const int k : {zi_key, g_key, px_key})
      if (k >= 0) eng.release(k);
    for (const auto* v : {&phase_keys, &scratch_keys})
      for (const int k : *v)
        if (k >= 0) eng.release(k);
  }

  bool transposed() const { return shape.kind == ConvKind::ConvTranspose2d; }

  void add_arrays(int key, nn::MvmCounts& c) const { c.arrays_used += eng.matrix(key).arrays(); }

  void check_weight_shape(const nn::Tensor& t, const char* what) const {
    if (t.shape != shape.weight_shape())
      throw std::invalid_argument(std::string("ConvLayer: ") + what + " must be " +
                                  nn::shape_string(shape.weight_shape()) + ", got " + nn::shape_string(t.shape));
  }

  // Every resident matrix as f(key, matrix, rows, cols), built from a tensor in Wt layout. The
  // matrix_* rearrangements are linear, so weights, deltas and gradients map alike. The order
  // (zi, g, px, phases) fixes the order arrays are created in.
  template <class F>
  void for_each_resident(const float* wt, F&& f) const {
    const int taps = r.k * r.k;
    if (zi_key >= 0) f(zi_key, matrix_zi(r, wt), taps * r.ca, r.cb);
    if (g_key >= 0) f(g_key, matrix_g(r, wt), taps * r.cb, r.ca);
    if (px_key >= 0) f(px_key, matrix_px(r, wt), r.ca, taps * r.cb);
    for (std::size_t i = 0; i < ph.size(); ++i)
      if (!phase_keys.empty() && phase_keys[i] >= 0)
        f(phase_keys[i], matrix_phase(r, ph[i], wt), ph[i].taps() * r.ca, r.cb);
  }

  // The matrix holding every weight exactly once, read back by weights().
  int readback_key() const { return g_key >= 0 ? g_key : px_key; }

  void set_weights(const nn::Tensor& weight, const nn::Tensor& b, nn::MvmCounts& c, float weight_range) {
    check_weight_shape(weight, "weight");
    check_bias(b, "bias");
    for_each_resident(weight.ptr(), [&](int key, const std::vector<float>& m, int rows, int cols) {
      eng.load(key, m.data(), rows, cols, &c, weight_range);
    });
    bias = b.data;
    loaded = true;
  }

  void check_bias(const nn::Tensor& b, const char* what) const {
    if (b.size() != 0 && b.shape != std::vector<int>{shape.out_channels})
      throw std::invalid_argument(std::string("ConvLayer: ") + what + " must be " +
                                  nn::shape_string({shape.out_channels}) + ", got " + nn::shape_string(b.shape));
  }

  void require_loaded(const char* what) const {
    if (!loaded) throw std::logic_error(std::string("ConvLayer: ") + what + " before set_weights");
  }

  void apply_update(const nn::Tensor& delta, const nn::Tensor& bias_delta, nn::MvmCounts& c) {
    require_loaded("apply_update");
    check_weight_shape(delta, "weight_delta");
    check_bias(bias_delta, "bias_delta");
    if (bias_delta.size() != 0 && bias.empty())
      throw std::invalid_argument("ConvLayer: bias_delta must be empty, the layer has no bias");
    for_each_resident(delta.ptr(), [&](int key, const std::vector<float>& m, int, int) {
      eng.apply_update(key, m.data(), &c);
    });
    if (bias_delta.size() != 0) {
      for (int ch = 0; ch < shape.out_channels; ++ch) bias[ch] += bias_delta.data[ch];
      c.bias_adds += shape.out_channels;
    }
  }

  void apply_manhattan(const nn::Tensor& grad, float threshold, float digital_step, nn::MvmCounts& c) {
    require_loaded("apply_manhattan");
    check_weight_shape(grad, "weight_grad");
    for_each_resident(grad.ptr(), [&](int key, const std::vector<float>& m, int, int) {
      eng.apply_manhattan(key, m.data(), threshold, digital_step, &c);
    });
  }

  // Inverse of matrix_g or matrix_px.
  nn::Tensor weights() const {
    require_loaded("weights");
    const int key = readback_key();
    const nn::MatrixInfo info = eng.matrix(key);
    std::vector<float> m(std::size_t(info.rows) * info.cols);
    eng.read_weights(key, m.data());
    nn::Tensor w(shape.weight_shape());
    float* wt = w.ptr();
    const std::size_t px_cols = std::size_t(r.k) * r.k * r.cb;
    for (int c = 0; c < r.ca; ++c)
      for (int d = 0; d < r.cb; ++d)
        for (int ky = 0; ky < r.k; ++ky)
          for (int kx = 0; kx < r.k; ++kx)
            wt[((std::size_t(c) * r.cb + d) * r.k + ky) * r.k + kx] =
                key == g_key ? m[((std::size_t(ky) * r.k + kx) * r.cb + d) * r.ca + c]
                             : m[c * px_cols + (std::size_t(ky) * r.k + kx) * r.cb + d];
    return w;
  }

  // Every key the layer holds, in a fixed order (checkpoints compare them).
  std::vector<int> all_keys() const {
    std::vector<int> k{zi_key, g_key, px_key};
    k.insert(k.end(), phase_keys.begin(), phase_keys.end());
    k.insert(k.end(), scratch_keys.begin(), scratch_keys.end());
    return k;
  }

  // Shape fields that fix the keys and weights (not batch).
  std::vector<int> geometry() const {
    return {int(shape.kind), shape.in_channels, shape.out_channels, shape.in_h, shape.in_w, shape.kernel,
            shape.stride, shape.padding, shape.output_padding, int(df)};
  }

  // B (n x cb x hb x wb) from A.
  std::vector<float> scatter(const float* a, nn::MvmCounts& c) {
    std::vector<float> out(std::size_t(r.n) * r.cb * r.hb * r.wb, 0.0f);
    if (df == Dataflow::ZeroInsertion) {
      const int rows = r.n * r.hb * r.wb;
      const std::vector<float> x = zi_columns(r, a);
      std::vector<float> y(std::size_t(rows) * r.cb);
      eng.mvm(zi_key, x.data(), rows, y.data(), &c);
      add_arrays(zi_key, c);
      std::size_t row = 0;
      for (int b = 0; b < r.n; ++b)
        for (int by = 0; by < r.hb; ++by)
          for (int bx = 0; bx < r.wb; ++bx, ++row)
            for (int d = 0; d < r.cb; ++d) out[r.b_index(b, d, by, bx)] = y[row * r.cb + d];
    } else if (df == Dataflow::ZeroFree) {
      for (std::size_t i = 0; i < ph.size(); ++i) {
        const Phase& p = ph[i];
        if (p.empty()) continue;
        const int rows = r.n * p.positions();
        const std::vector<float> x = phase_columns(r, p, a);
        std::vector<float> y(std::size_t(rows) * r.cb);
        eng.mvm(phase_keys[i], x.data(), rows, y.data(), &c);
        add_arrays(phase_keys[i], c);
        std::size_t row = 0;
        for (int b = 0; b < r.n; ++b)
          for (int ty = 0; ty < p.y.count; ++ty)
            for (int tx = 0; tx < p.x.count; ++tx, ++row)
              for (int d = 0; d < r.cb; ++d)
                out[r.b_index(b, d, p.y.first + ty * r.s, p.x.first + tx * r.s)] = y[row * r.cb + d];
      }
    } else {
      // One MVM per A pixel gives its K x K x Cb patch; patches overlap-add, P crops.
      const int rows = r.n * r.h * r.w, len = r.k * r.k * r.cb;
      const std::vector<float> x = pixel_rows(a, r.n, r.ca, r.h, r.w);
      std::vector<float> y(std::size_t(rows) * len);
      if (transposed()) {
        eng.mvm(px_key, x.data(), rows, y.data(), &c);
        add_arrays(px_key, c);
      } else {
        eng.mvm_transposed(g_key, x.data(), rows, y.data(), &c);
        add_arrays(g_key, c);
      }
      std::size_t row = 0;
      for (int b = 0; b < r.n; ++b)
        for (int ay = 0; ay < r.h; ++ay)
          for (int ax = 0; ax < r.w; ++ax, ++row)
            for (int ky = 0; ky < r.k; ++ky)
              for (int kx = 0; kx < r.k; ++kx) {
                const int by = ay * r.s + ky - r.p, bx = ax * r.s + kx - r.p;
                if (!in_range(by, r.hb) || !in_range(bx, r.wb)) {
                  c.outputs_discarded += r.cb;
                  continue;
                }
                const float* src = y.data() + row * len + (std::size_t(ky) * r.k + kx) * r.cb;
                for (int d = 0; d < r.cb; ++d) out[r.b_index(b, d, by, bx)] += src[d];
                c.overlap_adds += r.cb;
              }
    }
    return out;
  }

  // A (n x ca x h x w) from B.
  std::vector<float> gather(const float* bt, nn::MvmCounts& c) {
    std::vector<float> out(std::size_t(r.n) * r.ca * r.h * r.w, 0.0f);
    // Windows of B: strided, or (zero_insertion ConvT) at every zero-inserted grid point.
    const bool grid = transposed() && df == Dataflow::ZeroInsertion;
    const int py = window_positions(r.h, r.s, grid), px = window_positions(r.w, r.s, grid);
    const int rows = r.n * py * px;
    const std::vector<float> x = window_columns(r, bt, grid);
    std::vector<float> y(std::size_t(rows) * r.ca);
    if (transposed() && df == Dataflow::PixelWise) {
      eng.mvm_transposed(px_key, x.data(), rows, y.data(), &c);
      add_arrays(px_key, c);
    } else {
      eng.mvm(g_key, x.data(), rows, y.data(), &c);
      add_arrays(g_key, c);
    }
    const int step = grid ? r.s : 1;
    std::size_t row = 0;
    for (int b = 0; b < r.n; ++b)
      for (int iy = 0; iy < py; ++iy)
        for (int ix = 0; ix < px; ++ix, ++row) {
          if (iy % step != 0 || ix % step != 0) {  // an inserted zero's gradient
            c.outputs_discarded += r.ca;
            continue;
          }
          for (int ch = 0; ch < r.ca; ++ch) out[r.a_index(b, ch, iy / step, ix / step)] = y[row * r.ca + ch];
        }
    return out;
  }

  // dWt (ca x cb x K x K) from A and B.
  std::vector<float> correlate(const float* a, const float* bt, nn::MvmCounts& c) {
    std::vector<float> dw(std::size_t(r.ca) * r.cb * r.k * r.k, 0.0f);
    const auto dw_at = [&](int ch, int d, int ky, int kx) -> float& {
      return dw[((std::size_t(ch) * r.cb + d) * r.k + ky) * r.k + kx];
    };
    const int key = scratch_keys[0];
    if (df == Dataflow::ZeroInsertion) {
      const int len = r.n * r.hb * r.wb, vectors = r.k * r.k * r.ca;
      eng.load(key, pixel_rows(bt, r.n, r.cb, r.hb, r.wb).data(), len, r.cb, &c);
      const std::vector<float> v = transpose(zi_columns(r, a), len, vectors);
      std::vector<float> y(std::size_t(vectors) * r.cb);
      eng.mvm(key, v.data(), vectors, y.data(), &c);
      for (int ky = 0; ky < r.k; ++ky)
        for (int kx = 0; kx < r.k; ++kx)
          for (int ch = 0; ch < r.ca; ++ch)
            for (int d = 0; d < r.cb; ++d)
              dw_at(ch, d, r.k - 1 - ky, r.k - 1 - kx) = y[((std::size_t(ky) * r.k + kx) * r.ca + ch) * r.cb + d];
    } else if (df == Dataflow::ZeroFree) {
      for (std::size_t i = 0; i < ph.size(); ++i) {
        const Phase& p = ph[i];
        if (p.empty()) continue;
        const int len = r.n * p.positions(), vectors = p.taps() * r.ca;
        eng.load(scratch_keys[i], phase_rows(r, p, bt).data(), len, r.cb, &c);
        const std::vector<float> v = transpose(phase_columns(r, p, a), len, vectors);
        std::vector<float> y(std::size_t(vectors) * r.cb);
        eng.mvm(scratch_keys[i], v.data(), vectors, y.data(), &c);
        for (int my = 0; my < p.y.taps; ++my)
          for (int mx = 0; mx < p.x.taps; ++mx)
            for (int ch = 0; ch < r.ca; ++ch)
              for (int d = 0; d < r.cb; ++d)
                dw_at(ch, d, p.y.r + my * r.s, p.x.r + mx * r.s) =
                    y[((std::size_t(my) * p.x.taps + mx) * r.ca + ch) * r.cb + d];
      }
    } else {
      const int len = r.n * r.h * r.w, vectors = r.k * r.k * r.cb;
      eng.load(key, pixel_rows(a, r.n, r.ca, r.h, r.w).data(), len, r.ca, &c);
      const std::vector<float> v = transpose(window_columns(r, bt, false), len, vectors);
      std::vector<float> y(std::size_t(vectors) * r.ca);
      eng.mvm(key, v.data(), vectors, y.data(), &c);
      for (int ky = 0; ky < r.k; ++ky)
        for (int kx = 0; kx < r.k; ++kx)
          for (int d = 0; d < r.cb; ++d)
            for (int ch = 0; ch < r.ca; ++ch)
              dw_at(ch, d, ky, kx) = y[((std::size_t(ky) * r.k + kx) * r.cb + d) * r.ca + ch];
    }
    return dw;
  }

  void check(const nn::Tensor& t, const std::vector<int>& want, const char* what) const {
    if (t.shape != want)
      throw std::invalid_argument(std::string("ConvLayer: ") + what + " must be " + nn::shape_string(want) + ", got " +
                                  nn::shape_string(t.shape));
  }

  void add_bias(std::vector<float>& y, int channels, int plane, nn::MvmCounts& c) const {
    if (bias.empty()) return;
    for (int b = 0; b < r.n; ++b)
      for (int ch = 0; ch < channels; ++ch)
        for (int i = 0; i < plane; ++i) y[(std::size_t(b) * channels + ch) * plane + i] += bias[ch];
    c.bias_adds += int64_t(r.n) * channels * plane;
  }
};

ConvLayer::ConvLayer(nn::MvmEngine& engine, const ConvShape& shape, Dataflow dataflow)
    : impl_(std::make_unique<Impl>(engine, shape, dataflow)) {}
ConvLayer::~ConvLayer() = default;
ConvLayer::ConvLayer(ConvLayer&&) noexcept = default;
ConvLayer& ConvLayer::operator=(ConvLayer&&) noexcept = default;

const ConvShape& ConvLayer::shape() const { return impl_->shape; }
Dataflow ConvLayer::dataflow() const { return impl_->df; }

void ConvLayer::set_weights(const nn::Tensor& weight, const nn::Tensor& bias, nn::MvmCounts* counts,
                            float weight_range) {
  nn::MvmCounts c;
  impl_->set_weights(weight, bias, c, weight_range);
  if (counts) *counts += c;
}

void ConvLayer::apply_update(const nn::Tensor& weight_delta, const nn::Tensor& bias_delta, nn::MvmCounts* counts) {
  nn::MvmCounts c;
  impl_->apply_update(weight_delta, bias_delta, c);
  if (counts) *counts += c;
}

void ConvLayer::apply_manhattan(const nn::Tensor& weight_grad, float threshold, float digital_step,
                                nn::MvmCounts* counts) {
  nn::MvmCounts c;
  impl_->apply_manhattan(weight_grad, threshold, digital_step, c);
  if (counts) *counts += c;
}

nn::Tensor ConvLayer::weights() const { return impl_->weights(); }

nn::Tensor ConvLayer::bias() const {
  const Impl& m = *impl_;
  return m.bias.empty() ? nn::Tensor() : nn::Tensor({m.shape.out_channels}, m.bias);
}

double ConvLayer::weight_step() const {
  impl_->require_loaded("weight_step");
  return impl_->eng.weight_step(impl_->readback_key());
}

namespace {
constexpr const char* kConvTag = "memgan.mapping.ConvLayer";
constexpr uint32_t kConvVersion = 1;
}  // namespace

void ConvLayer::save_state(std::ostream& os) const {
  namespace sio = xbar::state_io;
  const Impl& m = *impl_;
  sio::write_tag(os, kConvTag, kConvVersion);
  sio::write_vector(os, m.geometry());
  sio::write_vector(os, m.all_keys());
  sio::write<uint8_t>(os, m.loaded);
  sio::write_vector(os, m.bias);
}

void ConvLayer::load_state(std::istream& is) {
  namespace sio = xbar::state_io;
  static constexpr const char* what = "ConvLayer::load_state";
  Impl& m = *impl_;
  sio::read_tag(is, kConvTag, kConvVersion, what);
  std::vector<int> geometry, keys;
  sio::read_vector(is, geometry, what, m.geometry().size());
  if (geometry != m.geometry())
    throw std::runtime_error(std::string(what) + ": the state is of a layer with another shape or dataflow");
  sio::read_vector(is, keys, what, m.all_keys().size());
  if (keys != m.all_keys())
    throw std::runtime_error(std::string(what) +
                             ": the state was saved from a layer on other engine keys: construct the layers in the "
                             "same order");
  const bool loaded = sio::read<uint8_t>(is, what) != 0;
  std::vector<float> bias;
  sio::read_vector(is, bias, what);
  if (!bias.empty() && bias.size() != std::size_t(m.shape.out_channels))
    throw std::runtime_error(std::string(what) + ": corrupt bias");
  m.loaded = loaded;
  m.bias = std::move(bias);
}

nn::Tensor ConvLayer::forward(const nn::Tensor& x, nn::MvmCounts* counts) {
  Impl& m = *impl_;
  if (!m.loaded) throw std::logic_error("ConvLayer: forward before set_weights");
  m.check(x, m.shape.input_shape(), "input");
  nn::MvmCounts c;
  std::vector<float> y = m.transposed() ? m.scatter(x.ptr(), c) : m.gather(x.ptr(), c);
  const int plane = m.shape.out_h() * m.shape.out_w();
  m.add_bias(y, m.shape.out_channels, plane, c);
  if (counts) *counts += c;
  return nn::Tensor(m.shape.output_shape(), std::move(y));
}

nn::Tensor ConvLayer::backward_data(const nn::Tensor& dy, nn::MvmCounts* counts) {
  Impl& m = *impl_;
  if (!m.loaded) throw std::logic_error("ConvLayer: backward_data before set_weights");
  m.check(dy, m.shape.output_shape(), "output gradient");
  nn::MvmCounts c;
  std::vector<float> dx = m.transposed() ? m.gather(dy.ptr(), c) : m.scatter(dy.ptr(), c);
  if (counts) *counts += c;
  return nn::Tensor(m.shape.input_shape(), std::move(dx));
}

nn::WeightGrad ConvLayer::backward_weight(const nn::Tensor& x, const nn::Tensor& dy, nn::MvmCounts* counts) {
  Impl& m = *impl_;
  if (!m.loaded) throw std::logic_error("ConvLayer: backward_weight before set_weights");
  m.check(x, m.shape.input_shape(), "input");
  m.check(dy, m.shape.output_shape(), "output gradient");
  nn::MvmCounts c;
  nn::WeightGrad g;
  g.weight = nn::Tensor(m.shape.weight_shape(),
                        m.transposed() ? m.correlate(x.ptr(), dy.ptr(), c) : m.correlate(dy.ptr(), x.ptr(), c));
  if (!m.bias.empty()) {
    const int channels = m.shape.out_channels, plane = m.shape.out_h() * m.shape.out_w();
    g.bias = nn::Tensor({channels});
    for (int ch = 0; ch < channels; ++ch) {
      double sum = 0;
      for (int b = 0; b < m.shape.batch; ++b)
        for (int i = 0; i < plane; ++i) sum += dy.data[(std::size_t(b) * channels + ch) * plane + i];
      g.bias.data[ch] = static_cast<float>(sum);
    }
    c.bias_adds += dy.size();
  }
  if (counts) *counts += c;
  return g;
}

}  // namespace memgan::mapping
