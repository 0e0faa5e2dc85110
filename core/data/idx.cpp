#include "core/data/idx.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

namespace memgan::data {
namespace {

constexpr uint8_t kUnsignedByte = 0x08;

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw DataError(path + ": " + what); }

std::string hex(uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*X", digits, v);
  return buf;
}
std::string hex32(uint32_t v) { return hex(v, 8); }

const char* type_name(uint8_t t) {
  switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

// A file read through zlib: gzip data is inflated, anything else is passed through as is.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path) {
    // open() first so that a missing or unreadable file reports errno, which gzopen may not set.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      fail(path, "not a regular file");
    }
    gz_ = ::gzdopen(fd, "rb");
    if (!gz_) {
      ::close(fd);
      fail(path, "cannot start zlib (out of memory)");
    }
  }
  ~GzReader() { ::gzclose(gz_); }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Up to n bytes; fewer only at the end of the data. A broken stream throws.
  std::size_t read(void* buf, std::size_t n) {
    auto* p = static_cast<unsigned char*>(buf);
    std::size_t got = 0;
    while (got < n) {
      const unsigned chunk = unsigned(std::min<std::size_t>(n - got, 1u << 30));  // gzread takes an unsigned
      const int r = ::gzread(gz_, p + got, chunk);
      if (r < 0) stream_error();
      if (r == 0) break;
      got += std::size_t(r);
    }
    return got;
  }

  // Exactly n bytes of `what`, or a truncation error.
  void read_exact(void* buf, std::size_t n, const char* what) {
    const std::size_t got = read(buf, n);
    if (got < n) truncated(n, got, what);
  }

  [[noreturn]] void truncated(std::size_t expected, std::size_t got, const char* what) {
    int errnum = Z_OK;
    ::gzerror(gz_, &errnum);
    // Z_BUF_ERROR: the gzip stream itself stops early, as opposed to a complete but short file.
    fail(path_, "truncated: expected " + std::to_string(expected) + " bytes of " + what + ", got " +
                    std::to_string(got) + (errnum == Z_BUF_ERROR ? " (the gzip stream is cut off)" : ""));
  }

  [[noreturn]] void stream_error() {
    int errnum = Z_OK;
    const char* msg = ::gzerror(gz_, &errnum);
    if (errnum == Z_ERRNO) fail(path_, std::string("read error: ") + std::strerror(errno));
    fail(path_, std::string("corrupt gzip stream: ") + (msg && *msg ? msg : "unknown zlib error"));
  }

 private:
  std::string path_;
  gzFile gz_ = nullptr;
};

struct Idx {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;
};

// An unsigned-byte IDX file of `ndims` dimensions; `what` names the contents in messages.
Idx read_idx(const std::string& path, int ndims, const char* what) {
  GzReader in(path);
  unsigned char magic_bytes[4];
  const std::size_t got = in.read(magic_bytes, 4);
  if (got == 0) fail(path, "empty file, not an IDX file");
  if (got < 4) in.truncated(4, got, "IDX magic");
  const uint32_t magic = uint32_t(magic_bytes[0]) << 24 | uint32_t(magic_bytes[1]) << 16 |
                         uint32_t(magic_bytes[2]) << 8 | magic_bytes[3];
  const uint32_t expected_magic = uint32_t(kUnsignedByte) << 8 | uint32_t(ndims);
  if (magic_bytes[0] != 0 || magic_bytes[1] != 0)
    fail(path, "bad magic " + hex32(magic) + ", expected " + hex32(expected_magic) + " (IDX " + what +
                   "); not an IDX file");
  if (magic_bytes[2] != kUnsignedByte)
    fail(path, "unsupported element type " + hex(magic_bytes[2], 2) + " (" + type_name(magic_bytes[2]) +
                   ") in magic " + hex32(magic) + "; only unsigned bytes (0x08) are supported");
  if (magic_bytes[3] != ndims) {
    std::string hint;
    if (magic_bytes[3] == 1) hint = ": is it a labels file?";
    if (magic_bytes[3] == 3) hint = ": is it an images file?";
    fail(path, "wrong dimension count " + std::to_string(magic_bytes[3]) + " (magic " + hex32(magic) +
                   "), expected " + std::to_string(ndims) + " for " + what + hint);
  }

  Idx idx;
  idx.dims.resize(std::size_t(ndims));
  uint64_t total = 1;
  for (int d = 0; d < ndims; ++d) {
    unsigned char b[4];
    in.read_exact(b, 4, "dimension sizes");
    const uint32_t v = uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
    if (v > uint32_t(std::numeric_limits<int>::max()))
      fail(path, "dimension " + std::to_string(d) + " is " + std::to_string(v) + ", larger than supported");
    if (d > 0 && v == 0) fail(path, "dimension " + std::to_string(d) + " is 0: images must have rows and columns");
    idx.dims[std::size_t(d)] = v;
    // Each factor < 2^31: the product overflows only past 2^62, far beyond any real set.
    if (v != 0 && total > (uint64_t(1) << 62) / v) fail(path, "dimensions declare an impossibly large data set");
    total *= v;
  }

  // Grow while reading, so a corrupt header declaring a huge set fails as truncated instead of
  // allocating its size up front.
  constexpr std::size_t kChunk = std::size_t(16) << 20;
  std::size_t have = 0;
  while (have < total) {
    const std::size_t want = std::min<std::size_t>(std::size_t(total) - have, kChunk);
    idx.data.resize(have + want);
    const std::size_t got_now = in.read(idx.data.data() + have, want);
    have += got_now;
    if (got_now < want) in.truncated(std::size_t(total), have, what);
  }
  // Reading past the end also makes zlib check the gzip trailer's CRC and length.
  unsigned char extra;
  if (in.read(&extra, 1) != 0)
    fail(path, "unexpected bytes after the " + std::to_string(total) + " bytes of " + what +
                   " that the header declares");
  return idx;
}

