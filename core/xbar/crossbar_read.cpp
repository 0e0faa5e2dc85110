// Reads of the array model: the float (analog) and quantized (DAC, ADC, shift-and-add) MVM paths, read energy.
#include "core/xbar/crossbar_array.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/xbar/crossbar_internal.h"
#include "core/xbar/random.h"
#include "core/xbar/simd.h"

namespace memgan::xbar {

namespace {

// Quantized reads process GEMM rows in blocks of about kBlockFloats products (1 MiB, cache
// resident for the ADC pass) but at least kMinBlockRows rows (so weights are not re-streamed
// for tiny GEMMs).
constexpr int kBlockFloats = 1 << 18, kMinBlockRows = 256;
constexpr int kMaxSlices = 8;  // ceil(weight_bits / cell_bits) with weight_bits <= 8

// Read noise of one ADC pass, in place over its variances: v[j] <- sqrt(var_sign v[j] t) (cos|sin),
// drawn from one word per pair of outputs (j and j + ceil(n/2), see box_muller), which takes one
// square root per output. Its own pass (not fused into adc_row) so that both loops vectorize.
MEMGAN_XBAR_SIMD_CLONES
void noise_pairs(float* __restrict lo, float* __restrict hi, const uint64_t* __restrict words, float var_sign,
                 int pairs) {
  for (int k = 0; k < pairs; ++k) {
    float t, c, sn;
    detail::box_muller(words[k], t, c, sn);
    lo[k] = std::sqrt(var_sign * lo[k] * t) * c;
    hi[k] = std::sqrt(var_sign * hi[k] * t) * sn;
  }
}

void noise_in_place(float* v, const uint64_t* words, float var_sign, int n) {
  const int half = (n + 1) / 2;
  noise_pairs(v, v + half, words, var_sign, n / 2);
  if (n % 2) {
    float t, c, sn;
    detail::box_muller(words[half - 1], t, c, sn);
    v[half - 1] = std::sqrt(var_sign * v[half - 1] * t) * c;
  }
}

// ADC plus shift-and-add of one slice's n outputs: code = clamp(round_half_even(analog(j) * inv_lsb),
// lo, hi) and acc[j] += code * w. nearbyint rounds half to even (default rounding mode). Returns
// the number of saturated conversions. Inline so that each caller's loop vectorizes on its own.
template <class Analog>
inline int convert_and_add(Analog analog, float inv_lsb, float lo, float hi, int32_t w, int32_t* __restrict acc,
                           int n) {
  int saturations = 0;
  for (int j = 0; j < n; ++j) {
    const float r = std::nearbyint(analog(j) * inv_lsb);
    saturations += (r < lo) | (r > hi);
    acc[j] += static_cast<int32_t>(std::min(std::max(r, lo), hi)) * w;
  }
  return saturations;
}

// ADC plus shift-and-add for one GEMM row (one input cycle of one vector): for each slice s
// the analog value of output j is mean - shift[s], plus the drawn read noise (noise_in_place)
// when there is any, and its code weighs weight[s] = 2^(c Bd + s Bc). The int32 accumulator is
// exact: |sum code * weight| < 2^15 * 2^8 * 2^8. Returns the number of saturated conversions.
MEMGAN_XBAR_SIMD_CLONES
int adc_row(const float* mean, const float* noise, const float* shift, float inv_lsb, float lo, float hi,
            const int32_t* weight, int32_t* acc, int n, int ns) {
  int saturations = 0;
  for (int s = 0; s < ns; ++s) {
    const float* __restrict m = mean + std::size_t(s) * n;
    const float sh = shift[s];
    if (noise) {
      const float* __restrict z = noise + std::size_t(s) * n;
      saturations += convert_and_add([&](int j) { return m[j] + z[j] - sh; }, inv_lsb, lo, hi, weight[s], acc, n);
    } else {
      saturations += convert_and_add([&](int j) { return m[j] - sh; }, inv_lsb, lo, hi, weight[s], acc, n);
    }
  }
  return saturations;
}

// y[j] += noise[j] - shift: the float read's noise (noise_in_place), its reference-line shift.
MEMGAN_XBAR_SIMD_CLONES
void add_noise(const float* __restrict noise, float shift, float* __restrict y, int n) {
  for (int j = 0; j < n; ++j) y[j] += noise[j] - shift;
}

// Integers of one input vector; false if any value is not an integer in [lo, hi].
MEMGAN_XBAR_SIMD_CLONES
bool to_integers(const float* x, int n, float lo, float hi, int32_t* xi) {
  int bad = 0;
  for (int k = 0; k < n; ++k) {
    const float v = x[k];
    const auto i = static_cast<int32_t>(v >= lo && v <= hi ? v : 0.0f);
    xi[k] = i;
    bad |= static_cast<float>(i) != v;
  }
  return !bad;
}

// DAC chunk (xi >> shift) & mask: an unsigned digit, or with mask -1 the signed top chunk.
MEMGAN_XBAR_SIMD_CLONES
void chunk_of(const int8_t* xi, int n, int shift, int32_t mask, float* out) {
  for (int k = 0; k < n; ++k) out[k] = static_cast<float>((int32_t(xi[k]) >> shift) & mask);
}

MEMGAN_XBAR_SIMD_CLONES
void square(const float* x, float* x2, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k) x2[k] = x[k] * x[k];
}

// Largest value of non-negative floats by their bit patterns (monotonic for x >= 0, NaN above all).
MEMGAN_XBAR_SIMD_CLONES
float max_nonnegative(const float* x, int n) {
  int32_t m = 0;
  for (int k = 0; k < n; ++k) {
    int32_t b;
    std::memcpy(&b, &x[k], 4);
    m = std::max(m, b);
  }
  float r;
  std::memcpy(&r, &m, 4);
  return r;
}

}  // namespace

