// A linear layer and a transposed convolution small enough to map by hand on 32 x 32 analog
// arrays (differential: 32 x 16 logical). Shared by the mapper and placement tests.
#pragma once

#include "core/mapping/mapper.h"

namespace memgan::mapping::testing {

inline const char* kSmall = R"(name: small
models:
  g:
    input: [10]
    layers:
      - {name: fc, type: linear, in_features: 10, out_features: 32, input: [10], output: [32]}
      - {name: view, type: reshape, output: [8, 2, 2]}
      - {name: up, type: conv_transpose2d, in_channels: 8, out_channels: 4, kernel: 4, stride: 2, padding: 1,
         bias: false, input: [8, 2, 2], output: [4, 4, 4]}
)";

inline ArchSpec small_arch(int tiles, int arrays_per_tile) {
  ArchSpec a;
  a.array_rows = 32;
  a.array_cols = 32;
  a.quantize = false;
  a.tiles = tiles;
  a.arrays_per_tile = arrays_per_tile;
  return a;
}

}  // namespace memgan::mapping::testing
