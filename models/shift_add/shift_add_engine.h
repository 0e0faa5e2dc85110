// Plug-in point for the tile's shift-and-add unit: by default the tile recombines ADC codes in
// C++ (inside core/xbar); with arch.rtl.shift_add = rtl the SoC gives each array an
// engine that streams the codes through the Verilated RTL (models/shift_add, docs/rtl.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace memgan {

class ShiftAddEngine {
 public:
  virtual ~ShiftAddEngine() = default;
  // acc[v * cols + j] = sum_c sum_s codes[((v * cycles + c) * slices + s) * cols + j]
  //                     * 2^(c * dac_bits + s * cell_bits)
  // for v < vectors. May consume simulated time (wait()): call it from an SC_THREAD.
  virtual void accumulate(const int16_t* codes, int vectors, int cycles, int slices, int cols, int dac_bits,
                          int cell_bits, int32_t* acc) = 0;
};

// Called by the tile's constructor once per array (so the engine is a child module of the
// tile): `name` is the module name to use, `array` the array index.
using ShiftAddFactory = std::function<std::unique_ptr<ShiftAddEngine>(const char* name, int array)>;

}  // namespace memgan
