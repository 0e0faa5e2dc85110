// The shift-and-add unit behind the ADCs, as a standalone C++ model of rtl/shift_add.sv: the
// golden model the RTL is checked against (tests/rtl). The array model (crossbar_read.cpp) fuses
// the same recombination into its ADC loop for speed; tests/rtl/adc_codes_test.cpp checks that
// the two agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace memgan::xbar {

// acc[v][j] = sum_c sum_s code[v][c][s][j] * 2^(c*Bd + s*Bc), in int64 (no wrap) so a caller can
// also check the sum fits the RTL's 32-bit accumulator. `codes` is [vectors][cycles][slices][cols].
inline std::vector<int64_t> shift_add(const std::vector<int16_t>& codes, int vectors, int cycles, int slices,
                                      int cols, int dac_bits, int cell_bits) {
  std::vector<int64_t> acc(std::size_t(vectors) * cols, 0);
  for (int v = 0; v < vectors; ++v)
    for (int c = 0; c < cycles; ++c)
      for (int s = 0; s < slices; ++s)
        for (int j = 0; j < cols; ++j)
          acc[std::size_t(v) * cols + j] += int64_t(codes[((std::size_t(v) * cycles + c) * slices + s) * cols + j]) *
                                            (int64_t(1) << (c * dac_bits + s * cell_bits));
  return acc;
}

}  // namespace memgan::xbar
