// fuzz_idx: the IDX reader (core/data/idx.h), raw and gzip. It only reads files: each input is
// written to files in the scratch folder first.
//
// Input: byte 0 = flags (bit 0: a labels file too; bit 1: gzip the images file, bit 2: gzip
// the labels file, bit 3: go through load_fashion_mnist), bytes 1-2 = little-endian length
// of the images file, then the images file, then the labels file.
//
// Checks: loading returns a consistent set or throws DataError whose message starts with a
// path; an accepted set maps to [-1, 1] and writes and reads back unchanged.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/data/idx.h"
#include "fuzz/fuzz_util.h"

namespace {

namespace data = memgan::data;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_idx: %s\n", what.c_str());
  std::abort();
}

void write_maybe_gzip(const std::string& path, const uint8_t* p, size_t n, bool gzip) {
  if (!gzip) {
    memgan::fuzz::write_file(path, p, n);
    return;
  }
  gzFile gz = gzopen(path.c_str(), "wb");
  if (!gz) fail("cannot write " + path);
  if (n > 0 && gzwrite(gz, p, unsigned(n)) != int(n)) fail("gzwrite failed");
  gzclose(gz);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* in, size_t size) {
  if (size < 3) return -1;
  const auto& root = memgan::fuzz::scratch_dir("idx");
  const uint8_t flags = in[0];
  const size_t declared = size_t(in[1]) | size_t(in[2]) << 8;
  const uint8_t* body = in + 3;
  const size_t rest = size - 3;
  const size_t image_bytes = std::min(declared, rest);
  const bool labels = flags & 1, fashion = flags & 8;
  const std::string dir = (root / (fashion ? "fashion" : "plain")).string();
  std::filesystem::create_directories(dir);
  const std::string gz_images = dir + "/train-images-idx3-ubyte.gz", raw_images = dir + "/train-images-idx3-ubyte";
  const std::string gz_labels = dir + "/train-labels-idx1-ubyte.gz", raw_labels = dir + "/train-labels-idx1-ubyte";
  for (const auto& f : {gz_images, raw_images, gz_labels, raw_labels}) std::filesystem::remove(f);
  // load_fashion_mnist takes the .gz file when there is one, else the raw one.
  const std::string images_path = (flags & 2) ? gz_images : raw_images;
  const std::string labels_path = (flags & 4) ? gz_labels : raw_labels;
  write_maybe_gzip(images_path, body, image_bytes, flags & 2);
  if (labels || fashion) write_maybe_gzip(labels_path, body + image_bytes, rest - image_bytes, flags & 4);

  data::ImageSet set;
  try {
    set = fashion ? data::load_fashion_mnist(dir, true) : data::load_idx_images(images_path, labels ? labels_path : "");
  } catch (const data::DataError& e) {
    const std::string msg = e.what();
    if (msg.rfind(images_path + ": ", 0) != 0 && msg.rfind(labels_path + ": ", 0) != 0)
      fail("message without the path: " + msg);
    return 0;
  }
  if (set.count < 0 || set.rows < 1 || set.cols < 1) fail("accepted set with a bad shape");
  if (set.pixels.size() != size_t(set.count) * size_t(set.rows) * size_t(set.cols)) fail("pixel count mismatch");
  if ((labels || fashion) && set.labels.size() != size_t(set.count)) fail("label count mismatch");
  // A bounded slice through to_unit_range, and out-of-range requests rejected.
  const int take = std::min(set.count, 4);
  const std::vector<float> unit = data::to_unit_range(set, 0, take);
  if (unit.size() != size_t(take) * size_t(set.rows) * size_t(set.cols)) fail("to_unit_range size");
  for (float v : unit)
    if (!(v >= -1.0f && v <= 1.0f)) fail("to_unit_range out of [-1, 1]");
  try {
    (void)data::to_unit_range(set, set.count, 1);
    fail("to_unit_range past the end accepted");
  } catch (const std::out_of_range&) {
  }
  // Round trip.
  const std::string out_images = (root / "again-images").string(), out_labels = (root / "again-labels").string();
  data::write_idx_images(out_images, set, flags & 16);
  if (!set.labels.empty()) data::write_idx_labels(out_labels, set, flags & 32);
  const data::ImageSet back = data::load_idx_images(out_images, set.labels.empty() ? "" : out_labels);
  if (back.count != set.count || back.rows != set.rows || back.cols != set.cols || back.pixels != set.pixels ||
      back.labels != set.labels)
    fail("write/read round trip changed the set");
  return 0;
}
