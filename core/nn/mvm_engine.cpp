#include "core/nn/mvm_engine.h"

#include "core/xbar/dac_inputs.h"

#include <cblas.h>

#include <algorithm>
#include <exception>
#include <cmath>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>

namespace memgan::nn {
namespace {

// Inputs above which an MVM's quantization runs on the host threads (below, waking them costs more).
constexpr std::size_t kParallelInputs = std::size_t(1) << 16;

int64_t count_nonzero(const float* x, std::size_t count) {
  int64_t nz = 0;
  for (std::size_t i = 0; i < count; ++i) nz += x[i] != 0.0f;
  return nz;
}

void check_sizes(const char* what, int k, int n) {
  if (k < 1 || n < 1)
    throw std::invalid_argument(std::string(what) + ": matrix must be at least 1 x 1, got " + std::to_string(k) +
                                " x " + std::to_string(n));
}

void check_batch(const char* what, int batch) {
  if (batch < 0) throw std::invalid_argument(std::string(what) + ": batch must be >= 0");
}

// Copies columns [c0, c0 + cols) of a batch x ld row-major block into a dense batch x cols block.
void gather_columns(const float* src, int batch, int ld, int c0, int cols, float* dst) {
  for (int b = 0; b < batch; ++b) std::copy_n(src + std::size_t(b) * ld + c0, cols, dst + std::size_t(b) * cols);
}

// dst[:, c0 .. c0 + cols) = or += src (batch x cols).
void scatter_columns(const float* src, int batch, int ld, int c0, int cols, bool add, float* dst) {
  for (int b = 0; b < batch; ++b) {
    float* d = dst + std::size_t(b) * ld + c0;
    const float* s = src + std::size_t(b) * cols;
    if (add)
      for (int j = 0; j < cols; ++j) d[j] += s[j];
    else
      std::copy_n(s, cols, d);
  }
}

void check_weight_range(const char* what, float weight_range) {
  if (!(std::isfinite(weight_range) && weight_range >= 0))
    throw std::invalid_argument(std::string(what) + ": weight_range must be finite and >= 0 (0 = max |W|), got " +
                                std::to_string(weight_range));
}

void check_finite(const char* what, const float* v, std::size_t count, const char* name) {
  for (std::size_t i = 0; i < count; ++i)
    if (!std::isfinite(v[i])) throw std::invalid_argument(std::string(what) + ": non-finite " + name);
}

void check_threshold(const char* what, float threshold) {
  if (!(std::isfinite(threshold) && threshold >= 0))
    throw std::invalid_argument(std::string(what) + ": threshold must be finite and >= 0");
}

namespace sio = xbar::state_io;

void write_info(std::ostream& os, const MatrixInfo& m) {
  for (const int v : {m.rows, m.cols, m.row_tiles, m.col_tiles}) sio::write<int32_t>(os, v);
}

// Reads a MatrixInfo and checks it is the tiling `shape` gives its size.
MatrixInfo read_info(std::istream& is, const ArrayShape& shape, const char* what) {
  MatrixInfo m;
  for (int* v : {&m.rows, &m.cols, &m.row_tiles, &m.col_tiles}) *v = sio::read<int32_t>(is, what);
  if (m.rows < 1 || m.cols < 1) throw std::runtime_error(std::string(what) + ": corrupt matrix size");
  const MatrixInfo want = tile_matrix(shape, m.rows, m.cols);
  if (m.row_tiles != want.row_tiles || m.col_tiles != want.col_tiles)
    throw std::runtime_error(std::string(what) + ": the state was tiled for another array shape");
  return m;
}

void add_stats(const xbar::MvmStats& st, MvmCounts& c) {
  c.array_reads += st.array_reads;
  c.dac_conversions += st.dac_conversions;
  c.adc_conversions += st.adc_conversions;
  c.adc_saturations += st.adc_saturations;
  c.array_energy_pj += st.array_energy_pj;
}

}  // namespace

MvmCounts& MvmCounts::operator+=(const MvmCounts& o) {
  logical_mvms += o.logical_mvms;
  array_reads += o.array_reads;
  dac_conversions += o.dac_conversions;
  adc_conversions += o.adc_conversions;
  adc_saturations += o.adc_saturations;
  inputs_applied += o.inputs_applied;
  inputs_nonzero += o.inputs_nonzero;
  outputs += o.outputs;
  partial_sum_adds += o.partial_sum_adds;
  array_energy_pj += o.array_energy_pj;
  arrays_used += o.arrays_used;
  weights_programmed += o.weights_programmed;
  cells_written += o.cells_written;
  write_pulses += o.write_pulses;
  write_energy_pj += o.write_energy_pj;
  outputs_discarded += o.outputs_discarded;
  overlap_adds += o.overlap_adds;
  bias_adds += o.bias_adds;
  return *this;
}

double MvmCounts::fed_zero_fraction() const {
  return inputs_applied ? 1.0 - double(inputs_nonzero) / double(inputs_applied) : 0.0;
}

double MvmCounts::mean_mvm_length() const {
  return logical_mvms ? double(inputs_applied) / double(logical_mvms) : 0.0;
}

MatrixInfo tile_matrix(const ArrayShape& shape, int k, int n) {
  MatrixInfo m;
  m.rows = k;
  m.cols = n;
  m.row_tiles = (k + shape.rows - 1) / shape.rows;
  m.col_tiles = (n + shape.cols - 1) / shape.cols;
  return m;
}

MvmCounts tiled_mvm_counts(const ArrayShape& s, int k, int n, int64_t v, bool transposed) {
  const MatrixInfo m = tile_matrix(s, k, n);
  const int64_t rt = m.row_tiles, ct = m.col_tiles, nc = s.cycles, ns = s.slices;
  MvmCounts c;
  c.logical_mvms = v;
  if (!transposed) {
    c.inputs_applied = v * k;
    c.outputs = v * n;
    c.array_reads = v * rt * ct * nc;
    c.dac_conversions = v * ct * nc * k;
    c.adc_conversions = v * rt * nc * ns * n;
    c.partial_sum_adds = v * n * (rt - 1);
  } else {
    c.inputs_applied = v * n;
    c.outputs = v * k;
    c.array_reads = v * rt * ct * nc * ns;
    c.dac_conversions = v * rt * nc * ns * n;
    c.adc_conversions = v * ct * nc * ns * k;
    c.partial_sum_adds = v * k * (ct - 1);
  }
  return c;
}

MvmEngine::~MvmEngine() = default;

// --- FloatGemmEngine -------------------------------------------------------------------------

FloatGemmEngine::FloatGemmEngine(ArrayShape counting_shape) : shape_(counting_shape) {
  if (shape_.rows < 1 || shape_.cols < 1 || shape_.slices < 1 || shape_.cycles < 1)
    throw std::invalid_argument("FloatGemmEngine: ArrayShape fields must be >= 1");
}

const FloatGemmEngine::Matrix& FloatGemmEngine::get(int key) const {
  const auto it = matrices_.find(key);
  if (it == matrices_.end()) throw std::out_of_range("MvmEngine: no matrix loaded under key " + std::to_string(key));
  return it->second;
}

FloatGemmEngine::Matrix& FloatGemmEngine::get(int key) {
  return const_cast<Matrix&>(static_cast<const FloatGemmEngine&>(*this).get(key));
}

void FloatGemmEngine::load(int key, const float* w, int k, int n, MvmCounts* counts, float weight_range) {
  check_sizes("FloatGemmEngine::load", k, n);
  check_weight_range("FloatGemmEngine::load", weight_range);  // otherwise unused: weights stay exact
  const std::size_t size = std::size_t(k) * n;
  for (std::size_t i = 0; i < size; ++i)
    if (!std::isfinite(w[i])) throw std::invalid_argument("FloatGemmEngine::load: non-finite weight");
  Matrix& m = matrices_[key];
  m.info = tile_matrix(shape_, k, n);
  m.w.assign(w, w + size);
  if (counts) {
    counts->arrays_used += m.info.arrays();
    counts->weights_programmed += int64_t(size);
  }
}

void FloatGemmEngine::release(int key) { matrices_.erase(key); }

MatrixInfo FloatGemmEngine::matrix(int key) const { return get(key).info; }

void FloatGemmEngine::mvm(int key, const float* x, int batch, float* y, MvmCounts* counts) {
  check_batch("FloatGemmEngine::mvm", batch);
  const Matrix& m = get(key);
  const int k = m.info.rows, n = m.info.cols;
  if (batch == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, n, k, 1.0f, x, k, m.w.data(), n, 0.0f, y, n);
  if (counts) {
    MvmCounts c = tiled_mvm_counts(shape_, k, n, batch, false);
    c.inputs_nonzero = count_nonzero(x, std::size_t(batch) * k);
    *counts += c;
  }
}

void FloatGemmEngine::mvm_transposed(int key, const float* dy, int batch, float* dx, MvmCounts* counts) {
  check_batch("FloatGemmEngine::mvm_transposed", batch);
  const Matrix& m = get(key);
  const int k = m.info.rows, n = m.info.cols;
  if (batch == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, k, n, 1.0f, dy, n, m.w.data(), n, 0.0f, dx, k);
  if (counts) {
    MvmCounts c = tiled_mvm_counts(shape_, k, n, batch, true);
    c.inputs_nonzero = count_nonzero(dy, std::size_t(batch) * n);
    *counts += c;
  }
}

double FloatGemmEngine::weight_step(int key) const {
  get(key);
  return 0.0;
}

void FloatGemmEngine::apply_update(int key, const float* delta, MvmCounts* counts) {
  Matrix& m = get(key);
  check_finite("FloatGemmEngine::apply_update", delta, m.w.size(), "delta");
  for (std::size_t i = 0; i < m.w.size(); ++i) m.w[i] += delta[i];
  if (counts) counts->arrays_used += m.info.arrays();
}

void FloatGemmEngine::apply_manhattan(int key, const float* grad, float threshold, float digital_step,
                                      MvmCounts* counts) {
  static constexpr const char* what = "FloatGemmEngine::apply_manhattan";
  Matrix& m = get(key);
  check_threshold(what, threshold);
  if (!(std::isfinite(digital_step) && digital_step >= 0))
    throw std::invalid_argument(std::string(what) + ": digital_step must be finite and >= 0");
  check_finite(what, grad, m.w.size(), "gradient");
  for (std::size_t i = 0; i < m.w.size(); ++i)
    if (std::fabs(grad[i]) > threshold) m.w[i] += grad[i] > 0 ? -digital_step : digital_step;
  if (counts) counts->arrays_used += m.info.arrays();
}

void FloatGemmEngine::read_weights(int key, float* w) const {
  const Matrix& m = get(key);
  std::copy(m.w.begin(), m.w.end(), w);
}

namespace {
constexpr const char* kFloatTag = "memgan.nn.FloatGemmEngine";
constexpr const char* kCrossbarTag = "memgan.nn.CrossbarEngine";
constexpr uint32_t kEngineVersion = 1;

void write_shape(std::ostream& os, const ArrayShape& s) {
  for (const int v : {s.rows, s.cols, s.slices, s.cycles}) sio::write<int32_t>(os, v);
}

bool same_shape(const ArrayShape& a, const ArrayShape& b) {
  return a.rows == b.rows && a.cols == b.cols && a.slices == b.slices && a.cycles == b.cycles;
}
}  // namespace

void FloatGemmEngine::save_state(std::ostream& os) const {
  sio::write_tag(os, kFloatTag, kEngineVersion);
  write_shape(os, shape_);
  sio::write<int32_t>(os, next_key_value());
  sio::write<uint64_t>(os, matrices_.size());
  for (const auto& [key, m] : matrices_) {
    sio::write<int32_t>(os, key);
    write_info(os, m.info);
    sio::write_vector(os, m.w);
  }
}

void FloatGemmEngine::load_state(std::istream& is) {
  static constexpr const char* what = "FloatGemmEngine::load_state";
  sio::read_tag(is, kFloatTag, kEngineVersion, what);
  ArrayShape saved;
  for (int* v : {&saved.rows, &saved.cols, &saved.slices, &saved.cycles}) *v = sio::read<int32_t>(is, what);
  if (!same_shape(saved, shape_))
    throw std::runtime_error(std::string(what) + ": the state was saved from an engine with another counting shape");
  const auto next_key = sio::read<int32_t>(is, what);
  const auto count = sio::read<uint64_t>(is, what);
  std::map<int, Matrix> matrices;
  for (uint64_t i = 0; i < count; ++i) {
    const auto key = sio::read<int32_t>(is, what);
    Matrix m;
    m.info = read_info(is, shape_, what);
    sio::read_vector(is, m.w, what, uint64_t(m.info.rows) * uint64_t(m.info.cols));
    matrices[key] = std::move(m);
  }
  matrices_ = std::move(matrices);
  restore_next_key(next_key);
}

// --- CrossbarEngine --------------------------------------------------------------------------

CrossbarEngine::CrossbarEngine(xbar::ArrayGeometry geometry, xbar::ConverterParams converters,
                               xbar::DeviceParams device, uint64_t seed)
    : geometry_(geometry), converters_(converters), device_(device), seed_(seed) {
  // One probe array validates the parameters and gives the logical capacity.
  const xbar::CrossbarArray probe(geometry_, converters_, device_, seed_);
  shape_ = {probe.logical_rows(), probe.logical_cols(), probe.weight_slices(), probe.input_cycles()};
  array_weight_per_pulse_ = probe.weight_per_pulse();
  if (shape_.rows < 1 || shape_.cols < 1)
    throw std::invalid_argument("CrossbarEngine: the array geometry leaves no logical rows or columns");
}

CrossbarEngine::~CrossbarEngine() = default;

const CrossbarEngine::Matrix& CrossbarEngine::get(int key) const {
  const auto it = matrices_.find(key);
  if (it == matrices_.end()) throw std::out_of_range("MvmEngine: no matrix loaded under key " + std::to_string(key));
  return it->second;
}

CrossbarEngine::Matrix& CrossbarEngine::get(int key) {
  return const_cast<Matrix&>(static_cast<const CrossbarEngine&>(*this).get(key));
}

void CrossbarEngine::add_writes(const xbar::ProgramStats& st, MvmCounts* counts) {
  program_.cells_written += st.cells_written;
  program_.pulses += st.pulses;
  program_.rows_written += st.rows_written;
  program_.write_energy_pj += st.write_energy_pj;
  if (counts) {
    counts->cells_written += st.cells_written;
    counts->write_pulses += st.pulses;
    counts->write_energy_pj += st.write_energy_pj;
  }
}

MatrixInfo CrossbarEngine::matrix(int key) const {
  const auto it = matrices_.find(key);
  if (it == matrices_.end()) throw std::out_of_range("MvmEngine: no matrix loaded under key " + std::to_string(key));
  return it->second.info;
}

int64_t CrossbarEngine::arrays_allocated() const {
  int64_t n = 0;
  for (const auto& kv : matrices_) n += int64_t(kv.second.arrays.size());
  return n;
}

void CrossbarEngine::release(int key) { matrices_.erase(key); }

void CrossbarEngine::load(int key, const float* w, int k, int n, MvmCounts* counts, float weight_range) {
  check_sizes("CrossbarEngine::load", k, n);
  check_weight_range("CrossbarEngine::load", weight_range);
  const std::size_t size = std::size_t(k) * n;
  float w_max = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (!std::isfinite(w[i])) throw std::invalid_argument("CrossbarEngine::load: non-finite weight");
    w_max = std::max(w_max, std::fabs(w[i]));
  }
  Matrix& m = matrices_[key];
  const MatrixInfo info = tile_matrix(shape_, k, n);
  if (m.info.rows != k || m.info.cols != n) {
    if (relocated_ && !m.arrays.empty())
      throw std::logic_error("CrossbarEngine::load: a matrix whose arrays moved into the tiles cannot change its shape");
    m.arrays.clear();
    m.owned.clear();
    for (int64_t a = 0; a < info.arrays(); ++a) {
      m.owned.push_back(std::make_unique<xbar::CrossbarArray>(geometry_, converters_, device_, seed_ + arrays_created_++));
      m.arrays.push_back(m.owned.back().get());
    }
  }
  m.info = info;

