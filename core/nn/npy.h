// NumPy .npy files: format versions 1.0 and 2.0, C order. Reads little-endian float32 ('<f4')
// and float64 ('<f8', converted to float); writes '<f4'. Every problem throws
// std::runtime_error whose message starts with the path: wrong magic, unsupported version or
// dtype (e.g. '<i4', or big-endian '>f4'), Fortran order, malformed header, truncated data or
// trailing bytes, and a shape other than the one a caller expects.
#pragma once

#include <string>
#include <vector>

#include "core/nn/tensor.h"

namespace memgan::nn {

Tensor read_npy(const std::string& path);
Tensor read_npy(const std::string& path, const std::vector<int>& expected_shape);
// Version 1.0 (2.0 only when the header would not fit a 16-bit length), header padded to 64 bytes.
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace memgan::nn
