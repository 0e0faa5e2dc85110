#include "core/nn/npy.h"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>

namespace memgan::nn {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, ".npy I/O copies little-endian bytes as they are");

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// Value text of `key` in the header's Python dict literal, up to the next top-level ',' or '}'.
std::string dict_value(const std::string& path, const std::string& header, const std::string& key) {
  std::size_t at = std::string::npos;
  for (const char q : {'\'', '"'}) {
    at = header.find(std::string(1, q) + key + q);
    if (at != std::string::npos) break;
  }
  if (at == std::string::npos) fail(path, "malformed .npy header: no '" + key + "' in " + header);
  std::size_t colon = header.find(':', at + key.size() + 2);
  if (colon == std::string::npos) fail(path, "malformed .npy header: no value for '" + key + "'");
  std::size_t i = colon + 1, end = i;
  int depth = 0;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
    if (depth < 0) fail(path, "malformed .npy header: unbalanced parentheses");
  }
  std::string v = header.substr(i, end - i);
  const auto first = v.find_first_not_of(" \t");
  const auto last = v.find_last_not_of(" \t");
  return first == std::string::npos ? "" : v.substr(first, last - first + 1);
}

std::vector<int> parse_shape(const std::string& path, const std::string& text) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')')
    fail(path, "malformed .npy header: shape '" + text + "' is not a tuple");
  std::vector<int> shape;
  std::size_t i = 1;
  while (i + 1 < text.size()) {
    while (i + 1 < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    if (i + 1 >= text.size()) break;
    if (!std::isdigit(static_cast<unsigned char>(text[i])))
      fail(path, "malformed .npy header: bad shape '" + text + "'");
    long long d = 0;
    while (i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      d = d * 10 + (text[i] - '0');
      if (d > std::numeric_limits<int>::max()) fail(path, "shape dimension too large in '" + text + "'");
      ++i;
    }
    if (i + 1 < text.size() && text[i] == 'L') ++i;  // Python 2 long suffix
    shape.push_back(static_cast<int>(d));
  }
  return shape;
}

// The element count of a parsed shape (0 when a dimension is 0). Fails where the product of
// the non-zero dimensions exceeds int64_t, which element_count() and Tensor assume: a hostile
// header such as shape (2147483647, 2147483647, 2147483647) would overflow it.
std::size_t checked_count(const std::string& path, const std::vector<int>& shape) {
  uint64_t product = 1;
  bool empty = false;
  for (const int d : shape) {
    if (d == 0) {
      empty = true;
      continue;
    }
    if (product > uint64_t(std::numeric_limits<int64_t>::max()) / uint64_t(d))
      fail(path, "malformed .npy header: shape " + shape_string(shape) + " has too many elements");
    product *= uint64_t(d);
  }
  return empty ? 0 : std::size_t(product);
}

std::string header_text(const Tensor& t) {
  std::string shape = "(";
  for (std::size_t i = 0; i < t.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(t.shape[i]);
  if (t.shape.size() == 1) shape += ",";
  shape += ")";
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
}

}  // namespace

Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open the file");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < kMagicLen + 4 || std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
    fail(path, "not a .npy file (wrong magic; expected \\x93NUMPY)");
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if ((major != 1 && major != 2) || minor != 0)
    fail(path, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (1.0 and 2.0 are)");
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_bytes) fail(path, "truncated .npy header");
  std::size_t header_len = 0;
  for (std::size_t i = 0; i < len_bytes; ++i)
    header_len |= std::size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const std::size_t data_at = 8 + len_bytes + header_len;
  if (bytes.size() < data_at) fail(path, "truncated .npy header");
  const std::string header = bytes.substr(8 + len_bytes, header_len);

  const std::string descr = dict_value(path, header, "descr");
  const std::string fortran = dict_value(path, header, "fortran_order");
  const std::vector<int> shape = parse_shape(path, dict_value(path, header, "shape"));
  std::size_t item = 0;
  if (descr == "'<f4'" || descr == "\"<f4\"") item = 4;
  else if (descr == "'<f8'" || descr == "\"<f8\"") item = 8;
  else if (descr.size() > 1 && descr[1] == '>')
    fail(path, "unsupported dtype " + descr + ": big-endian data (need little-endian '<f4' or '<f8')");
  else
    fail(path, "unsupported dtype " + descr + " (need '<f4' float32 or '<f8' float64)");
  if (fortran == "True") fail(path, "Fortran-order arrays are not supported (save with C order)");
  if (fortran != "False") fail(path, "malformed .npy header: fortran_order is '" + fortran + "'");

  const std::size_t count = checked_count(path, shape);
  const std::size_t have = bytes.size() - data_at;
  if (count > have / item)
    fail(path, "truncated data: shape " + shape_string(shape) + " needs " +
                   (count > std::numeric_limits<std::size_t>::max() / item ? std::string("more than 2^64")
                                                                            : std::to_string(count * item)) +
                   " bytes, the file has " + std::to_string(have));
  if (have > count * item)
    fail(path, std::to_string(have - count * item) + " trailing bytes after the data of shape " +
                   shape_string(shape));
  Tensor t(shape);
  const char* src = bytes.data() + data_at;
  if (item == 4) {
    if (count > 0) std::memcpy(t.data.data(), src, count * 4);  // an empty tensor's data() may be null
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      double v;
      std::memcpy(&v, src + 8 * i, 8);
      t.data[i] = static_cast<float>(v);
    }
  }
  return t;
}

Tensor read_npy(const std::string& path, const std::vector<int>& expected_shape) {
  Tensor t = read_npy(path);
  if (t.shape != expected_shape)
    fail(path, "shape " + shape_string(t.shape) + " does not match the expected " + shape_string(expected_shape));
  return t;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  if (element_count(tensor.shape) != tensor.size())
    fail(path, "tensor shape " + shape_string(tensor.shape) + " does not match its " +
                   std::to_string(tensor.size()) + " elements");
  std::string header = header_text(tensor);
  // Preamble (magic, version, length, header, '\n') padded with spaces to a multiple of 64.
  const bool v2 = header.size() + 1 + 10 > 65535;
  const std::size_t pre = v2 ? 12 : 10;
  const std::size_t total = (pre + header.size() + 1 + 63) / 64 * 64;
  header.append(total - pre - header.size() - 1, ' ');
  header += '\n';
  std::string out(kMagic, kMagicLen);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  for (std::size_t i = 0; i < pre - 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  out += header;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) fail(path, "cannot open the file for writing");
  f.write(out.data(), static_cast<std::streamsize>(out.size()));
  f.write(reinterpret_cast<const char*>(tensor.data.data()), static_cast<std::streamsize>(tensor.data.size() * 4));
  if (!f) fail(path, "write failed");
}

}  // namespace memgan::nn