  // Array domain: integers in [-q, q] (quantized) or fractions in [-1, 1] (analog).
  const float q = converters_.quantize ? std::ldexp(1.0f, converters_.weight_bits - 1) - 1.0f : 1.0f;
  // A fixed range leaves the in-situ updates headroom; max |W| uses the whole range now.
  m.scale = weight_range > 0 ? weight_range / q : w_max > 0 ? w_max / q : 1.0f;
  block_.resize(size);
  for (std::size_t i = 0; i < size; ++i) {
    const float v = w[i] / m.scale;
    block_[i] = converters_.quantize ? std::clamp(std::nearbyint(v), -q, q) : std::clamp(v, -1.0f, 1.0f);
  }
  for (int rt = 0; rt < info.row_tiles; ++rt) {
    const int r0 = rt * shape_.rows, rows = std::min(shape_.rows, k - r0);
    for (int ct = 0; ct < info.col_tiles; ++ct) {
      const int c0 = ct * shape_.cols, cols = std::min(shape_.cols, n - c0);
      add_writes(m.arrays[std::size_t(rt) * info.col_tiles + ct]->program_weights(
                     0, 0, rows, cols, block_.data() + std::size_t(r0) * n + c0, n),
                 counts);
    }
  }
  if (counts) {
    counts->arrays_used += info.arrays();
    counts->weights_programmed += int64_t(size);
  }
}

