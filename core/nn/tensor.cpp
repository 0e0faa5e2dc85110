#include "core/nn/tensor.h"

#include <stdexcept>
#include <utility>

namespace memgan::nn {

int64_t element_count(const std::vector<int>& shape) {
  int64_t n = 1;
  for (int d : shape) {
    if (d < 0) throw std::invalid_argument("tensor shape " + shape_string(shape) + " has a negative dimension");
    n *= d;
  }
  return n;
}

std::string shape_string(const std::vector<int>& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

Tensor::Tensor(std::vector<int> s, float fill) : shape(std::move(s)) {
  data.assign(static_cast<std::size_t>(element_count(shape)), fill);
}

Tensor::Tensor(std::vector<int> s, std::vector<float> d) : shape(std::move(s)), data(std::move(d)) {
  if (element_count(shape) != size())
    throw std::invalid_argument("tensor shape " + shape_string(shape) + " does not match " +
                                std::to_string(size()) + " elements");
}

int Tensor::dim(int axis) const {
  if (axis < 0 || axis >= rank())
    throw std::out_of_range("tensor axis " + std::to_string(axis) + " out of range for shape " + shape_string(shape));
  return shape[axis];
}

Tensor Tensor::reshaped(std::vector<int> new_shape) const {
  if (element_count(new_shape) != size())
    throw std::invalid_argument("cannot reshape " + shape_string(shape) + " to " + shape_string(new_shape));
  return Tensor(std::move(new_shape), data);
}

}  // namespace memgan::nn
