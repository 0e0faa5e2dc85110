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
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "crossbar/crossbar_array.h"

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
  int64_t arrays_used = 0;         // arrays holding the matrices this work reads (or loads)
  int64_t weights_programmed = 0;  // logical weights written
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
  // to `counts` (may be null). Throws std::invalid_argument for bad sizes or non-finite weights.
  virtual void load(int key, const float* w, int k, int n, MvmCounts* counts) = 0;
  virtual void release(int key) = 0;
  // y[batch x n] = x[batch x k] W. Throws std::out_of_range for an unknown key.
  virtual void mvm(int key, const float* x, int batch, float* y, MvmCounts* counts) = 0;
  // dx[batch x k] = dy[batch x n] W^T, on the same arrays.
  virtual void mvm_transposed(int key, const float* dy, int batch, float* dx, MvmCounts* counts) = 0;
  virtual MatrixInfo matrix(int key) const = 0;
  int new_key() { return next_key_++; }  // a key no caller of this engine holds

 private:
  int next_key_ = 0;
};

class FloatGemmEngine final : public MvmEngine {
 public:
  explicit FloatGemmEngine(ArrayShape counting_shape = {});
  ArrayShape array_shape() const override { return shape_; }
  void load(int key, const float* w, int k, int n, MvmCounts* counts) override;
  void release(int key) override;
  void mvm(int key, const float* x, int batch, float* y, MvmCounts* counts) override;
  void mvm_transposed(int key, const float* dy, int batch, float* dx, MvmCounts* counts) override;
  MatrixInfo matrix(int key) const override;

 private:
  struct Matrix {
    MatrixInfo info;
    std::vector<float> w;
  };
  const Matrix& get(int key) const;
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
  void load(int key, const float* w, int k, int n, MvmCounts* counts) override;
  void release(int key) override;
  void mvm(int key, const float* x, int batch, float* y, MvmCounts* counts) override;
  void mvm_transposed(int key, const float* dy, int batch, float* dx, MvmCounts* counts) override;
  MatrixInfo matrix(int key) const override;
  int64_t arrays_allocated() const;  // arrays currently held by all keys
  const xbar::ProgramStats& program_stats() const { return program_; }  // all loads so far

 private:
  struct Matrix {
    MatrixInfo info;
    float scale = 1;                        // W = scale * programmed value
    std::vector<xbar::CrossbarArray> arrays;  // row tile major: arrays[rt * col_tiles + ct]
  };
  Matrix& get(int key);
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
  ArrayShape shape_;
  std::map<int, Matrix> matrices_;
  xbar::ProgramStats program_;
  std::vector<float> xq_, tile_in_, tile_out_, block_;
};

}  // namespace memgan::nn