float CrossbarEngine::prepare_inputs(const float* x, std::size_t count) {
  xq_.resize(count);
  // Chunks of the inputs on the host threads: element-wise work and a max, so the same bits on
  // any number of threads.
  const auto chunks = static_cast<std::ptrdiff_t>((count + kParallelInputs - 1) / kParallelInputs);
  const auto chunk = [&](std::ptrdiff_t k) {
    const std::size_t begin = std::size_t(k) * kParallelInputs;
    return std::pair<std::size_t, std::size_t>(begin, std::min(count, begin + kParallelInputs) - begin);
  };
  std::vector<xbar::InputPeak> peaks(static_cast<std::size_t>(chunks));
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (std::ptrdiff_t k = 0; k < chunks; ++k) {
    const auto [begin, n] = chunk(k);
    peaks[std::size_t(k)] = xbar::input_peak(x + begin, n);
  }
  float x_max = 0;
  for (const auto& p : peaks) {
    if (!p.finite) throw std::invalid_argument("CrossbarEngine: non-finite input");
    x_max = std::max(x_max, p.max_abs);
  }
  if (!converters_.quantize) {
    std::copy_n(x, count, xq_.data());
    return 1.0f;
  }
  const float q = std::ldexp(1.0f, converters_.input_bits - 1) - 1.0f;
  const float scale = x_max > 0 ? x_max / q : 1.0f;
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (std::ptrdiff_t k = 0; k < chunks; ++k) {
    const auto [begin, n] = chunk(k);
    xbar::quantize_inputs(x + begin, n, scale, q, xq_.data() + begin);
  }
  return scale;
}

