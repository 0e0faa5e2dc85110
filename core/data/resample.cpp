#include "core/data/resample.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace memgan::data {

namespace {

// Source coordinate of output index i (align_corners = false), its lower neighbour and weight.
struct Tap {
  int lo, hi;
  double w;  // weight of hi
};

Tap tap(int i, int out, int in) {
  const double x = std::max(0.0, (i + 0.5) * double(in) / double(out) - 0.5);
  const int lo = std::min(int(x), in - 1);
  return {lo, std::min(lo + 1, in - 1), x - lo};
}

}  // namespace

ImageSet resize_bilinear(const ImageSet& set, int rows, int cols) {
  if (rows <= 0 || cols <= 0) throw std::invalid_argument("resize_bilinear: the size must be positive");
  ImageSet out;
  out.count = set.count;
  out.rows = rows;
  out.cols = cols;
  out.labels = set.labels;
  out.pixels.resize(size_t(set.count) * rows * cols);
  std::vector<Tap> ty(static_cast<size_t>(rows)), tx(static_cast<size_t>(cols));
  for (int r = 0; r < rows; ++r) ty[size_t(r)] = tap(r, rows, set.rows);
  for (int c = 0; c < cols; ++c) tx[size_t(c)] = tap(c, cols, set.cols);
  for (int n = 0; n < set.count; ++n) {
    const uint8_t* src = &set.pixels[size_t(n) * set.rows * set.cols];
    uint8_t* dst = &out.pixels[size_t(n) * rows * cols];
    for (int r = 0; r < rows; ++r) {
      const Tap& y = ty[size_t(r)];
      for (int c = 0; c < cols; ++c) {
        const Tap& x = tx[size_t(c)];
        const auto at = [&](int rr, int cc) { return double(src[size_t(rr) * set.cols + cc]); };
        const double top = at(y.lo, x.lo) * (1 - x.w) + at(y.lo, x.hi) * x.w;
        const double bottom = at(y.hi, x.lo) * (1 - x.w) + at(y.hi, x.hi) * x.w;
        dst[size_t(r) * cols + c] = uint8_t(std::lround(std::clamp(top * (1 - y.w) + bottom * y.w, 0.0, 255.0)));
      }
    }
  }
  return out;
}

}  // namespace memgan::data