ReadWorkspace& read_workspace() {
  thread_local ReadWorkspace w;
  return w;
}

void CrossbarArray::Impl::read(const float* x, int batch, int row0, int n_rows, int col0, int n_cols, float* y,
                               MvmStats* stats, bool transposed) {
  auto& [a, a2, prod, z_ref, ref_noise, e_in, per_vector, words, acc, xi, x_sum, x8, read_energy] = read_workspace();
  check_block(transposed ? "mvm_transposed" : "mvm", row0, n_rows, col0, n_cols);
  if (batch < 0) throw std::invalid_argument("mvm: batch must be >= 0");
  if (batch == 0) return;
  refresh_cache();
  const int n_in = transposed ? n_cols : n_rows;
  // Sum of G on the lines each input drives (all cells on a driven line conduct).
  e_in.resize(std::size_t(ns) * n_in);
  for (int s = 0; s < ns; ++s)
    for (int k = 0; k < n_in; ++k) {
      double e;
      if (!transposed) e = row_g_us[row0 + k];
      else if (offset) e = col_g_us[phys(col0 + k, s, 0)];
      else e = col_g_us[phys(col0 + k, s, 0)] + col_g_us[phys(col0 + k, s, 1)];
      e_in[std::size_t(s) * n_in + k] = static_cast<float>(e);
    }
  MvmStats st;
  if (cp.quantize) quantized_read(x, batch, row0, n_rows, col0, n_cols, y, st, transposed);
  else analog_read(x, batch, row0, n_rows, col0, n_cols, y, st, transposed);
  if (stats) *stats += st;
}

// Forward: out (m x n_cols, ldc) = in (m x n_rows) * B[row0 .., col .. col + n_cols) (ld ldb).
// Transposed: out (m x n_rows, ldc) = in (m x n_cols) * B[row0 .., col .. col + n_cols)^T.
void CrossbarArray::Impl::gemm(const float* in, int m, const float* b, int ldb, int col, int row0, int n_rows,
                               int n_cols, float* out, int ldc, bool transposed) const {
  const float* block = b + std::size_t(row0) * ldb + col;
  if (!transposed)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n_cols, n_rows, 1.0f, in, n_rows, block, ldb, 0.0f,
                out, ldc);
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n_rows, n_cols, 1.0f, in, n_cols, block, ldb, 0.0f, out,
                ldc);
}