void CrossbarEngine::mvm(int key, const float* x, int batch, float* y, MvmCounts* counts) {
  tiled_product(key, x, batch, y, counts, false);
}

void CrossbarEngine::mvm_transposed(int key, const float* dy, int batch, float* dx, MvmCounts* counts) {
  tiled_product(key, dy, batch, dx, counts, true);
}

void CrossbarEngine::tiled_product(int key, const float* in, int batch, float* out, MvmCounts* counts,
                                   bool transposed) {
  check_batch(transposed ? "CrossbarEngine::mvm_transposed" : "CrossbarEngine::mvm", batch);
  Matrix& m = get(key);
  if (batch == 0) return;
  // Forward: k inputs on the rows, n outputs on the columns; transposed: the reverse.
  const int in_len = transposed ? m.info.cols : m.info.rows, out_len = transposed ? m.info.rows : m.info.cols;
  const int in_tiles = transposed ? m.info.col_tiles : m.info.row_tiles;
  const int out_tiles = transposed ? m.info.row_tiles : m.info.col_tiles;
  const int in_step = transposed ? shape_.cols : shape_.rows, out_step = transposed ? shape_.rows : shape_.cols;
  const float x_scale = prepare_inputs(in, std::size_t(batch) * in_len);
  // Every array reads its share on its own (its own cells, noise RNG and scratch), so the
  // arrays run in parallel; their outputs and statistics are merged in one fixed order, so the
  // result is the same bits for any thread count.
  // One input tile reads the quantized inputs as they are; more take their columns apart.
  tile_in_.resize(in_tiles > 1 ? std::size_t(in_tiles) : 0);
  for (int it = 0; it < in_tiles && in_tiles > 1; ++it) {
    const int i0 = it * in_step, in_n = std::min(in_step, in_len - i0);
    tile_in_[std::size_t(it)].resize(std::size_t(batch) * in_n);
    gather_columns(xq_.data(), batch, in_len, i0, in_n, tile_in_[std::size_t(it)].data());
  }
  const int tasks = in_tiles * out_tiles;  // task it * out_tiles + ot
  tile_out_.resize(std::size_t(tasks));
  tile_stats_.assign(std::size_t(tasks), xbar::MvmStats{});
  std::vector<std::exception_ptr> failure(static_cast<std::size_t>(tasks));
  const auto read_task = [&](int k) {
    const int it = k / out_tiles, ot = k % out_tiles;
    const int in_n = std::min(in_step, in_len - it * in_step), out_n = std::min(out_step, out_len - ot * out_step);
    const int rt = transposed ? ot : it, ct = transposed ? it : ot;
    xbar::CrossbarArray& array = *m.arrays[std::size_t(rt) * m.info.col_tiles + ct];
    std::vector<float>& y = tile_out_[std::size_t(k)];
    try {
      y.resize(std::size_t(batch) * out_n);
      const float* x = in_tiles > 1 ? tile_in_[std::size_t(it)].data() : xq_.data();
      if (transposed) array.mvm_transposed(x, batch, 0, out_n, 0, in_n, y.data(), &tile_stats_[std::size_t(k)]);
      else array.mvm(x, batch, 0, in_n, 0, out_n, y.data(), &tile_stats_[std::size_t(k)]);
    } catch (...) {
      failure[std::size_t(k)] = std::current_exception();
    }
  };
  // One array alone spreads its own read over the threads (crossbar_read.cpp), from outside
  // any parallel region, so that it gets the pool's threads rather than a nested team.
  if (tasks == 1) {
    read_task(0);
  } else {
#pragma omp parallel for schedule(dynamic, 1)
    for (int k = 0; k < tasks; ++k) read_task(k);
  }
  for (const auto& f : failure)
    if (f) std::rethrow_exception(f);
  xbar::MvmStats st;
  int64_t partial_adds = 0;
  for (int k = 0; k < tasks; ++k) {
    const int it = k / out_tiles, ot = k % out_tiles;
    const int o0 = ot * out_step, out_n = std::min(out_step, out_len - o0);
    scatter_columns(tile_out_[std::size_t(k)].data(), batch, out_len, o0, out_n, it > 0, out);
    if (it > 0) partial_adds += int64_t(batch) * out_n;
    st += tile_stats_[std::size_t(k)];
  }
  // The per-array outputs hold a layer's output once per input tile: not kept between calls.
  for (auto& y : tile_out_) std::vector<float>().swap(y);
  for (auto& x : tile_in_) std::vector<float>().swap(x);
  const float out_scale = x_scale * m.scale;
  for (std::size_t i = 0; i < std::size_t(batch) * out_len; ++i) out[i] *= out_scale;
  if (counts) {
    counts->logical_mvms += batch;
    counts->inputs_applied += int64_t(batch) * in_len;
    counts->inputs_nonzero += count_nonzero(in, std::size_t(batch) * in_len);
    counts->outputs += int64_t(batch) * out_len;
    counts->partial_sum_adds += partial_adds;
    add_stats(st, *counts);
  }
}

