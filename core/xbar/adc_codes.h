// Raw ADC codes of a forward read, for co-simulating the shift-and-add unit in RTL (rtl/,
// models/shift_add/, docs/rtl.md): the tile feeds these codes to the Verilated shift-and-add instead
// of recombining them in C++.
#pragma once

#include <cstdint>

#include "core/xbar/crossbar_array.h"

namespace memgan::xbar {

// Signed ADC codes of array.mvm(x, batch, row0, n_rows, col0, n_cols, ...) (quantized mode),
// codes[((b * nc + c) * ns + s) * n_cols + j] for vector b, input cycle c (DAC chunk), weight
// slice s and output column j, so that without Offset's digital correction
//   mvm's y = lsb * sum_c sum_s code * 2^(c*Bd + s*Bc)      (crossbar_array.h)
// Recomputed from the array's public state (conductances, converters) with mvm's arithmetic:
// chunk (top chunk signed), a = sum_i u_i (G+ - G-)_i / g_step as a float, code =
// clamp(round_half_even(a / lsb)). The codes equal mvm's exactly when every a is exact in float
// (ideal devices: integer levels) and reads are noiseless; with read noise they are the
// noise-free codes (mvm's noise draws are internal), and with programming variation a code may
// differ where a lies within float rounding of a rounding tie. Reads no random state: calling it
// does not change later mvm results. Returns the number of saturated conversions.
// Throws std::logic_error unless quantize, std::invalid_argument for a bad input,
// std::out_of_range for a bad block.
int64_t mvm_codes(const CrossbarArray& array, const float* x, int batch, int row0, int n_rows, int col0, int n_cols,
                  int16_t* codes);

}  // namespace memgan::xbar
