// A small IDX data set for training tests (train-*-ubyte.gz, as the Debian package lays it
// out): blocky "garments" whose size and brightness vary, deterministic.
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/data/idx.h"

namespace memgan::testing {

inline void write_tiny_fashion(const std::filesystem::path& dir, int count) {
  std::filesystem::create_directories(dir);
  data::ImageSet set;
  set.count = count;
  set.rows = set.cols = 28;
  set.pixels.assign(std::size_t(count) * 784, 0);
  set.labels.assign(std::size_t(count), 0);
  for (int i = 0; i < count; ++i) {
    const int w = 6 + i % 9, h = 8 + (i * 5) % 12, v = 120 + (i * 37) % 136;
    for (int r = 14 - h / 2; r < 14 + h / 2; ++r)
      for (int c = 14 - w / 2; c < 14 + w / 2; ++c) set.pixels[std::size_t(i) * 784 + r * 28 + c] = uint8_t(v);
    set.labels[std::size_t(i)] = uint8_t(i % 10);
  }
  data::write_idx_images((dir / "train-images-idx3-ubyte.gz").string(), set, true);
  data::write_idx_labels((dir / "train-labels-idx1-ubyte.gz").string(), set, true);
}

}  // namespace memgan::testing