// --- CrossbarEngine: in-situ training ------------------------------------------------------

void CrossbarEngine::require_updatable(const char* what) const {
  if (shape_.slices == 1) return;
  throw std::logic_error(
      std::string(what) + ": in-situ updates need one cell (pair) per weight, but this engine bit-slices every weight "
      "over ns = " + std::to_string(shape_.slices) + " slices (weight_bits = " +
      std::to_string(converters_.weight_bits) + ", cell_bits = " + std::to_string(converters_.cell_bits) +
      "), and a carry across slices has no pulse equivalent. Use quantize = false, or weight_bits - 1 <= cell_bits "
      "(Differential) / weight_bits <= cell_bits (Offset); or reprogram with load()");
}

double CrossbarEngine::weight_step(int key) const { return double(get(key).scale) * array_weight_per_pulse_; }

void CrossbarEngine::apply_update(int key, const float* delta, MvmCounts* counts) {
  static constexpr const char* what = "CrossbarEngine::apply_update";
  Matrix& m = get(key);
  require_updatable(what);
  const int k = m.info.rows, n = m.info.cols;
  const std::size_t size = std::size_t(k) * n;
  check_finite(what, delta, size, "delta");
  block_.resize(size);  // array units, as program_weights takes them
  for (std::size_t i = 0; i < size; ++i) block_[i] = delta[i] / m.scale;
  for (int rt = 0; rt < m.info.row_tiles; ++rt) {
    const int r0 = rt * shape_.rows, rows = std::min(shape_.rows, k - r0);
    for (int ct = 0; ct < m.info.col_tiles; ++ct) {
      const int c0 = ct * shape_.cols, cols = std::min(shape_.cols, n - c0);
      add_writes(m.arrays[std::size_t(rt) * m.info.col_tiles + ct]->update_pulses(
                     0, 0, rows, cols, block_.data() + std::size_t(r0) * n + c0, n),
                 counts);
    }
  }
  if (counts) counts->arrays_used += m.info.arrays();
}

