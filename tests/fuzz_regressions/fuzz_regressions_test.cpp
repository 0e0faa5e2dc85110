// Regression tests for what the fuzzers (fuzz/, scripts/fuzz.sh) found: each test feeds its
// checked-in input tests/fuzz_regressions/data/<target>-<name> to the code the fuzz target
// drives and checks the clean result or error. The fuzz build runs the same inputs under
// ASan/UBSan (scripts/fuzz.sh seeds from fuzz/corpus/); here the plain build checks behaviour.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/config/loader.h"
#include "core/nn/npy.h"
#include "fuzz/config_input.h"
#include "tests/temp_dir_test.h"

namespace fs = std::filesystem;

namespace {

std::string data_file(const std::string& name) {
  return std::string(MEMGAN_SOURCE_DIR) + "/tests/fuzz_regressions/data/" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// The message of the exception `f` throws as E ("" and a test failure when it throws nothing).
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return {};
}

class FuzzRegressions : public memgan::testing::TempDirTest {
 protected:
  FuzzRegressions() : TempDirTest("fuzz_regressions") {}

  // A fuzz_config input (fuzz/config_input.h) written out and loaded as fuzz_config does.
  memgan::config::LoadedConfig load_config_input(const std::string& name) {
    const auto in = memgan::fuzz::ConfigInput::parse(slurp(data_file(name)));
    const auto cli = in.write(dir_);
    return memgan::config::load_config(path("config.yaml"), in.overrides, cli);
  }
  // dump_yaml of `c`, reloaded from a file.
  memgan::config::LoadedConfig reload(const memgan::config::LoadedConfig& c) {
    std::ofstream(path("resolved.yaml")) << memgan::config::dump_yaml(c.config, true);
    return memgan::config::load_config(path("resolved.yaml"));
  }
};

}  // namespace

// --- fuzz_npy --------------------------------------------------------------------------------

// Shape (0, 4): the empty tensor's data() is null, and memcpy(nullptr, src, 0) is undefined
// behaviour (UBSan: "null pointer passed as argument 1").
TEST_F(FuzzRegressions, NpyEmptyTensorReadsWithoutCopying) {
  const auto t = memgan::nn::read_npy(data_file("fuzz_npy-empty-tensor-null-memcpy.npy"));
  EXPECT_EQ(t.shape, (std::vector<int>{0, 4}));
  EXPECT_EQ(t.size(), 0);
}

// Shape (2147483647, 2147483647, 2147483647) and no data: the element count overflowed
// int64_t in element_count() (UBSan: signed integer overflow) before the size check.
TEST_F(FuzzRegressions, NpyShapeWhoseElementCountOverflowsIsRejected) {
  const std::string file = data_file("fuzz_npy-shape-overflow.npy");
  const std::string msg = message_of<std::runtime_error>([&] { memgan::nn::read_npy(file); });
  EXPECT_EQ(msg.rfind(file + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find("shape 2147483647x2147483647x2147483647 has too many elements"), std::string::npos) << msg;
}

// Shape (0, 2147483647, 2147483647, 2147483647): zero elements, but the Tensor built from it
// would overflow the same product; rejected the same way.
TEST_F(FuzzRegressions, NpyZeroElementShapeWithAnOverflowingProductIsRejected) {
  const std::string file = data_file("fuzz_npy-zero-dim-overflow.npy");
  const std::string msg = message_of<std::runtime_error>([&] { memgan::nn::read_npy(file); });
  EXPECT_EQ(msg.rfind(file + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find("has too many elements"), std::string::npos) << msg;
}

// --- fuzz_config -----------------------------------------------------------------------------

// `presets: ['']`: the empty path names the config's own folder, which YAML::LoadFile opened and
// then failed inside with an uncaught std::ios_failure ("Is a directory").
TEST_F(FuzzRegressions, ConfigPresetThatIsAFolderIsAConfigError) {
  const std::string cfg = path("folder-preset.yaml");
  std::ofstream(cfg) << slurp(data_file("fuzz_config-preset-is-a-directory.yaml"));
  const std::string msg = message_of<memgan::config::ConfigError>([&] { memgan::config::load_config(cfg); });
  EXPECT_NE(msg.find("is a folder, not a YAML file"), std::string::npos) << msg;
}

// `presets: [config.yaml x 6]` in config.yaml: each level loaded the file six more times, 6^9
// loads before the depth limit (a hang). The cycle is now an error at the presets entry.
TEST_F(FuzzRegressions, ConfigPresetCycleIsAnErrorNotAnExponentialLoad) {
  // (It used to hang: ctest's timeout is the guard, no timed assertion.)
  const std::string msg =
      message_of<memgan::config::ConfigError>([&] { load_config_input("fuzz_config-preset-cycle-blowup.yaml"); });
  EXPECT_NE(msg.find(path("config.yaml") + ":1:11: presets: " + path("config.yaml") +
                     " is already being loaded (the presets form a cycle)"),
            std::string::npos)
      << msg;
}

// Presets listed over and over without a cycle (a diamond of 5 x 5 x 5 x 5 loads) stop at 64
// files with one error.
TEST_F(FuzzRegressions, ConfigPresetFanOutIsBounded) {
  std::string text = "presets: [p0.yaml, p0.yaml, p0.yaml, p0.yaml, p0.yaml]\n";
  for (int i = 1; i <= 3; ++i) {
    const std::string p = "p" + std::to_string(i) + ".yaml";
    text += "#%preset\npresets: [" + p + ", " + p + ", " + p + ", " + p + ", " + p + "]\n";
  }
  text += "#%preset\narch:\n  tiles: 2\n";
  const auto in = memgan::fuzz::ConfigInput::parse(text);
  in.write(dir_);
  try {
    memgan::config::load_config(path("config.yaml"));
    FAIL() << "no exception";
  } catch (const memgan::config::ConfigError& e) {
    ASSERT_EQ(e.messages().size(), 1u) << e.what();
    EXPECT_NE(e.messages()[0].find("presets: more than 64 config files to load"), std::string::npos) << e.what();
  }
}

// A ' in a text value: dump_yaml wrote 'a'b', which does not parse, so a run's resolved
// config.yaml could not be loaded again.
TEST_F(FuzzRegressions, ConfigTextWithAQuoteDumpsToYamlThatReloads) {
  const auto loaded = load_config_input("fuzz_config-quote-in-text.yaml");
  ASSERT_EQ(loaded.config.simulation.trace.signals, "a'b");
  EXPECT_NE(memgan::config::dump_yaml(loaded.config, false).find("signals: 'a''b'"), std::string::npos);
  EXPECT_EQ(reload(loaded).config.simulation.trace.signals, "a'b");
}

// Line breaks, tabs and control characters in a text value: single quotes fold a line break
// into a space; the dump now double-quotes such a value with escapes.
TEST_F(FuzzRegressions, ConfigTextWithControlCharactersRoundTrips) {
  const auto loaded = load_config_input("fuzz_config-control-chars-in-text.yaml");
  const std::string want = "a\nb\t\x01 \\ \"q\" '";
  ASSERT_EQ(loaded.config.simulation.trace.signals, want);
  EXPECT_EQ(reload(loaded).config.simulation.trace.signals, want);
}
