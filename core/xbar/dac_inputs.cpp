#include "core/xbar/dac_inputs.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/xbar/simd.h"

namespace memgan::xbar {

// By bit patterns: |x| as an integer orders the finite values, then infinity, then NaN above
// all, so one integer max gives both the peak and whether any input is not finite.
MEMGAN_XBAR_SIMD_CLONES
InputPeak input_peak(const float* x, std::size_t n) {
  uint32_t top = 0;
  for (std::size_t i = 0; i < n; ++i) {
    uint32_t b;
    std::memcpy(&b, &x[i], 4);
    top = std::max(top, b & 0x7FFFFFFFu);
  }
  InputPeak p;
  p.finite = top < 0x7F800000u;
  std::memcpy(&p.max_abs, &top, 4);
  return p;
}

MEMGAN_XBAR_SIMD_CLONES
void quantize_inputs(const float* x, std::size_t n, float scale, float q, float* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = std::min(std::max(std::nearbyint(x[i] / scale), -q), q);
}

}  // namespace memgan::xbar