void CrossbarEngine::apply_manhattan(int key, const float* grad, float threshold, float /*digital_step*/,
                                     MvmCounts* counts) {
  static constexpr const char* what = "CrossbarEngine::apply_manhattan";
  Matrix& m = get(key);
  require_updatable(what);
  check_threshold(what, threshold);
  const int k = m.info.rows, n = m.info.cols;
  check_finite(what, grad, std::size_t(k) * n, "gradient");
  for (int rt = 0; rt < m.info.row_tiles; ++rt) {
    const int r0 = rt * shape_.rows, rows = std::min(shape_.rows, k - r0);
    for (int ct = 0; ct < m.info.col_tiles; ++ct) {
      const int c0 = ct * shape_.cols, cols = std::min(shape_.cols, n - c0);
      add_writes(m.arrays[std::size_t(rt) * m.info.col_tiles + ct]->update_manhattan(
                     0, 0, rows, cols, grad + std::size_t(r0) * n + c0, n, threshold),
                 counts);
    }
  }
  if (counts) counts->arrays_used += m.info.arrays();
}

int64_t CrossbarEngine::relocate(const ArrayHome& home) {
  uint64_t ordinal = 0;
  int64_t moved = 0;
  for (auto& [key, m] : matrices_) {  // keys in creation order
    for (std::size_t i = 0; i < m.arrays.size(); ++i, ++ordinal) {
      if (i >= m.owned.size() || !m.owned[i]) continue;
      if (xbar::CrossbarArray* at = home(ordinal, m.owned[i])) {
        m.arrays[i] = at;
        ++moved;
        relocated_ = true;
      }
    }
  }
  return moved;
}

