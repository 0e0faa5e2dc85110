#include "core/image/png.h"

#include <png.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace memgan::image {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// The simplified libpng API (png_image) reports errors in image.message instead of longjmp,
// which keeps setjmp out of C++ code.
png_image new_image() {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  return img;
}

// PNG's own limit is 2^31 - 1; libpng's default user limit is 1,000,000 per side.
constexpr int64_t kMaxSide = 1000000;

int checked_side(int64_t v, const char* what) {
  if (v < 1 || v > kMaxSide)
    throw std::invalid_argument(std::string(what) + " " + std::to_string(v) + " outside 1.." +
                                std::to_string(kMaxSide));
  return int(v);
}

}  // namespace

uint8_t to_gray(float v, float lo, float hi) {
  const double t = (double(v) - lo) / (double(hi) - lo) * 255.0;
  if (!(t > 0)) return 0;  // also NaN
  if (t >= 255) return 255;
  return uint8_t(std::lround(t));
}

GrayImage image_grid(const float* images, int count, int rows, int cols, int grid_cols, int pad, float lo,
                     float hi) {
  if (!images || count < 1 || rows < 1 || cols < 1 || grid_cols < 1 || pad < 0)
    throw std::invalid_argument("image_grid: need images, count, rows, cols, grid_cols >= 1 and pad >= 0; got count " +
                                std::to_string(count) + ", " + std::to_string(rows) + " x " + std::to_string(cols) +
                                ", grid_cols " + std::to_string(grid_cols) + ", pad " + std::to_string(pad));
  if (!(lo < hi) || !std::isfinite(lo) || !std::isfinite(hi))
    throw std::invalid_argument("image_grid: value range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                "] is empty or not finite");
  const int grid_rows = (count + grid_cols - 1) / grid_cols;
  GrayImage g;
  g.width = checked_side(int64_t(grid_cols) * (int64_t(cols) + pad) + pad, "image_grid: width");
  g.height = checked_side(int64_t(grid_rows) * (int64_t(rows) + pad) + pad, "image_grid: height");
  g.pixels.assign(std::size_t(g.width) * std::size_t(g.height), kGridBorder);
  const std::size_t per = std::size_t(rows) * std::size_t(cols);
  for (int n = 0; n < count; ++n) {
    const float* src = images + per * std::size_t(n);
    const std::size_t x0 = std::size_t(n % grid_cols) * std::size_t(cols + pad) + std::size_t(pad);
    const std::size_t y0 = std::size_t(n / grid_cols) * std::size_t(rows + pad) + std::size_t(pad);
    for (int r = 0; r < rows; ++r) {
      uint8_t* dst = g.pixels.data() + (y0 + std::size_t(r)) * std::size_t(g.width) + x0;
      for (int c = 0; c < cols; ++c) dst[c] = to_gray(src[std::size_t(r) * std::size_t(cols) + std::size_t(c)], lo, hi);
    }
  }
  return g;
}

void upscale_nearest(GrayImage& image, int factor) {
  if (factor < 1) throw std::invalid_argument("upscale_nearest: factor " + std::to_string(factor) + " < 1");
  if (factor == 1) return;
  const int w = checked_side(int64_t(image.width) * factor, "upscale_nearest: width");
  const int h = checked_side(int64_t(image.height) * factor, "upscale_nearest: height");
  std::vector<uint8_t> out(std::size_t(w) * std::size_t(h));
  for (int y = 0; y < h; ++y) {
    const uint8_t* src = image.pixels.data() + std::size_t(y / factor) * std::size_t(image.width);
    uint8_t* dst = out.data() + std::size_t(y) * std::size_t(w);
    for (int x = 0; x < w; ++x) dst[x] = src[x / factor];
  }
  image.width = w;
  image.height = h;
  image.pixels = std::move(out);
}

void write_png_gray(const std::string& path, int width, int height, const uint8_t* pixels) {
  if (!pixels) throw std::invalid_argument(path + ": write_png_gray: no pixels");
  checked_side(width, (path + ": width").c_str());
  checked_side(height, (path + ": height").c_str());
  File f(std::fopen(path.c_str(), "wb"));
  if (!f) fail(path, std::string("cannot write PNG: ") + std::strerror(errno));
  png_image img = new_image();
  img.width = png_uint_32(width);
  img.height = png_uint_32(height);
  img.format = PNG_FORMAT_GRAY;
  const bool ok = png_image_write_to_stdio(&img, f.get(), 0, pixels, 0, nullptr) != 0;
  // fclose flushes: a full disk shows up here, not in libpng.
  const int close_rc = std::fclose(f.release());
  const int close_errno = errno;
  if (!ok || close_rc != 0) {
    std::remove(path.c_str());  // no half-written file left behind
    fail(path, std::string("cannot write PNG: ") + (!ok ? img.message : std::strerror(close_errno)));
  }
}

void write_png_gray(const std::string& path, const GrayImage& image) {
  if (image.pixels.size() != std::size_t(image.width) * std::size_t(image.height))
    throw std::invalid_argument(path + ": image of " + std::to_string(image.width) + " x " +
                                std::to_string(image.height) + " has " + std::to_string(image.pixels.size()) +
                                " pixels");
  write_png_gray(path, image.width, image.height, image.pixels.data());
}

GrayImage read_png_gray(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) fail(path, std::string("cannot open PNG: ") + std::strerror(errno));
  png_image img = new_image();
  if (!png_image_begin_read_from_stdio(&img, f.get())) fail(path, std::string("cannot read PNG: ") + img.message);
  img.format = PNG_FORMAT_GRAY;
  GrayImage g;
  g.width = int(img.width);
  g.height = int(img.height);
  g.pixels.resize(PNG_IMAGE_SIZE(img));
  // Both calls free libpng's state on failure, and finish_read on success too.
  if (!png_image_finish_read(&img, nullptr, g.pixels.data(), 0, nullptr))
    fail(path, std::string("cannot read PNG: ") + img.message);
  return g;
}

}  // namespace memgan::image
