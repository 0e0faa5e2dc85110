// Bilinear resampling against hand-computed values (align_corners = false).
#include <gtest/gtest.h>

#include "core/data/resample.h"

namespace memgan::data {
namespace {

ImageSet one(int rows, int cols, std::vector<uint8_t> px) {
  ImageSet s;
  s.count = 1;
  s.rows = rows;
  s.cols = cols;
  s.pixels = std::move(px);
  s.labels = {7};
  return s;
}

TEST(ResizeBilinear, DoublingARowInterpolatesBetweenPixelCentres) {
  // Row [0, 100] to 4 columns: source x = (i + 0.5) / 2 - 0.5 = -0.25 (clamped 0), 0.25, 0.75, 1.25.
  const ImageSet out = resize_bilinear(one(1, 2, {0, 100}), 1, 4);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{0, 25, 75, 100}));
  EXPECT_EQ(out.labels, (std::vector<uint8_t>{7}));
}

TEST(ResizeBilinear, TheSameSizeIsTheIdentityAndAConstantStaysConstant) {
  const ImageSet img = one(2, 3, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(resize_bilinear(img, 2, 3).pixels, img.pixels);
  const ImageSet flat = resize_bilinear(one(28, 28, std::vector<uint8_t>(784, 200)), 64, 64);
  EXPECT_EQ(flat.pixels, std::vector<uint8_t>(64 * 64, 200));
  EXPECT_THROW(resize_bilinear(img, 0, 4), std::invalid_argument);
}

TEST(ResizeBilinear, BothAxesTogether) {
  // 2 x 2 [[0, 40], [80, 120]] to 3 x 3: source coordinates -1/6 (0), 1/2, 7/6 (1) per axis.
  const ImageSet out = resize_bilinear(one(2, 2, {0, 40, 80, 120}), 3, 3);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{0, 20, 40, 40, 60, 80, 80, 100, 120}));
}

}  // namespace
}  // namespace memgan::data
