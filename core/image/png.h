// 8-bit grayscale PNG files (libpng), and grids of float images for looking at GAN samples.
//
// Written files carry no time chunk: the same pixels give byte-identical files (for a given
// libpng and zlib). Every I/O problem throws std::runtime_error whose message starts with the
// path; bad arguments throw std::invalid_argument.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace memgan::image {

struct GrayImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // height x width, row-major, 0 = black
};

// Value of the padding and of empty grid cells: a dark gray, so tile edges stay visible
// against the black backgrounds of Fashion-MNIST without drawing the eye the way white would.
inline constexpr uint8_t kGridBorder = 64;

// v in [lo, hi] to 0..255: linear, rounded to nearest, clamped outside the range; NaN gives 0.
uint8_t to_gray(float v, float lo = -1.0f, float hi = 1.0f);

// `count` images of rows x cols floats each (contiguous, e.g. N x 1 x rows x cols) tiled left to
// right, top to bottom into grid_cols columns and ceil(count / grid_cols) rows, with `pad`
// pixels of kGridBorder around and between the tiles. Size: grid_cols * (cols + pad) + pad wide.
GrayImage image_grid(const float* images, int count, int rows, int cols, int grid_cols, int pad, float lo = -1.0f,
                     float hi = 1.0f);

// Each pixel becomes a factor x factor block: a 28 x 28 tile is too small to judge at 1:1.
void upscale_nearest(GrayImage& image, int factor);

void write_png_gray(const std::string& path, int width, int height, const uint8_t* pixels);
void write_png_gray(const std::string& path, const GrayImage& image);

// Any PNG, converted to 8-bit gray by libpng (identity for 8-bit gray files such as ours).
GrayImage read_png_gray(const std::string& path);

}  // namespace memgan::image
