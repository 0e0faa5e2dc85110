// IDX files, the format of MNIST and Fashion-MNIST: a big-endian magic 0x0000TTNN (TT the
// element type, NN the number of dimensions), NN big-endian u32 dimensions, then the elements
// row-major. Only unsigned bytes (TT = 0x08) are supported: labels are 0x00000801 (count),
// images 0x00000803 (count x rows x cols).
//
// Files are read through zlib, which reads gzip-compressed and raw files alike. Every problem
// throws DataError whose message starts with the path and says what is wrong.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace memgan::data {

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ImageSet {
  int count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count x rows x cols, row-major; 0 = background
  std::vector<uint8_t> labels;  // count entries, or empty when loaded without labels
};

// Where the Debian package dataset-fashion-mnist installs the four .gz files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// labels_path may be empty: the set then has no labels. Otherwise the two files must hold the
// same number of items.
ImageSet load_idx_images(const std::string& images_path, const std::string& labels_path);

// train-images-idx3-ubyte.gz + train-labels-idx1-ubyte.gz (train) or the t10k-* pair (test)
// from `dir`; an unpacked file of the same name without .gz is used when the .gz is absent.
ImageSet load_fashion_mnist(const std::string& dir = kFashionMnistDir, bool train = true);

// Images first..first+count-1 as count x 1 x rows x cols floats, 0..255 mapped linearly onto
// [-1, 1] (the range of a tanh generator). Throws std::out_of_range for a range outside the set.
std::vector<float> to_unit_range(const ImageSet& set, int first, int count);

// Writers for tests and small generated sets; gzip = false writes a raw IDX file. Throw
// std::invalid_argument for an inconsistent set and DataError when the file cannot be written.
void write_idx_images(const std::string& path, const ImageSet& set, bool gzip);
void write_idx_labels(const std::string& path, const ImageSet& set, bool gzip);

}  // namespace memgan::data
