// fuzz_npy: the .npy reader (core/nn/npy.h). It only reads files: each input is written to a
// file in the scratch folder first.
//
// Checks: read_npy returns a tensor or throws std::runtime_error whose message starts with
// the path; an accepted tensor's element count matches its shape, and write_npy then
// read_npy gives it back bit for bit.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/nn/npy.h"
#include "fuzz/fuzz_util.h"

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_npy: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& dir = memgan::fuzz::scratch_dir("npy");
  const std::string path = (dir / "input.npy").string();
  memgan::fuzz::write_file(path, data, size);
  memgan::nn::Tensor t;
  try {
    t = memgan::nn::read_npy(path);
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).rfind(path + ": ", 0) != 0) fail(std::string("message without the path: ") + e.what());
    return 0;
  }
  if (memgan::nn::element_count(t.shape) != t.size()) fail("tensor size does not match its shape");
  try {
    (void)memgan::nn::read_npy(path, t.shape);
  } catch (const std::runtime_error& e) {
    fail(std::string("rejected with its own shape: ") + e.what());
  }
  const std::string again = (dir / "again.npy").string();
  memgan::nn::Tensor back;
  try {
    memgan::nn::write_npy(again, t);
    back = memgan::nn::read_npy(again);
  } catch (const std::runtime_error& e) {
    fail(std::string("write/read round trip failed: ") + e.what());
  }
  if (back.shape != t.shape || back.data.size() != t.data.size() ||
      (!t.data.empty() && std::memcmp(back.data.data(), t.data.data(), t.data.size() * 4) != 0))
    fail("write/read round trip changed the tensor");
  return 0;
}
