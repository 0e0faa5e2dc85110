// IDX reader and writer: round trips through gzip and raw files, one test per kind of broken
// file (each message must name the path and the problem), the [-1, 1] mapping, and the real
// Fashion-MNIST files when the Debian package is installed.
#include <gtest/gtest.h>

#include "tests/temp_dir_test.h"
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/data/idx.h"

namespace memgan::data {
namespace {

namespace fs = std::filesystem;

class Idx : public memgan::testing::TempDirTest {
 protected:
  Idx() : TempDirTest("memgan_data_test") {}
};

// count x rows x cols images with every byte value in use, labels cycling through 0..9.
ImageSet make_set(int count, int rows, int cols) {
  ImageSet s;
  s.count = count;
  s.rows = rows;
  s.cols = cols;
  s.pixels.resize(std::size_t(count) * rows * cols);
  uint32_t x = 12345;  // small LCG: varied, hardly compressible, the same every run
  for (auto& p : s.pixels) {
    x = x * 1103515245u + 12345u;
    p = uint8_t(x >> 23);
  }
  for (int i = 0; i < count; ++i) s.labels.push_back(uint8_t(i % 10));
  return s;
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// load_idx_images must throw DataError whose message names `path` and contains every fragment.
void expect_error(const std::string& images, const std::string& labels, const std::string& path,
                  std::initializer_list<std::string> fragments) {
  try {
    load_idx_images(images, labels);
    ADD_FAILURE() << "no error; expected " << *fragments.begin();
  } catch (const DataError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
  }
}

TEST_F(Idx, RoundTripGzipAndRaw) {
  const ImageSet s = make_set(7, 3, 5);
  for (const bool gzip : {true, false}) {
    const std::string img = path(gzip ? "img.gz" : "img"), lab = path(gzip ? "lab.gz" : "lab");
    write_idx_images(img, s, gzip);
    write_idx_labels(lab, s, gzip);
    const ImageSet back = load_idx_images(img, lab);
    EXPECT_EQ(back.count, 7);
    EXPECT_EQ(back.rows, 3);
    EXPECT_EQ(back.cols, 5);
    EXPECT_EQ(back.pixels, s.pixels);
    EXPECT_EQ(back.labels, s.labels);
    const std::string bytes = read_all(img);
    if (gzip) {
      EXPECT_EQ(bytes.substr(0, 2), "\x1f\x8b");
    } else {
      EXPECT_EQ(bytes.size(), 16u + s.pixels.size());
      EXPECT_EQ(bytes.substr(0, 16), std::string("\0\0\x08\x03\0\0\0\x07\0\0\0\x03\0\0\0\x05", 16));
    }
  }
}

TEST_F(Idx, GzipOutputIsDeterministic) {
  const ImageSet s = make_set(4, 6, 6);
  write_idx_images(path("a.gz"), s, true);
  write_idx_images(path("b.gz"), s, true);
  EXPECT_EQ(read_all(path("a.gz")), read_all(path("b.gz")));
}

TEST_F(Idx, LabelsAreOptional) {
  const ImageSet s = make_set(3, 2, 2);
  write_idx_images(path("img"), s, false);
  const ImageSet back = load_idx_images(path("img"), "");
  EXPECT_EQ(back.count, 3);
  EXPECT_TRUE(back.labels.empty());
}

TEST_F(Idx, MissingFile) {
  expect_error(path("nope.gz"), "", path("nope.gz"), {"cannot open", "No such file or directory"});
  const ImageSet s = make_set(2, 2, 2);
  write_idx_images(path("img"), s, false);
  expect_error(path("img"), path("nolabels.gz"), path("nolabels.gz"), {"No such file or directory"});
}

TEST_F(Idx, DirectoryIsNotAFile) { expect_error(dir_.string(), "", dir_.string(), {"not a regular file"}); }

TEST_F(Idx, EmptyFile) {
  write_all(path("empty"), "");
  expect_error(path("empty"), "", path("empty"), {"empty file"});
}

TEST_F(Idx, BadMagic) {
  write_idx_images(path("img"), make_set(2, 2, 2), false);
  std::string bytes = read_all(path("img"));
  bytes[0] = '\x12';
  bytes[1] = '\x34';
  write_all(path("img"), bytes);
  expect_error(path("img"), "", path("img"), {"bad magic 0x12340803", "expected 0x00000803"});
}

TEST_F(Idx, UnsupportedElementType) {
  write_idx_images(path("img"), make_set(2, 2, 2), false);
  std::string bytes = read_all(path("img"));
  bytes[2] = '\x0D';
  write_all(path("img"), bytes);
  expect_error(path("img"), "", path("img"), {"unsupported element type 0x0D (float32)", "0x00000D03"});
}

TEST_F(Idx, WrongDimensionCount) {
  const ImageSet s = make_set(2, 2, 2);
  write_idx_labels(path("lab"), s, false);
  write_idx_images(path("img"), s, false);
  // The two files swapped: each reader names the one it got and what it expected.
  expect_error(path("lab"), "", path("lab"), {"wrong dimension count 1", "expected 3", "labels file"});
  expect_error(path("img"), path("img"), path("img"), {"wrong dimension count 3", "expected 1", "images file"});
}

TEST_F(Idx, TruncatedRawFile) {
  write_idx_images(path("img"), make_set(5, 3, 4), false);
  const std::string bytes = read_all(path("img"));
  write_all(path("img"), bytes.substr(0, bytes.size() - 5));
  expect_error(path("img"), "", path("img"), {"truncated", "expected 60 bytes of images, got 55"});
  write_all(path("img"), bytes.substr(0, 10));  // inside the dimension sizes
  expect_error(path("img"), "", path("img"), {"truncated", "expected 4 bytes of dimension sizes, got 2"});
}

TEST_F(Idx, TruncatedGzipFile) {
  write_idx_images(path("img.gz"), make_set(200, 28, 28), true);
  const std::string bytes = read_all(path("img.gz"));
  write_all(path("img.gz"), bytes.substr(0, bytes.size() / 2));
  expect_error(path("img.gz"), "", path("img.gz"),
               {"truncated", "expected 156800 bytes of images", "gzip stream is cut off"});
}

TEST_F(Idx, TrailingBytes) {
  write_idx_images(path("img"), make_set(2, 2, 2), false);
  write_all(path("img"), read_all(path("img")) + "x");
  expect_error(path("img"), "", path("img"), {"unexpected bytes after the 8 bytes of images"});
}

TEST_F(Idx, GarbageInGzipStream) {
  // A gzip header (no name, no time) followed by bytes that are no deflate stream: 0xFF starts
  // a block of the reserved type 3.
  std::string bytes("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  bytes += std::string(64, '\xff');
  write_all(path("img.gz"), bytes);
  expect_error(path("img.gz"), "", path("img.gz"), {"corrupt gzip stream", "invalid block type"});
}

TEST_F(Idx, GzipChecksumMismatch) {
  write_idx_images(path("img.gz"), make_set(3, 4, 4), true);
  std::string bytes = read_all(path("img.gz"));
  bytes[bytes.size() - 8] = char(bytes[bytes.size() - 8] ^ 0x55);  // the trailer's CRC-32
  write_all(path("img.gz"), bytes);
  expect_error(path("img.gz"), "", path("img.gz"), {"corrupt gzip stream", "incorrect data check"});
}

TEST_F(Idx, ImageLabelCountMismatch) {
  ImageSet s = make_set(5, 2, 2);
  write_idx_images(path("img.gz"), s, true);
  s.count = 4;
  s.labels.resize(4);
  write_idx_labels(path("lab.gz"), s, true);
  expect_error(path("img.gz"), path("lab.gz"), path("lab.gz"),
               {"image/label count mismatch", "4 labels", path("img.gz") + " has 5 images"});
}

TEST_F(Idx, WriterErrors) {
  const ImageSet s = make_set(2, 2, 2);
  const std::string bad = path("no/such/dir/img.gz");
  try {
    write_idx_images(bad, s, true);
    ADD_FAILURE() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(bad + ": cannot create: No such file or directory"), std::string::npos)
        << e.what();
  }
  ImageSet inconsistent = s;
  inconsistent.pixels.pop_back();
  EXPECT_THROW(write_idx_images(path("img"), inconsistent, false), std::invalid_argument);
  inconsistent = s;
  inconsistent.labels.clear();
  EXPECT_THROW(write_idx_labels(path("lab"), inconsistent, false), std::invalid_argument);
}

TEST_F(Idx, FashionMnistLayout) {
  const ImageSet train = make_set(6, 28, 28), test = make_set(3, 28, 28);
  write_idx_images(path("train-images-idx3-ubyte.gz"), train, true);
  write_idx_labels(path("train-labels-idx1-ubyte.gz"), train, true);
  // The test pair unpacked, as after gunzip: found without the .gz.
  write_idx_images(path("t10k-images-idx3-ubyte"), test, false);
  write_idx_labels(path("t10k-labels-idx1-ubyte"), test, false);
  EXPECT_EQ(load_fashion_mnist(dir_.string(), true).pixels, train.pixels);
  EXPECT_EQ(load_fashion_mnist(dir_.string(), false).labels, test.labels);
}

TEST_F(Idx, FashionMnistDirectoryMissing) {
  const std::string missing = path("not-there");
  try {
    load_fashion_mnist(missing, true);
    ADD_FAILURE() << "no error";
  } catch (const DataError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(missing, 0), 0u) << msg;
    EXPECT_NE(msg.find("install the Debian package dataset-fashion-mnist"), std::string::npos) << msg;
  }
}

TEST_F(Idx, ToUnitRange) {
  ImageSet s;
  s.count = 2;
  s.rows = 1;
  s.cols = 4;
  s.pixels = {9, 9, 9, 9, 0, 255, 128, 127};
  const std::vector<float> v = to_unit_range(s, 1, 1);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], -1.0f);
  EXPECT_EQ(v[1], 1.0f);
  EXPECT_EQ(v[2], float(1.0 / 255.0));  // 128 sits half a step above the middle
  EXPECT_EQ(v[3], float(-1.0 / 255.0));
  EXPECT_EQ(to_unit_range(s, 0, 2).size(), 8u);
  EXPECT_TRUE(to_unit_range(s, 2, 0).empty());
  EXPECT_THROW(to_unit_range(s, 1, 2), std::out_of_range);
  EXPECT_THROW(to_unit_range(s, -1, 1), std::out_of_range);
}

TEST(FashionMnist, RealDataFromDebianPackage) {
  if (!fs::is_directory(kFashionMnistDir))
    GTEST_SKIP() << kFashionMnistDir << " absent (Debian package dataset-fashion-mnist)";
  for (const bool train : {true, false}) {
    const ImageSet s = load_fashion_mnist(kFashionMnistDir, train);
    EXPECT_EQ(s.count, train ? 60000 : 10000);
    EXPECT_EQ(s.rows, 28);
    EXPECT_EQ(s.cols, 28);
    ASSERT_EQ(s.labels.size(), std::size_t(s.count));
    std::array<int, 10> per_class{};
    for (const uint8_t l : s.labels) {
      ASSERT_LT(l, 10);
      ++per_class[l];
    }
    for (const int n : per_class) EXPECT_EQ(n, s.count / 10);  // the classes are balanced
  }
}

}  // namespace
}  // namespace memgan::data
