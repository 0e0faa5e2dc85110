// fuzz_config: the YAML config loader and its validation (core/config/loader.h), with presets
// and --set overrides.
//
// Input: a config file, preset files and --set overrides in one text (fuzz/config_input.h).
//
// Checks: load_config either succeeds or throws ConfigError (anything else escaping, a crash,
// a hang or a sanitizer report is a bug); a loaded config's dump_yaml reloads to the same
// values (the resolved config.yaml of a run must reload), and to_json works on it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/loader.h"
#include "fuzz/config_input.h"
#include "fuzz/fuzz_util.h"

namespace {

using memgan::config::ConfigError;
using memgan::config::LoadedConfig;

// The config as JSON without the file-path keys (a relative path given with --set is
// resolved against the file's folder once it is written to a file: expected to differ).
nlohmann::json comparable(const LoadedConfig& c) {
  nlohmann::json j = memgan::config::to_json(c.config);
  j["network"].erase("file");
  j["train"].erase("data");
  return j;
}

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_config: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return -1;  // configs are small; keep the runs fast
  const auto& dir = memgan::fuzz::scratch_dir("config");
  const auto p = memgan::fuzz::ConfigInput::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  const std::string path = (dir / "config.yaml").string();
  const std::vector<std::string> cli_presets = p.write(dir);

  LoadedConfig loaded;
  try {
    loaded = memgan::config::load_config(path, p.overrides, cli_presets);
  } catch (const ConfigError& e) {
    static const bool verbose = std::getenv("MEMGAN_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "ConfigError:\n%s\n", e.what());
    if (e.messages().empty()) fail("ConfigError without a message", "");
    for (const auto& m : e.messages())
      if (m.empty()) fail("ConfigError with an empty message", e.what());
    return 0;
  }

  // A resolved config reloads to the same values.
  const std::string dumped = memgan::config::dump_yaml(loaded.config, true);
  const std::string dump_path = (dir / "resolved.yaml").string();
  memgan::fuzz::write_file(dump_path, dumped);
  LoadedConfig again;
  try {
    again = memgan::config::load_config(dump_path);
  } catch (const ConfigError& e) {
    fail("the dumped config does not reload", std::string(e.what()) + "\n--- dump:\n" + dumped);
  }
  if (comparable(loaded) != comparable(again))
    fail("the dumped config reloads to other values",
         comparable(loaded).dump(1) + "\n--- reloaded:\n" + comparable(again).dump(1));
  (void)memgan::config::dump_yaml(loaded.config, false);
  if (std::getenv("MEMGAN_FUZZ_VERBOSE")) std::fprintf(stderr, "loaded: %s\n", loaded.config.job.kind.c_str());
  return 0;
}
