// MVM engines: where every matrix product of the layers and dataflows runs.
//
// A weight matrix W (k x n, row-major) is loaded under an integer key; mvm computes
// Y[batch x n] = X[batch x k] W and mvm_transposed dX[batch x k] = dY[batch x n] W^T on the same
// mapping. Both engines tile W over arrays of ArrayShape (rows x cols logical cells): row tile
// rt, column tile ct holds W[rt*rows.., ct*cols..]. A forward call applies every input vector to
// every tile and sums the row tiles' partial results digitally; a transposed call applies the
// vector's column-tile pieces and sums over column tiles.
//
//   FloatGemmEngine  exact float GEMM (OpenBLAS); counts what the tiled arrays would do.
//   CrossbarEngine   every product on xbar::CrossbarArray::mvm / mvm_transposed; counts come
//                    from the arrays' MvmStats. Quantized: inputs to signed input_bits integers
//                    with one scale per call (max |x| -> 2^(Bi-1)-1), weights to weight_bits
//                    integers with one scale per matrix, outputs dequantized. Not quantized:
//                    W / max|W| is programmed (the array's analog range is [-1, 1]) and the
//                    float inputs pass straight through.
//
// Training in place (docs/numerics.md, "Engines: in-situ training and checkpoints"): a matrix
// loaded with weight_range > 0 maps [-weight_range, weight_range] onto the array's whole range,
// leaving headroom for apply_update / apply_manhattan, which change the resident weights
// (CrossbarEngine: programming pulses on the cells) without reprogramming. read_weights gives
// the weights the matrix now holds; save_state / load_state checkpoint the whole engine.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/xbar/crossbar_array.h"

namespace memgan::nn {

// Logical capacity of one array and its converter cycles.
struct ArrayShape {
  int rows = 128;   // logical rows (inputs of a forward read)
  int cols = 128;   // logical output columns (one logical weight each)
  int slices = 1;   // weight slices per logical weight (ns)
  int cycles = 1;   // input cycles per vector (nc = ceil(input_bits / dac_bits))
};

// Everything a cost model needs about some work. Engines fill the first block on every
// mvm / mvm_transposed and the load fields on load; layers and dataflows fill the rest.
struct MvmCounts {
  int64_t logical_mvms = 0;      // input vectors applied to one logical weight matrix
  int64_t array_reads = 0;       // array activations: forward nc per vector and tile, transposed nc*ns
  int64_t dac_conversions = 0;   // one per driven line per array read
  int64_t adc_conversions = 0;   // one per sensed column (pair) or row per input cycle and slice
  int64_t adc_saturations = 0;
  int64_t inputs_applied = 0;    // input vector elements applied (sum of logical MVM lengths)
  int64_t inputs_nonzero = 0;    // of those, non-zero before quantization
  int64_t outputs = 0;           // logical output elements produced
  int64_t partial_sum_adds = 0;  // digital adds merging tile partial results
  double array_energy_pj = 0;    // read energy reported by the arrays (float engine: 0)
  // Loads counted into this object.
  int64_t arrays_used = 0;         // arrays holding the matrices this work reads (or loads, or updates)
  int64_t weights_programmed = 0;  // logical weights written by loads
  // Cell writes of loads and in-situ updates, as the arrays report them (CrossbarEngine only;
  // the float engine writes nothing physical and leaves them 0).
  int64_t cells_written = 0;  // cells receiving at least one pulse (per call)
  int64_t write_pulses = 0;   // programming pulses applied
  double write_energy_pj = 0;
  // Layer level.
  int64_t outputs_discarded = 0;  // outputs computed then thrown away (inserted-zero positions, crop)
  int64_t overlap_adds = 0;       // digital adds accumulating MVM outputs into a layer result
  int64_t bias_adds = 0;          // bias additions, or bias-gradient accumulations