void CrossbarEngine::read_weights(int key, float* w) const {
  const Matrix& m = get(key);
  const int k = m.info.rows, n = m.info.cols;
  for (int rt = 0; rt < m.info.row_tiles; ++rt) {
    const int r0 = rt * shape_.rows, rows = std::min(shape_.rows, k - r0);
    for (int ct = 0; ct < m.info.col_tiles; ++ct) {
      const int c0 = ct * shape_.cols, cols = std::min(shape_.cols, n - c0);
      const xbar::CrossbarArray& array = *m.arrays[std::size_t(rt) * m.info.col_tiles + ct];
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) w[std::size_t(r0 + i) * n + c0 + j] = m.scale * array.weight(i, j);
    }
  }
}

// --- CrossbarEngine: checkpoints ---------------------------------------------------------------

void CrossbarEngine::save_state(std::ostream& os) const {
  sio::write_tag(os, kCrossbarTag, kEngineVersion);
  sio::write_string(os, sio::parameter_bytes(geometry_, converters_, device_));
  sio::write(os, seed_);
  sio::write(os, arrays_created_);
  sio::write<int32_t>(os, next_key_value());
  sio::write(os, program_.cells_written);
  sio::write(os, program_.pulses);
  sio::write(os, program_.rows_written);
  sio::write(os, program_.write_energy_pj);
  sio::write<uint64_t>(os, matrices_.size());
  for (const auto& [key, m] : matrices_) {
    sio::write<int32_t>(os, key);
    write_info(os, m.info);
    sio::write(os, m.scale);
    sio::write<uint64_t>(os, m.arrays.size());
    for (const xbar::CrossbarArray* a : m.arrays) a->save_state(os);
  }
}