// Forward products of `in` with `count` consecutive column blocks of wq starting at `first`,
// into the same blocks of prod (ld n_blocks * n_cols): one GEMM when the read spans every column.
void CrossbarArray::Impl::forward_blocks(const float* in, int m, int first, int count, int row0, int n_rows, int col0,
                                         int n_cols, int n_blocks) {
  auto& [a, a2, prod, z_ref, ref_noise, e_in, per_vector, words, acc, xi, x_sum, x8, read_energy] = read_workspace();
  const int ldo = n_blocks * n_cols;
  if (n_cols == lcols) {
    gemm(in, m, wq.data(), ld_cat, first * lcols, row0, n_rows, count * lcols, prod.data() + first * n_cols, ldo,
         false);
    return;
  }
  for (int k = first; k < first + count; ++k)
    gemm(in, m, wq.data(), ld_cat, k * lcols + col0, row0, n_rows, n_cols, prod.data() + k * n_cols, ldo, false);
}

// Means (blocks 0..ns-1) and, with read noise, variances (blocks ns..2ns-1) of every read into
// prod, m x (n_blocks * n_out). var_in is the squared input, or null when in^2 = |in| = +-in
// (1-bit DAC): the variance blocks then come from the same GEMM with the sign of the chunk.
void CrossbarArray::Impl::moments(const float* in, const float* var_in, int m, int row0, int n_rows, int col0,
                                  int n_cols, bool transposed) {
  auto& [a, a2, prod, z_ref, ref_noise, e_in, per_vector, words, acc, xi, x_sum, x8, read_energy] = read_workspace();
  const int n_out = transposed ? n_rows : n_cols, n_blocks = noisy() ? 2 * ns : ns, ldo = n_blocks * n_out;
  prod.resize(std::size_t(m) * ldo);
  if (!transposed) {
    if (!noisy() || !var_in) {
      forward_blocks(in, m, 0, n_blocks, row0, n_rows, col0, n_cols, n_blocks);
    } else {
      forward_blocks(in, m, 0, ns, row0, n_rows, col0, n_cols, n_blocks);
      forward_blocks(var_in, m, ns, ns, row0, n_rows, col0, n_cols, n_blocks);
    }
    return;
  }
  for (int s = 0; s < ns; ++s) {
    if (offset)
      gemm(in, m, w_tr.data(), ns * lcols, s * lcols + col0, row0, n_rows, n_cols, prod.data() + s * n_out, ldo,
           true);
    else
      gemm(in, m, wq.data(), ld_cat, s * lcols + col0, row0, n_rows, n_cols, prod.data() + s * n_out, ldo, true);
    if (noisy())
      gemm(var_in ? var_in : in, m, wq.data(), ld_cat, (ns + s) * lcols + col0, row0, n_rows, n_cols,
           prod.data() + (ns + s) * n_out, ldo, true);
  }
}

// Per-read reference-line noise (Offset): sqrt(sign(r) sum_k in2[r][k] q_ref[k]) * z, one value
// per read r (in2 holds the squared inputs, or +-them; see quantized_read).
template <class Sign>
void CrossbarArray::Impl::reference_noise(const float* in2, int m, int n_in, const float* q_ref, float* noise,
                                          Sign sign) {
  auto& [a, a2, prod, z_ref, ref_noise, e_in, per_vector, words, acc, xi, x_sum, x8, read_energy] = read_workspace();
  z_ref.resize(m);
  cblas_sgemv(CblasRowMajor, CblasNoTrans, m, n_in, 1.0f, in2, n_in, q_ref, 1, 0.0f, noise, 1);
  reference_rng.fill(z_ref.data(), std::size_t(m));
  for (int k = 0; k < m; ++k) noise[k] = std::sqrt(sign(k) * noise[k]) * z_ref[k];
}