std::string pick(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path gz = fs::path(dir) / (name + ".gz"), raw = fs::path(dir) / name;
  std::error_code ec;
  if (!fs::exists(gz, ec) && fs::exists(raw, ec)) return raw.string();
  return gz.string();
}

class GzWriter {
 public:
  GzWriter(const std::string& path, bool gzip) : path_(path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(path, std::string("cannot create: ") + std::strerror(errno));
    // "T": zlib's transparent mode, a raw file through the same code path. No name or time
    // goes into the gzip header, so the bytes depend on the contents only.
    gz_ = ::gzdopen(fd, gzip ? "wb" : "wbT");
    if (!gz_) {
      ::close(fd);
      fail(path, "cannot start zlib (out of memory)");
    }
  }
  ~GzWriter() {
    if (gz_) ::gzclose(gz_);
  }
  GzWriter(const GzWriter&) = delete;
  GzWriter& operator=(const GzWriter&) = delete;

  void write(const void* data, std::size_t n) {
    auto* p = static_cast<const unsigned char*>(data);
    while (n > 0) {
      const unsigned chunk = unsigned(std::min<std::size_t>(n, 1u << 30));
      if (::gzwrite(gz_, p, chunk) != int(chunk)) {
        int errnum = Z_OK;
        const char* msg = ::gzerror(gz_, &errnum);
        fail(path_, std::string("write error: ") + (errnum == Z_ERRNO ? std::strerror(errno) : msg));
      }
      p += chunk;
      n -= chunk;
    }
  }
  void close() {
    const int rc = ::gzclose(gz_);
    gz_ = nullptr;
    if (rc != Z_OK)
      fail(path_, std::string("write error on close: ") + (rc == Z_ERRNO ? std::strerror(errno) : "zlib error"));
  }

 private:
  std::string path_;
  gzFile gz_ = nullptr;
};

void write_idx(const std::string& path, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data,
               bool gzip) {
  std::vector<unsigned char> header{0, 0, kUnsignedByte, static_cast<unsigned char>(dims.size())};
  for (const uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) header.push_back(static_cast<unsigned char>(d >> s));
  GzWriter out(path, gzip);
  out.write(header.data(), header.size());
  out.write(data.data(), data.size());
  out.close();
}

}  // namespace

ImageSet load_idx_images(const std::string& images_path, const std::string& labels_path) {
  Idx images = read_idx(images_path, 3, "images");
  ImageSet set;
  set.count = int(images.dims[0]);
  set.rows = int(images.dims[1]);
  set.cols = int(images.dims[2]);
  set.pixels = std::move(images.data);
  if (!labels_path.empty()) {
    Idx labels = read_idx(labels_path, 1, "labels");
    if (labels.dims[0] != images.dims[0])
      fail(labels_path, "image/label count mismatch: " + std::to_string(labels.dims[0]) + " labels, but " +
                            images_path + " has " + std::to_string(images.dims[0]) + " images");
    set.labels = std::move(labels.data);
  }
  return set;
}

ImageSet load_fashion_mnist(const std::string& dir, bool train) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw DataError(dir + ": Fashion-MNIST directory not found; install the Debian package dataset-fashion-mnist "
                          "(apt-get install dataset-fashion-mnist) or name the directory that holds "
                          "train-images-idx3-ubyte.gz and the other three files");
  const std::string prefix = train ? "train" : "t10k";
  return load_idx_images(pick(dir, prefix + "-images-idx3-ubyte"), pick(dir, prefix + "-labels-idx1-ubyte"));
}

std::vector<float> to_unit_range(const ImageSet& set, int first, int count) {
  if (first < 0 || count < 0 || int64_t(first) + count > set.count)
    throw std::out_of_range("to_unit_range: images " + std::to_string(first) + ".." +
                            std::to_string(int64_t(first) + count - 1) + " are outside a set of " +
                            std::to_string(set.count));
  const std::size_t per = std::size_t(set.rows) * std::size_t(set.cols);
  std::vector<float> out(per * std::size_t(count));
  const uint8_t* src = set.pixels.data() + per * std::size_t(first);
  // (2p - 255) / 255: exact at both ends (0 -> -1, 255 -> 1), one rounding in between.
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = float((2.0 * src[i] - 255.0) / 255.0);
  return out;
}

void write_idx_images(const std::string& path, const ImageSet& set, bool gzip) {
  if (set.count < 0 || set.rows < 1 || set.cols < 1 ||
      set.pixels.size() != std::size_t(set.count) * std::size_t(set.rows) * std::size_t(set.cols))
    throw std::invalid_argument(path + ": inconsistent image set: " + std::to_string(set.count) + " x " +
                                std::to_string(set.rows) + " x " + std::to_string(set.cols) + " with " +
                                std::to_string(set.pixels.size()) + " pixels");
  write_idx(path, {uint32_t(set.count), uint32_t(set.rows), uint32_t(set.cols)}, set.pixels, gzip);
}

void write_idx_labels(const std::string& path, const ImageSet& set, bool gzip) {
  if (set.count < 0 || set.labels.size() != std::size_t(set.count))
    throw std::invalid_argument(path + ": inconsistent image set: " + std::to_string(set.count) + " images with " +
                                std::to_string(set.labels.size()) + " labels");
  write_idx(path, {uint32_t(set.count)}, set.labels, gzip);
}

}  // namespace memgan::data
