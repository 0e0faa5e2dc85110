#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>

#include "core/nn/npy.h"

namespace memgan::nn {
namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "memgan_npy_" + name + ".npy"; }

// A .npy file with a hand-written header: magic, version, length, header (padded), payload.
void write_raw(const std::string& path, int major, std::string header, const std::string& payload,
               const std::string& magic = "\x93NUMPY") {
  const std::size_t pre = major == 1 ? 10 : 12;
  header.append((64 - (pre + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out = magic;
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < pre - 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  out += header + payload;
  std::ofstream(path, std::ios::binary) << out;
}

template <typename T>
std::string bytes_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

void expect_error(const std::string& path, const std::string& fragment, const std::vector<int>* shape = nullptr) {
  try {
    if (shape) read_npy(path, *shape);
    else read_npy(path);
    FAIL() << "no error for " << fragment;
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path, 0), 0u) << msg;  // starts with the path
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  }
}

TEST(Npy, RoundTripKeepsShapeAndBits) {
  for (const std::vector<int>& shape : {std::vector<int>{}, {5}, {2, 3}, {2, 1, 3, 4}, {0, 3}}) {
    Tensor t(shape);
    for (std::size_t i = 0; i < t.data.size(); ++i) t.data[i] = 0.5f * float(i) - 3.25f + 1e-7f * float(i * i);
    const std::string path = temp_path("roundtrip");
    write_npy(path, t);
    const Tensor back = read_npy(path, shape);
    EXPECT_EQ(back.shape, shape);
    EXPECT_EQ(back.data, t.data);  // (memcmp of an empty tensor's null data() is undefined)
    if (!t.data.empty()) {
      EXPECT_EQ(std::memcmp(back.data.data(), t.data.data(), t.data.size() * 4), 0) << "bits";
    }
    std::ifstream f(path, std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ((all.size() - t.data.size() * 4) % 64, 0u);  // header padded to 64 bytes
    EXPECT_EQ(all.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  }
}

TEST(Npy, ReadsFloat64AndVersion2) {
  const std::string path = temp_path("f8");
  write_raw(path, 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
            bytes_of(std::vector<double>{1.5, -2.25, 1e30}));
  const Tensor t = read_npy(path);
  EXPECT_EQ(t.shape, std::vector<int>{3});
  EXPECT_EQ(t.data, (std::vector<float>{1.5f, -2.25f, 1e30f}));

  write_raw(path, 1, "{\"shape\": (2, 2), \"fortran_order\": False, \"descr\": \"<f4\"}",
            bytes_of(std::vector<float>{1, 2, 3, 4}));  // keys in any order, double quotes
  EXPECT_EQ(read_npy(path).shape, (std::vector<int>{2, 2}));
}

TEST(Npy, ErrorsNameThePathAndTheProblem) {
  const std::string path = temp_path("bad");
  const std::string four_floats = bytes_of(std::vector<float>{1, 2, 3, 4});
  const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";

  write_raw(path, 1, good, four_floats, "\x93NUMPX");
  expect_error(path, "wrong magic");
  write_raw(path, 3, good, four_floats);
  expect_error(path, "unsupported .npy format version 3.0");
  write_raw(path, 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", four_floats);
  expect_error(path, "unsupported dtype '<i4'");
  write_raw(path, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", four_floats);
  expect_error(path, "big-endian");
  write_raw(path, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four_floats);
  expect_error(path, "Fortran-order");
  write_raw(path, 1, good, four_floats.substr(0, 10));
  expect_error(path, "truncated data: shape 2x2 needs 16 bytes, the file has 10");
  write_raw(path, 1, good, four_floats + "xy");
  expect_error(path, "2 trailing bytes");
  write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False}", four_floats);
  expect_error(path, "no 'shape'");
  write_raw(path, 1, good, four_floats);
  const std::vector<int> want{4};
  expect_error(path, "shape 2x2 does not match the expected 4", &want);
  expect_error(temp_path("missing"), "cannot open");
}

}  // namespace
}  // namespace memgan::nn