  MvmCounts& operator+=(const MvmCounts& o);
  int64_t digital_adds() const { return partial_sum_adds + overlap_adds + bias_adds; }
  double fed_zero_fraction() const;  // 1 - nonzero / applied (0 when nothing applied)
  double mean_mvm_length() const;    // applied / logical MVMs
};

// Tiling of a k x n matrix over arrays of `shape`.
struct MatrixInfo {
  int rows = 0, cols = 0;            // k, n
  int row_tiles = 0, col_tiles = 0;  // ceil(k / shape.rows), ceil(n / shape.cols)
  int64_t arrays() const { return int64_t(row_tiles) * col_tiles; }
};
MatrixInfo tile_matrix(const ArrayShape& shape, int k, int n);

// Engine counts of `vectors` MVMs on a k x n matrix tiled over `shape` (no nonzero count).
// forward:    reads = v*rt*ct*nc, DAC = v*ct*nc*k, ADC = v*rt*nc*ns*n, partial adds = v*n*(rt-1)
// transposed: reads = v*rt*ct*nc*ns, DAC = v*rt*nc*ns*n, ADC = v*ct*nc*ns*k, partial adds = v*k*(ct-1)
MvmCounts tiled_mvm_counts(const ArrayShape& shape, int k, int n, int64_t vectors, bool transposed);

class MvmEngine {
 public:
  virtual ~MvmEngine();
  virtual ArrayShape array_shape() const = 0;
  // Maps W (k x n) under `key`, replacing any matrix there; adds the arrays and weights written
  // to `counts` (may be null). Throws std::invalid_argument for bad sizes, non-finite weights or
  // a negative / non-finite weight_range. weight_range > 0: the matrix's range is
  // [-weight_range, weight_range] instead of max|W| (CrossbarEngine: scale = weight_range / q,
  // values beyond clipped; FloatGemmEngine: ignored, weights kept exactly). The default
  // argument is repeated, equal, in both engines.
  virtual void load(int key, const float* w, int k, int n, MvmCounts* counts, float weight_range = 0) = 0;
  virtual void release(int key) = 0;
  // y[batch x n] = x[batch x k] W. Throws std::out_of_range for an unknown key.
  virtual void mvm(int key, const float* x, int batch, float* y, MvmCounts* counts) = 0;
  // dx[batch x k] = dy[batch x n] W^T, on the same arrays.
  virtual void mvm_transposed(int key, const float* dy, int batch, float* dx, MvmCounts* counts) = 0;
  virtual MatrixInfo matrix(int key) const = 0;

  // --- in-situ training (every call throws std::out_of_range for an unknown key) --------------
  // Nominal weight change of one programming pulse, weight units (0: continuous, float engine).
  virtual double weight_step(int key) const = 0;
  // W += delta (k x n, weight units). Float: exact float adds. Crossbar: per weight
  // delta / weight_step pulses, stochastically rounded, through the device's pulse model
  // (nonlinearity, c2c, endurance, saturation at the range). Throws std::invalid_argument for a
  // non-finite delta (before changing anything), std::logic_error when the weights are
  // bit-sliced (ns > 1) and cannot take pulses.
  virtual void apply_update(int key, const float* delta, MvmCounts* counts) = 0;
  // Manhattan rule: where |grad| > threshold, one step against sign(grad). Crossbar: one pulse
  // (digital_step unused); float: W -= digital_step * sign(grad).
  virtual void apply_manhattan(int key, const float* grad, float threshold, float digital_step,
                               MvmCounts* counts) = 0;
  // The effective weights the matrix holds (k x n, weight units; crossbar: from the
  // conductances, without read noise).
  virtual void read_weights(int key, float* w) const = 0;

  // --- checkpoints -----------------------------------------------------------------------------
  // Every matrix with its key, tiling, scale and arrays (with all their state), the counters and
  // the next free key. An engine built with the same constructor arguments that loads the state
  // continues bit-identically; its own matrices are replaced. The next key becomes the larger of
  // the saved and the current one, so keys handed out before the load stay unique. Throws
  // std::runtime_error for another engine's state, other parameters or a truncated stream,
  // leaving the engine unchanged.
  virtual void save_state(std::ostream& os) const = 0;
  virtual void load_state(std::istream& is) = 0;

  int new_key() { return next_key_++; }  // a key no caller of this engine holds

 protected:
  int next_key_value() const { return next_key_; }
  void restore_next_key(int saved) { next_key_ = next_key_ > saved ? next_key_ : saved; }

 private:
  int next_key_ = 0;
};

class FloatGemmEngine final : public MvmEngine {
 public:
  explicit FloatGemmEngine(ArrayShape counting_shape = {});
  ArrayShape array_shape() const override { return shape_; }
  void load(int key, const float* w, int k, int n, MvmCounts* counts, float weight_range = 0) override;
  void release(int key) override;
  void mvm(int key, const float* x, int batch, float* y, MvmCounts* counts) override;
  void mvm_transposed(int key, const float* dy, int batch, float* dx, MvmCounts* counts) override;
  MatrixInfo matrix(int key) const override;
  double weight_step(int key) const override;
  void apply_update(int key, const float* delta, MvmCounts* counts) override;
  void apply_manhattan(int key, const float* grad, float threshold, float digital_step, MvmCounts* counts) override;
  void read_weights(int key, float* w) const override;
  void save_state(std::ostream& os) const override;
  void load_state(std::istream& is) override;

