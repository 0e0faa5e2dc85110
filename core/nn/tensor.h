// Minimal float32 tensor: a shape and C-order (row-major) data. Images are NCHW.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace memgan::nn {

struct Tensor {
  std::vector<int> shape;
  std::vector<float> data;

  Tensor() = default;
  // Throws std::invalid_argument for a negative dimension.
  explicit Tensor(std::vector<int> shape, float fill = 0.0f);
  Tensor(std::vector<int> shape, std::vector<float> data);  // throws when the sizes disagree

  int rank() const { return static_cast<int>(shape.size()); }
  int64_t size() const { return static_cast<int64_t>(data.size()); }
  int dim(int axis) const;  // throws std::out_of_range
  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }

  // Unchecked element access: 2-D (row, col) and 4-D (n, c, h, w).
  float& at(int i, int j) { return data[std::size_t(i) * shape[1] + j]; }
  float at(int i, int j) const { return data[std::size_t(i) * shape[1] + j]; }
  float& at(int n, int c, int h, int w) { return data[index(n, c, h, w)]; }
  float at(int n, int c, int h, int w) const { return data[index(n, c, h, w)]; }

  // Same data, new shape of the same element count (throws std::invalid_argument otherwise).
  Tensor reshaped(std::vector<int> new_shape) const;

 private:
  std::size_t index(int n, int c, int h, int w) const {
    return ((std::size_t(n) * shape[1] + c) * shape[2] + h) * shape[3] + w;
  }
};

// Element count of a shape (1 for the empty shape, a scalar); throws for a negative dimension.
int64_t element_count(const std::vector<int>& shape);
std::string shape_string(const std::vector<int>& shape);  // "2x3x4", "scalar" for {}

}  // namespace memgan::nn
