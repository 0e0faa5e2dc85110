// Internal state of the array model (CrossbarArray::Impl) and the helpers its source files share (internal header).
//
// The array model is split by responsibility: crossbar_params.cpp (parameter checks, ns / nc / ADC LSB),
// crossbar_cells.cpp (construction, cell state, derived caches, queries), crossbar_program.cpp (write-and-verify,
// pulse updates), crossbar_read.cpp (the float and quantized MVM reads) and crossbar_state_io.cpp (checkpoints).
// Members of Impl are defined in the file named above their declarations.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "core/xbar/crossbar_array.h"
#include "core/xbar/pulse_model.h"
#include "core/xbar/random.h"

namespace memgan::xbar {

namespace detail {

// Cell fault flags; a stuck or worn cell keeps its conductance.
enum Fault : uint8_t { kHealthy = 0, kStuckOn, kStuckOff, kWorn };

// V [V], G [uS], t [ns]: V^2 G t is in 1e-15 J.
constexpr double kFemtoToPico = 1e-3;

}  // namespace detail

// Scratch of one read (crossbar_read.cpp), one per host thread rather than per array: sized by
// the largest read, it would otherwise stay allocated in every array of a large chip.
struct ReadWorkspace {
  std::vector<float> a, a2, prod, z_ref, ref_noise, e_in, per_vector;
  std::vector<uint64_t> words;
  std::vector<int32_t> acc, xi;
  std::vector<double> x_sum;
  std::vector<int8_t> x8;          // a read's integer inputs (input_bits <= 8)
  std::vector<float> read_energy;  // per read: sum_k u_k^2 G_line(k)
};
ReadWorkspace& read_workspace();  // this thread's

struct CrossbarArray::Impl {
  ArrayGeometry geo;
  ConverterParams cp;
  DeviceParams dp;
  detail::PulseCurves curves;
  bool offset;
  int ns, nc, lrows, lcols;
  double unit_us;       // conductance difference of one weight unit (g_step, R or R/2)
  double weight_bias;   // Offset: stored = weight + bias (2^(Bw-1), or 1 in analog mode)
  std::vector<double> g_us;
  std::vector<int64_t> writes;
  std::vector<uint8_t> fault;
  detail::Xoshiro256ss program_rng, update_rng;
  detail::LaneBits read_bits;           // cell read noise, one word per two outputs
  detail::NormalFiller reference_rng;  // reference-line read noise (Offset)

  // Cached effective matrices, lrows x ld_cat, column blocks of lcols: block s < ns holds slice
  // s's mean weights, Differential (G+ - G-) / unit or Offset (G - G_ref_col) / unit; with read
  // noise, block ns + s holds its variance per unit input^2, sigma^2 (G+^2 + G-^2) / unit^2.
  // Side by side, so a full-width forward read is one GEMM for every slice and both moments.
  std::vector<float> wq;
  int ld_cat;
  std::vector<float> w_tr;       // Offset only: (G - G_ref_row) / unit for transposed reads, ld ns * lcols
  std::vector<float> q_ref_col;  // Offset: sigma^2 G_ref_col(i)^2 / unit^2, per logical row
  std::vector<float> q_ref_row;  // Offset: sigma^2 G_ref_row(j, s)^2 / unit^2, ns x lcols
  std::vector<double> row_g_us, col_g_us;  // sum of G over each physical row / column (read energy)
  int dirty_r0, dirty_r1, dirty_c0, dirty_c1;  // logical block to rebuild; empty when r0 >= r1


  // crossbar_cells.cpp: construction and the state derived from g_us.
  Impl(const ArrayGeometry& geometry, const ConverterParams& c, const DeviceParams& d, uint64_t seed);
  void rebuild_derived();
  void refresh_cache();

  // Layout, bounds checks and dirty tracking, used throughout.
  static double sq(double v) { return v * v; }
  bool noisy() const { return dp.read_noise_sigma > 0; }
  int reference_col() const { return offset ? geo.cols - 1 : -1; }
  int reference_row() const { return offset ? geo.rows - 1 : -1; }
  int phys(int col, int slice, int polarity) const {
    return offset ? col * ns + slice : (col * ns + slice) * 2 + polarity;
  }
  std::size_t idx(int r, int col) const { return std::size_t(r) * std::size_t(geo.cols) + std::size_t(col); }
  double g(int r, int col) const { return g_us[idx(r, col)]; }
  double sum_row(int r) const {
    double s = 0;
    for (int col = 0; col < geo.cols; ++col) s += g(r, col);
    return s;
  }
  double sum_col(int col) const {
    double s = 0;
    for (int r = 0; r < geo.rows; ++r) s += g(r, col);
    return s;
  }

  void check_block(const char* what, int row0, int n_rows, int col0, int n_cols) const {
    if (row0 < 0 || n_rows < 1 || col0 < 0 || n_cols < 1 || row0 > lrows - n_rows || col0 > lcols - n_cols) {
      std::ostringstream os;
      os << what << ": block of " << n_rows << " x " << n_cols << " at (" << row0 << ", " << col0
         << ") is not inside the " << lrows << " x " << lcols << " logical array";
      throw std::out_of_range(os.str());
    }
  }
  void check_phys(int r, int col) const {
    if (r < 0 || r >= geo.rows || col < 0 || col >= geo.cols) {
      std::ostringstream os;
      os << "physical cell (" << r << ", " << col << ") is outside the " << geo.rows << " x " << geo.cols << " array";
      throw std::out_of_range(os.str());
    }
  }
  void mark_dirty(int row0, int n_rows, int col0, int n_cols) {
    if (dirty_r0 >= dirty_r1) {
      dirty_r0 = row0, dirty_r1 = row0 + n_rows, dirty_c0 = col0, dirty_c1 = col0 + n_cols;
    } else {
      dirty_r0 = std::min(dirty_r0, row0), dirty_r1 = std::max(dirty_r1, row0 + n_rows);
      dirty_c0 = std::min(dirty_c0, col0), dirty_c1 = std::max(dirty_c1, col0 + n_cols);
    }
  }

  // crossbar_program.cpp: write-and-verify and pulse updates.
  double pulse_energy_pj(double g_before_us, double g_after_us) const;
  bool program_cell(std::size_t k, double target_us, ProgramStats& st);
  double level_us(double level) const;
  bool program_weight(int i, int j, float w, ProgramStats& st);
  void require_updatable(const char* what) const;
  void pulse_cell(std::size_t k, bool up, ProgramStats& st);
  void pulse_weight(int i, int j, bool up, long n, ProgramStats& st);
  double weight_per_pulse() const;

  // crossbar_read.cpp: the MVM reads.
  void read(const float* x, int batch, int row0, int n_rows, int col0, int n_cols, float* y, MvmStats* stats,
            bool transposed);
  void gemm(const float* in, int m, const float* b, int ldb, int col, int row0, int n_rows, int n_cols, float* out,
            int ldc, bool transposed) const;
  void forward_blocks(const float* in, int m, int first, int count, int row0, int n_rows, int col0, int n_cols,
                      int n_blocks);
  void moments(const float* in, const float* var_in, int m, int row0, int n_rows, int col0, int n_cols,
               bool transposed);
  template <class Sign>
  void reference_noise(const float* in2, int m, int n_in, const float* q_ref, float* noise, Sign sign);
  void analog_read(const float* x, int batch, int row0, int n_rows, int col0, int n_cols, float* y, MvmStats& st,
                   bool transposed);
  void quantized_read(const float* x, int batch, int row0, int n_rows, int col0, int n_cols, float* y,
                      MvmStats& st, bool transposed);
};

}  // namespace memgan::xbar