 private:
  struct Matrix {
    MatrixInfo info;
    std::vector<float> w;
  };
  const Matrix& get(int key) const;
  Matrix& get(int key);
  ArrayShape shape_;
  std::map<int, Matrix> matrices_;
};

class CrossbarEngine final : public MvmEngine {
 public:
  // Every array is built with these parameters (validated) and seed + its creation index.
  CrossbarEngine(xbar::ArrayGeometry geometry, xbar::ConverterParams converters, xbar::DeviceParams device,
                 uint64_t seed);
  ~CrossbarEngine() override;
  ArrayShape array_shape() const override { return shape_; }
  // Re-uses the key's arrays when k and n are unchanged (program_weights rewrites them).
  void load(int key, const float* w, int k, int n, MvmCounts* counts, float weight_range = 0) override;
  void release(int key) override;
  void mvm(int key, const float* x, int batch, float* y, MvmCounts* counts) override;
  void mvm_transposed(int key, const float* dy, int batch, float* dx, MvmCounts* counts) override;
  MatrixInfo matrix(int key) const override;
  // scale * CrossbarArray::weight_per_pulse().
  double weight_step(int key) const override;
  // Per tile CrossbarArray::update_pulses on delta / scale (at most pulses_full_range pulses
  // per weight and call).
  void apply_update(int key, const float* delta, MvmCounts* counts) override;
  // Per tile CrossbarArray::update_manhattan; digital_step is unused.
  void apply_manhattan(int key, const float* grad, float threshold, float digital_step, MvmCounts* counts) override;
  void read_weights(int key, float* w) const override;
  void save_state(std::ostream& os) const override;
  void load_state(std::istream& is) override;
  int64_t arrays_allocated() const;  // arrays currently held by all keys
  // Moves the arrays to where the chip holds them: `home` is asked for each array in creation
  // order (its ordinal) and either takes it (moves the cells out and returns where they live
  // now, which the engine then reads and writes) or returns null (the engine keeps it). The
  // state moves as it is, so results stay the same bits. Returns the number moved; afterwards
  // load_state and reshaping a moved matrix throw std::logic_error.
  using ArrayHome = std::function<xbar::CrossbarArray*(uint64_t ordinal, std::unique_ptr<xbar::CrossbarArray>& cells)>;
  int64_t relocate(const ArrayHome& home);
  // All writes so far: loads (program_weights) and in-situ updates (pulses).
  const xbar::ProgramStats& program_stats() const { return program_; }

 private:
  struct Matrix {
    MatrixInfo info;
    float scale = 1;                          // W = scale * programmed value
    std::vector<xbar::CrossbarArray*> arrays;  // row tile major: arrays[rt * col_tiles + ct]
    std::vector<std::unique_ptr<xbar::CrossbarArray>> owned;  // the engine's own; null once relocated
  };
  Matrix& get(int key);
  const Matrix& get(int key) const;
  // Throws std::logic_error unless every weight is one cell (pair) and can take pulses.
  void require_updatable(const char* what) const;
  // Adds one array call's ProgramStats to program_ and `counts`.
  void add_writes(const xbar::ProgramStats& st, MvmCounts* counts);
  // Input scale of one call; writes the array-domain inputs to xq_.
  float prepare_inputs(const float* x, std::size_t count);
  // mvm and mvm_transposed: inputs are applied tile by tile along the input dimension (rows
  // forward, columns transposed) and the partial results of those tiles summed digitally.
  void tiled_product(int key, const float* in, int batch, float* out, MvmCounts* counts, bool transposed);

  xbar::ArrayGeometry geometry_;
  xbar::ConverterParams converters_;
  xbar::DeviceParams device_;
  uint64_t seed_;
  uint64_t arrays_created_ = 0;
  bool relocated_ = false;
  ArrayShape shape_;
  double array_weight_per_pulse_ = 0;  // the same for every array (parameters only)
  std::map<int, Matrix> matrices_;
  xbar::ProgramStats program_;
  std::vector<float> xq_, block_;
  std::vector<std::vector<float>> tile_in_, tile_out_;  // per input tile; per array read
  std::vector<xbar::MvmStats> tile_stats_;             // per array read
};

}  // namespace memgan::nn