void CrossbarArray::Impl::analog_read(const float* x, int batch, int row0, int n_rows, int col0, int n_cols,
                                      float* y, MvmStats& st, bool transposed) {
  auto& [a, a2, prod, z_ref, ref_noise, e_in, per_vector, words, acc, xi, x_sum, x8, read_energy] = read_workspace();
  const int n_in = transposed ? n_cols : n_rows, n_out = transposed ? n_rows : n_cols;
  const std::size_t n_x = std::size_t(batch) * n_in;
  a2.resize(n_x);
  square(x, a2.data(), n_x);
  // Read energy with each vector scaled to the DAC's full range: V_i = V_read x_i / max|x|.
  // The same product checks the input: it is finite only if every x is (sum G > 0).
  per_vector.resize(batch);
  cblas_sgemv(CblasRowMajor, CblasNoTrans, batch, n_in, 1.0f, a2.data(), n_in, e_in.data(), 1, 0.0f,
              per_vector.data(), 1);
  double energy = 0;
  for (int b = 0; b < batch; ++b) {
    if (!std::isfinite(per_vector[b]))
      throw std::invalid_argument("mvm: input vector " + std::to_string(b) + " has a non-finite (or > 1e19) value");
    const float peak2 = max_nonnegative(a2.data() + std::size_t(b) * n_in, n_in);
    if (peak2 > 0) energy += double(per_vector[b]) / double(peak2);
  }
  st.array_energy_pj = energy * dp.read_voltage_v * dp.read_voltage_v * dp.read_time_ns * detail::kFemtoToPico;

  const float* w_mean = offset && transposed ? w_tr.data() : wq.data();
  gemm(x, batch, w_mean, offset && transposed ? lcols : ld_cat, col0, row0, n_rows, n_cols, y, n_out, transposed);
  if (noisy()) {
    const int half = (n_out + 1) / 2;
    prod.resize(std::size_t(batch) * n_out);
    words.resize(std::size_t(batch) * half);
    gemm(a2.data(), batch, wq.data(), ld_cat, lcols + col0, row0, n_rows, n_cols, prod.data(), n_out, transposed);
    read_bits.fill(words.data(), words.size());
    ref_noise.assign(batch, 0.0f);
    if (offset)
      reference_noise(a2.data(), batch, n_in, transposed ? q_ref_row.data() + col0 : q_ref_col.data() + row0,
                      ref_noise.data(), [](int) { return 1.0f; });
    for (int b = 0; b < batch; ++b) {
      const std::size_t o = std::size_t(b) * n_out;
      noise_in_place(prod.data() + o, words.data() + std::size_t(b) * half, 1.0f, n_out);
      add_noise(prod.data() + o, ref_noise[b], y + o, n_out);
    }
  }
  if (offset) {  // stored (w + 1) / 2: subtract sum(x) digitally
    for (int b = 0; b < batch; ++b) {
      double sx = 0;
      for (int k = 0; k < n_in; ++k) sx += x[std::size_t(b) * n_in + k];
      for (int j = 0; j < n_out; ++j) y[std::size_t(b) * n_out + j] -= static_cast<float>(sx);
    }
  }
  st.mvms = batch;
  st.array_reads = batch;
  st.dac_conversions = int64_t(batch) * n_in;
  st.adc_conversions = int64_t(batch) * n_out;
}

