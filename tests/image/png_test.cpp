// Sample grids (placement, value mapping, upscaling) and grayscale PNG files (round trip,
// identical bytes for identical pixels, errors that name the path).
#include <gtest/gtest.h>

#include "tests/temp_dir_test.h"
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include "core/image/png.h"

namespace memgan::image {
namespace {

namespace fs = std::filesystem;

class Png : public memgan::testing::TempDirTest {
 protected:
  Png() : TempDirTest("memgan_image_test") {}
};

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// A value in [-1, 1] that maps to gray level g exactly.
float level(int g) { return float((2.0 * g - 255.0) / 255.0); }

TEST(Grid, PlacesTilesRowMajorWithBorders) {
  const int rows = 2, cols = 3, count = 3, grid_cols = 2, pad = 1;
  // Image n, pixel (r, c) has gray level 10 * (n + 1) + 3 * r + c: each pixel identifiable.
  std::vector<float> images;
  for (int n = 0; n < count; ++n)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) images.push_back(level(10 * (n + 1) + 3 * r + c));
  const GrayImage g = image_grid(images.data(), count, rows, cols, grid_cols, pad);
  ASSERT_EQ(g.width, 2 * (3 + 1) + 1);
  ASSERT_EQ(g.height, 2 * (2 + 1) + 1);
  ASSERT_EQ(g.pixels.size(), std::size_t(g.width * g.height));
  std::vector<int> expected(g.pixels.size(), kGridBorder);  // the empty fourth cell stays border
  for (int n = 0; n < count; ++n)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const int y = pad + (n / grid_cols) * (rows + pad) + r, x = pad + (n % grid_cols) * (cols + pad) + c;
        expected[std::size_t(y * g.width + x)] = 10 * (n + 1) + 3 * r + c;
      }
  for (int y = 0; y < g.height; ++y)
    for (int x = 0; x < g.width; ++x)
      EXPECT_EQ(int(g.pixels[std::size_t(y * g.width + x)]), expected[std::size_t(y * g.width + x)])
          << "at x " << x << ", y " << y;
}

TEST(Grid, NoPaddingAndOneColumn) {
  const std::vector<float> images{level(1), level(2), level(3), level(4)};
  const GrayImage g = image_grid(images.data(), 4, 1, 1, 1, 0);
  EXPECT_EQ(g.width, 1);
  EXPECT_EQ(g.height, 4);
  EXPECT_EQ(g.pixels, (std::vector<uint8_t>{1, 2, 3, 4}));
}

TEST(Grid, RejectsBadArguments) {
  const float x = 0;
  EXPECT_THROW(image_grid(&x, 0, 1, 1, 1, 0), std::invalid_argument);
  EXPECT_THROW(image_grid(&x, 1, 1, 1, 0, 0), std::invalid_argument);
  EXPECT_THROW(image_grid(&x, 1, 1, 1, 1, -1), std::invalid_argument);
  EXPECT_THROW(image_grid(&x, 1, 1, 1, 1, 0, 1.0f, 1.0f), std::invalid_argument);
  EXPECT_THROW(image_grid(nullptr, 1, 1, 1, 1, 0), std::invalid_argument);
}

TEST(Grid, ValueMappingRoundsAndClamps) {
  EXPECT_EQ(to_gray(-1.0f), 0);
  EXPECT_EQ(to_gray(1.0f), 255);
  EXPECT_EQ(to_gray(0.0f), 128);  // 127.5 rounds half away from zero
  EXPECT_EQ(to_gray(-3.0f), 0);
  EXPECT_EQ(to_gray(7.0f), 255);
  EXPECT_EQ(to_gray(std::numeric_limits<float>::infinity()), 255);
  EXPECT_EQ(to_gray(-std::numeric_limits<float>::infinity()), 0);
  EXPECT_EQ(to_gray(std::nanf("")), 0);
  EXPECT_EQ(to_gray(0.25f, 0.0f, 1.0f), 64);  // 63.75
  EXPECT_EQ(to_gray(0.1f, 0.0f, 1.0f), 26);   // 25.5
  EXPECT_EQ(to_gray(0.5f, 0.0f, 2.0f), 64);
  // Inverse of the data set's mapping 0..255 -> [-1, 1] (data/idx.h to_unit_range).
  for (int g = 0; g < 256; ++g) EXPECT_EQ(to_gray(level(g)), g);
}

TEST(Grid, UpscaleNearest) {
  GrayImage g{2, 2, {1, 2, 3, 4}};
  upscale_nearest(g, 1);
  EXPECT_EQ(g.pixels, (std::vector<uint8_t>{1, 2, 3, 4}));
  upscale_nearest(g, 3);
  ASSERT_EQ(g.width, 6);
  ASSERT_EQ(g.height, 6);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 6; ++x) EXPECT_EQ(g.pixels[std::size_t(y * 6 + x)], 1 + (y / 3) * 2 + x / 3);
  EXPECT_THROW(upscale_nearest(g, 0), std::invalid_argument);
}

GrayImage sample_grid() {
  std::vector<float> images(10 * 28 * 28);
  for (std::size_t i = 0; i < images.size(); ++i) images[i] = float(std::sin(0.37 * double(i)) * 1.2);
  GrayImage g = image_grid(images.data(), 10, 28, 28, 4, 2);
  upscale_nearest(g, 2);
  return g;
}

TEST_F(Png, RoundTrip) {
  const GrayImage g = sample_grid();
  write_png_gray(path("grid.png"), g);
  const std::string bytes = read_all(path("grid.png"));
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_EQ(bytes.find("tIME"), std::string::npos);
  const GrayImage back = read_png_gray(path("grid.png"));
  EXPECT_EQ(back.width, g.width);
  EXPECT_EQ(back.height, g.height);
  EXPECT_EQ(back.pixels, g.pixels);
}

TEST_F(Png, SameInputGivesIdenticalBytes) {
  const GrayImage g = sample_grid();
  write_png_gray(path("a.png"), g);
  write_png_gray(path("b.png"), g.width, g.height, g.pixels.data());
  const std::string a = read_all(path("a.png"));
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, read_all(path("b.png")));
}

TEST_F(Png, UnwritablePathNamesThePath) {
  const std::string bad = path("missing/dir/grid.png");
  const uint8_t px[4] = {0, 1, 2, 3};
  try {
    write_png_gray(bad, 2, 2, px);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(bad + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  }
  EXPECT_THROW(write_png_gray(path("x.png"), 0, 2, px), std::invalid_argument);
  EXPECT_THROW(write_png_gray(path("x.png"), GrayImage{3, 3, {1, 2}}), std::invalid_argument);
}

TEST_F(Png, ReadErrorsNameThePath) {
  for (const std::string& p : {path("absent.png"), path("text.png")}) {
    if (p == path("text.png")) std::ofstream(p) << "not a png";
    try {
      read_png_gray(p);
      ADD_FAILURE() << "no error for " << p;
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(p + ": ", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace memgan::image
