// The input format of fuzz_checkpoint, shared with its regression tests (tests/fuzz_regressions/).
//
// checkpoint.bin as it is; or "JSON", the checkpoint.json text, a NUL byte, then checkpoint.bin.
// Without its own JSON an input gets the seed's (step 2 of fuzz/checkpoint/tiny.yaml).
#pragma once

#include <filesystem>
#include <string_view>

#include "fuzz/fuzz_util.h"

namespace memgan::fuzz {

struct CheckpointInput {
  static constexpr const char* kSeedJson =
      R"({"config_file": "fuzz/checkpoint/tiny.yaml", "energy_pj": 27689.8, "sim_time_ns": 7184.0, "step": 2,)"
      R"( "train_csv": "0,0,0,0,0,1.77866,0,0,264,4240\n"})";

  std::string_view json = kSeedJson, bin;  // views into the input (or the seed)

  static CheckpointInput parse(std::string_view in) {
    CheckpointInput c;
    c.bin = in;
    if (in.substr(0, 4) == "JSON") {
      const size_t nul = in.find('\0', 4);
      c.json = in.substr(4, nul == std::string_view::npos ? std::string_view::npos : nul - 4);
      c.bin = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
    }
    return c;
  }
  // dir/checkpoint.json and dir/checkpoint.bin, for resume_checkpoint(dir, ...).
  void write(const std::filesystem::path& dir) const {
    write_file(dir / "checkpoint.json", json);
    write_file(dir / "checkpoint.bin", bin);
  }
};

}  // namespace memgan::fuzz
