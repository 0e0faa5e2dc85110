// The DAC side of an MVM's inputs: their range and their integer codes (element-wise kernels,
// SIMD-cloned like the array's own loops, so a big layer's inputs quantize at vector speed).
#pragma once

#include <cstddef>

namespace memgan::xbar {

struct InputPeak {
  float max_abs = 0;   // largest |x| (meaningless unless finite)
  bool finite = true;  // no NaN or infinity among the inputs
};

// Largest |x[i]| of n inputs, and whether every one is finite.
InputPeak input_peak(const float* x, std::size_t n);

// out[i] = clamp(round_half_even(x[i] / scale), -q, q): x on the DAC's signed integer grid.
void quantize_inputs(const float* x, std::size_t n, float scale, float q, float* out);

}  // namespace memgan::xbar