void CrossbarEngine::load_state(std::istream& is) {
  if (relocated_)
    throw std::logic_error("CrossbarEngine::load_state: the arrays moved into the tiles; restore before relocating");
  static constexpr const char* what = "CrossbarEngine::load_state";
  sio::read_tag(is, kCrossbarTag, kEngineVersion, what);
  if (sio::read_string(is, what, 4096) != sio::parameter_bytes(geometry_, converters_, device_))
    throw std::runtime_error(std::string(what) +
                             ": the state was saved from an engine with other array geometry, converter or device "
                             "parameters");
  const auto seed = sio::read<uint64_t>(is, what);
  const auto arrays_created = sio::read<uint64_t>(is, what);
  const auto next_key = sio::read<int32_t>(is, what);
  xbar::ProgramStats program;
  program.cells_written = sio::read<int64_t>(is, what);
  program.pulses = sio::read<int64_t>(is, what);
  program.rows_written = sio::read<int64_t>(is, what);
  program.write_energy_pj = sio::read<double>(is, what);
  const auto count = sio::read<uint64_t>(is, what);
  std::map<int, Matrix> matrices;
  for (uint64_t i = 0; i < count; ++i) {
    const auto key = sio::read<int32_t>(is, what);
    Matrix m;
    m.info = read_info(is, shape_, what);
    m.scale = sio::read<float>(is, what);
    if (sio::read<uint64_t>(is, what) != uint64_t(m.info.arrays()))
      throw std::runtime_error(std::string(what) + ": corrupt array count");
    for (int64_t a = 0; a < m.info.arrays(); ++a) {
      // Any seed: load_state replaces every random stream.
      m.owned.push_back(std::make_unique<xbar::CrossbarArray>(geometry_, converters_, device_, 0));
      m.owned.back()->load_state(is);
      m.arrays.push_back(m.owned.back().get());
    }
    matrices[key] = std::move(m);
  }
  matrices_ = std::move(matrices);
  seed_ = seed;
  arrays_created_ = arrays_created;
  program_ = program;
  restore_next_key(next_key);
}

}  // namespace memgan::nn