void CrossbarArray::Impl::quantized_read(const float* x, int batch, int row0, int n_rows, int col0, int n_cols,
                                         float* y, MvmStats& st, bool transposed) {
  auto& [a, a2, prod, z_ref, ref_noise, e_in, per_vector, words, acc, xi, x_sum, x8, read_energy] = read_workspace();
  const int n_in = transposed ? n_cols : n_rows, n_out = transposed ? n_rows : n_cols;
  const int m = nc * batch;  // one GEMM row per (input cycle, vector): row c * batch + b
  const std::size_t n_a = std::size_t(m) * n_in;
  const int bd = cp.dac_bits, mask = (1 << bd) - 1;
  const float x_lo = -std::ldexp(1.0f, cp.input_bits - 1), x_hi = std::ldexp(1.0f, cp.input_bits - 1) - 1;

  // DAC: two's complement chunks, the top one signed. The integer inputs are kept as int8
  // (input_bits <= 8) and each block of GEMM rows builds its chunks when it is read, so a read's
  // scratch is a block, not nc copies of the whole batch.
  xi.resize(n_in);
  x8.resize(std::size_t(batch) * n_in);
  x_sum.assign(batch, 0.0);
  for (int b = 0; b < batch; ++b) {
    const float* xb = x + std::size_t(b) * n_in;
    if (!to_integers(xb, n_in, x_lo, x_hi, xi.data())) {
      const auto bad = [&](float v) { return !(v >= x_lo && v <= x_hi) || v != std::nearbyint(v); };
      const auto k = std::find_if(xb, xb + n_in, bad) - xb;
      std::ostringstream os;
      os << (transposed ? "mvm_transposed" : "mvm") << ": input (" << b << ", " << k << ") = " << xb[k]
         << " is not an integer in [" << x_lo << ", " << x_hi << "] (input_bits = " << cp.input_bits << ")";
      throw std::invalid_argument(os.str());
    }
    if (offset) x_sum[b] = std::accumulate(xi.begin(), xi.end(), 0.0);
    std::copy(xi.begin(), xi.end(), x8.begin() + std::ptrdiff_t(b) * n_in);
  }
  // chunk^2 for the variances and read energy; a 1-bit DAC's chunks are in {0, 1} (top
  // {-1, 0}), so there chunk^2 = |chunk| = sign * chunk and `a` itself serves, with a sign.
  const bool one_bit = bd == 1;
  auto sq_sign = [&](int r) { return one_bit && r / batch == nc - 1 ? -1.0f : 1.0f; };
  // Rows [r0, r0 + rb) of the chunks (and their squares, unless one_bit) into chunks and squares.
  const auto build_rows = [&](int r0, int rb, float* chunks, float* squares) {
    for (int r = r0; r < r0 + rb; ++r) {
      const int c = r / batch, b = r % batch;
      chunk_of(x8.data() + std::size_t(b) * n_in, n_in, c * bd, c + 1 < nc ? mask : -1,
               chunks + std::size_t(r - r0) * n_in);
    }
    if (!one_bit) square(chunks, squares, std::size_t(rb) * n_in);
  };
  // Offset with read noise: every read's reference-line noise comes first, from every row.
  const bool whole = offset && noisy();
  if (whole) {
    a.resize(n_a);
    if (!one_bit) a2.resize(n_a);
    build_rows(0, m, a.data(), one_bit ? nullptr : a2.data());
  }
  const float* sq_all = one_bit ? a.data() : a2.data();

  // Offset: reference-line noise per read, subtracted from every column it serves (forward:
  // one reference column read per cycle for all slices; transposed: one per cycle and slice).
  ref_noise.assign(std::size_t(m) * ns, 0.0f);
  if (whole) {
    for (int s = 0; s < (transposed ? ns : 1); ++s)
      reference_noise(sq_all, m, n_in, transposed ? q_ref_row.data() + std::size_t(s) * lcols + col0
                                                  : q_ref_col.data() + row0,
                      ref_noise.data() + std::size_t(s) * m, sq_sign);
    if (!transposed)
      for (int s = 1; s < ns; ++s) std::copy_n(ref_noise.data(), m, ref_noise.data() + std::size_t(s) * m);
  }

  // Array reads then ADC and shift-and-add, in blocks of GEMM rows whose products stay in cache.
  // The block bounds are fixed by the read's shape alone (OpenBLAS's per-row results depend on
  // them). A read that is not already inside a parallel region (one array serving a whole
  // layer) spreads its blocks over the host threads: each thread builds its rows and products in
  // its own scratch and sums its codes into its own integer accumulator; the read-noise words
  // are drawn in stream order, a group of blocks at a time, while the group before runs. Integer sums
  // and per-row energies do not depend on which thread did a block: the same bits for any count.
  const int n_blocks = noisy() ? 2 * ns : ns, ldo = n_blocks * n_out;
  const int block_rows = std::max(kMinBlockRows, kBlockFloats / ldo);
  const int row_blocks = (m + block_rows - 1) / block_rows;
  const int threads = omp_in_parallel() ? 1 : std::max(1, std::min(omp_get_max_threads(), row_blocks));
  const int group_blocks = threads == 1 ? 1 : 2 * threads;
  const double lsb = xbar::adc_lsb(cp, n_in);
  const auto inv_lsb = static_cast<float>(1.0 / lsb);
  const float code_lo = -std::ldexp(1.0f, cp.adc_bits - 1), code_hi = std::ldexp(1.0f, cp.adc_bits - 1) - 1;
  const std::size_t acc_size = std::size_t(batch) * n_out;
  acc.assign(acc_size * threads, 0);  // one accumulator per thread, summed below
  const std::size_t row_words = std::size_t(ns) * ((n_out + 1) / 2);
  const std::size_t block_words = std::size_t(block_rows) * row_words;
  // Two groups' words when there are several groups: one thread draws group g + 1's words while
  // the others read group g's blocks (still in stream order, so the bits do not change).
  const int groups = (row_blocks + group_blocks - 1) / group_blocks, word_buffers = groups > 1 ? 2 : 1;
  const std::size_t group_words = std::size_t(group_blocks) * block_words;
  if (noisy()) words.resize(word_buffers == 1 ? std::min<std::size_t>(group_words, m * row_words) : 2 * group_words);
  const auto group_words_at = [&](int g) { return words.data() + std::size_t(g % word_buffers) * group_words; };
  const auto draw_group_words = [&](int g) {
    const int r0 = g * group_blocks * block_rows, r1 = std::min(m, (g + 1) * group_blocks * block_rows);
    read_bits.fill(group_words_at(g), std::size_t(r1 - r0) * row_words);
  };
  std::vector<int64_t> saturations(threads, 0);
  // Read energy: t V_lsb^2 sum_k u_k^2 G_line(k) per read, kept per read (slice-major) and
  // summed in that order below.
  const int energy_slices = transposed ? ns : 1;  // forward: one read per cycle serves all slices
  read_energy.resize(std::size_t(energy_slices) * m);
  const float* whole_a = a.data();
  const float* whole_a2 = a2.data();
  const auto read_block = [&](int blk, int g, int tid) {
    ReadWorkspace& mine = read_workspace();  // this thread's
    const int r0 = blk * block_rows, rb = std::min(block_rows, m - r0);
    const float *chunks, *squares;
    if (whole) {
      chunks = whole_a + std::size_t(r0) * n_in;
      squares = one_bit ? nullptr : whole_a2 + std::size_t(r0) * n_in;
    } else {
      mine.a.resize(std::size_t(rb) * n_in);
      if (!one_bit) mine.a2.resize(mine.a.size());
      build_rows(r0, rb, mine.a.data(), mine.a2.data());
      chunks = mine.a.data();
      squares = one_bit ? nullptr : mine.a2.data();
    }
    const float* sq_in = one_bit ? chunks : squares;
    moments(chunks, squares, rb, row0, n_rows, col0, n_cols, transposed);  // into mine.prod
    for (int s = 0; s < energy_slices; ++s)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, rb, n_in, 1.0f, sq_in, n_in, e_in.data() + std::size_t(s) * n_in, 1,
                  0.0f, read_energy.data() + std::size_t(s) * m + r0, 1);
    const uint64_t* block_words_at =
        noisy() ? group_words_at(g) + std::size_t(blk - g * group_blocks) * block_words : nullptr;
    int32_t weight[kMaxSlices];
    float shift[kMaxSlices];
    int32_t* my_acc = acc.data() + acc_size * tid;
    int64_t block_saturations = 0;
    for (int r = r0; r < r0 + rb; ++r) {
      const int c = r / batch, b = r % batch;
      for (int s = 0; s < ns; ++s) {
        weight[s] = int32_t(1) << (c * bd + s * cp.cell_bits);
        shift[s] = ref_noise[std::size_t(s) * m + r];
      }
      float* row = mine.prod.data() + std::size_t(r - r0) * ldo;
      float* noise = noisy() ? row + std::size_t(ns) * n_out : nullptr;
      if (noise)
        for (int s = 0; s < ns; ++s)
          noise_in_place(noise + std::size_t(s) * n_out,
                         block_words_at + std::size_t(r - r0) * row_words + std::size_t(s) * ((n_out + 1) / 2),
                         sq_sign(r), n_out);
      block_saturations += adc_row(row, noise, shift, inv_lsb, code_lo, code_hi, weight,
                                   my_acc + std::size_t(b) * n_out, n_out, ns);
    }
    saturations[tid] += block_saturations;  // once per block: threads' counters share a cache line
  };
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int tid = omp_get_thread_num();
#pragma omp single
    if (noisy()) draw_group_words(0);
    for (int g = 0; g < groups; ++g) {
      // The buffer drawn into was last read by group g - 1, which ended at the loop's barrier;
      // the drawing thread joins this group's blocks once done, so the words are ready for g + 1.
#pragma omp single nowait
      if (noisy() && g + 1 < groups) draw_group_words(g + 1);
      const int b1 = std::min(row_blocks, (g + 1) * group_blocks);
#pragma omp for schedule(dynamic, 1)
      for (int blk = g * group_blocks; blk < b1; ++blk) read_block(blk, g, tid);
    }
  }
  for (int t = 1; t < threads; ++t)
    for (std::size_t o = 0; o < acc_size; ++o) acc[o] += acc[acc_size * t + o];
  const int64_t total_saturations = std::accumulate(saturations.begin(), saturations.end(), int64_t(0));
  for (int b = 0; b < batch; ++b) {
    const double correction = offset ? weight_bias * x_sum[b] : 0.0;  // Offset: stored w + 2^(Bw-1)
    for (int j = 0; j < n_out; ++j) {
      const std::size_t o = std::size_t(b) * n_out + j;
      y[o] = static_cast<float>(acc[o] * lsb - correction);
    }
  }
  double energy = 0;
  for (int s = 0; s < energy_slices; ++s)
    for (int r = 0; r < m; ++r) energy += sq_sign(r) * read_energy[std::size_t(s) * m + r];
  const double v_lsb = dp.read_voltage_v / (std::ldexp(1.0, bd) - 1.0);
  const int reads_per_cycle = transposed ? ns : 1;
  st.mvms = batch;
  st.array_reads = int64_t(batch) * nc * reads_per_cycle;
  st.dac_conversions = int64_t(batch) * nc * reads_per_cycle * n_in;
  st.adc_conversions = int64_t(batch) * nc * ns * n_out;
  st.shift_add_ops = st.adc_conversions;
  st.adc_saturations = total_saturations;
  st.array_energy_pj = energy * v_lsb * v_lsb * dp.read_time_ns * detail::kFemtoToPico;
}

// ---------------------------------------------------------------------------------------------

void CrossbarArray::mvm(const float* x, int batch, int row0, int n_rows, int col0, int n_cols, float* y,
                        MvmStats* stats) {
  impl_->read(x, batch, row0, n_rows, col0, n_cols, y, stats, false);
}

void CrossbarArray::mvm_transposed(const float* dy, int batch, int row0, int n_rows, int col0, int n_cols, float* dx,
                                   MvmStats* stats) {
  impl_->read(dy, batch, row0, n_rows, col0, n_cols, dx, stats, true);
}

}  // namespace memgan::xbar
