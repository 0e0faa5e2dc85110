// Config loading: every error kind names file:line:column, the key path and what is
// allowed; the shipped default documents every key and equals the built-in defaults.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/config/loader.h"
#include "core/config/schema.h"

namespace fs = std::filesystem;
using memgan::config::ConfigError;
using memgan::config::load_config;

namespace {

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("memgan_config_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const auto p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }

  // The single error message a load produces.
  std::string error_of(const std::string& path, const std::vector<std::string>& sets = {}) {
    try {
      load_config(path, sets);
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.messages().size(), 1u) << e.what();
      return e.messages().front();
    }
    ADD_FAILURE() << "no error for " << path;
    return {};
  }

  fs::path dir_;
};

const std::string kDefault = std::string(MEMGAN_SOURCE_DIR) + "/configs/default.yaml";

}  // namespace

TEST(DefaultConfig, EqualsBuiltInDefaultsExceptFilePaths) {
  auto loaded = load_config(kDefault);
  // File paths resolve next to the file that names them; the built-in default names none.
  EXPECT_EQ(loaded.config.network.file, std::string(MEMGAN_SOURCE_DIR) + "/configs/nets/dcgan28-small.yaml");
  loaded.config.network.file.clear();
  EXPECT_EQ(memgan::config::dump_yaml(loaded.config), memgan::config::dump_yaml(memgan::config::Config{}));
}

TEST_F(ConfigFiles, PathsResolveNextToTheirFile) {
  fs::create_directories(dir_ / "sub");
  write("sub/p.yaml", "network:\n  file: ../nets/x.yaml\n");
  const auto p = write("main.yaml", "presets: [sub/p.yaml]\n");
  EXPECT_EQ(load_config(p).config.network.file, (dir_ / "nets/x.yaml").string());
  const auto q = write("empty.yaml", "network:\n  file: ''\n");
  EXPECT_EQ(load_config(q).config.network.file, "");
}

TEST(DefaultConfig, SetsAndDocumentsEveryKey) {
  const auto loaded = load_config(kDefault);
  std::ifstream f(kDefault);
  std::vector<std::string> lines;
  for (std::string l; std::getline(f, l);) lines.push_back(l);
  memgan::config::Config scratch;
  for (const auto& field : memgan::config::schema(scratch)) {
    const auto it = loaded.origin.find(field.path);
    ASSERT_NE(it, loaded.origin.end()) << field.path << " is not written out in default.yaml";
    // origin is "file:line:col"
    const std::string& where = it->second;
    const auto c2 = where.rfind(':'), c1 = where.rfind(':', c2 - 1);
    const int line = std::stoi(where.substr(c1 + 1, c2 - c1 - 1));
    const std::string& text = lines.at(line - 1);
    // A key is documented by a comment on its own line or on its section line just above.
    const bool documented = text.find('#') != std::string::npos ||
                            (line >= 2 && lines[line - 2].find('#') != std::string::npos);
    EXPECT_TRUE(documented) << field.path << " has no comment at default.yaml:" << line;
  }
}

TEST_F(ConfigFiles, UnknownKeyNamesPositionAndSuggests) {
  const auto p = write("typo.yaml", "arch:\n  array:\n    rwos: 64\n");
  EXPECT_EQ(error_of(p), p + ":3:5: unknown key 'arch.array.rwos' (did you mean 'arch.array.rows'?)");
}

TEST_F(ConfigFiles, UnknownSectionListsKeysWhenNothingIsClose) {
  const auto p = write("x.yaml", "zzzzzzzzzz: 1\n");
  const auto msg = error_of(p);
  EXPECT_NE(msg.find(p + ":1:1: unknown key 'zzzzzzzzzz' (keys here: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("arch"), std::string::npos);
}

TEST_F(ConfigFiles, WrongTypeNamesAllowedRange) {
  const auto p = write("t.yaml", "arch:\n  array:\n    rows: many\n");
  EXPECT_EQ(error_of(p), p + ":3:11: arch.array.rows: 'many' is not an integer; allowed: integer in [2, 4096]");
}

TEST_F(ConfigFiles, OutOfRange) {
  const auto p = write("r.yaml", "arch:\n  adc:\n    bits: 17\n");
  EXPECT_EQ(error_of(p), p + ":3:11: arch.adc.bits: 17 is out of range; allowed: integer in [1, 16]");
}

TEST_F(ConfigFiles, RealOutOfRangeAndNotANumber) {
  auto p = write("a.yaml", "device:\n  program_sigma: -0.1\n");
  EXPECT_EQ(error_of(p), p + ":2:18: device.program_sigma: -0.1 is out of range; allowed: number in [0, 5]");
  p = write("b.yaml", "device:\n  program_sigma: .nan\n");
  EXPECT_EQ(error_of(p), p + ":2:18: device.program_sigma: '.nan' is not a number; allowed: number in [0, 5]");
}

TEST_F(ConfigFiles, BooleansAreStrict) {
  const auto p = write("b.yaml", "arch:\n  quantize: yes\n");
  EXPECT_EQ(error_of(p), p + ":2:13: arch.quantize: 'yes' is not a boolean; allowed: true or false");
}

TEST_F(ConfigFiles, ChoiceListsAlternatives) {
  const auto p = write("c.yaml", "arch:\n  weight_encoding: twos\n");
  EXPECT_EQ(error_of(p),
            p + ":2:20: arch.weight_encoding: 'twos' is not a valid choice; allowed: one of: differential, offset");
}

TEST_F(ConfigFiles, SectionGivenAScalarAndValueGivenAMap) {
  auto p = write("s.yaml", "arch: 3\n");
  EXPECT_EQ(error_of(p), p + ":1:7: arch: expected a mapping (section), got a scalar");
  p = write("v.yaml", "arch:\n  tiles:\n    n: 2\n");
  EXPECT_EQ(error_of(p), p + ":3:5: arch.tiles: expected integer in [1, 16], got a mapping");
}

TEST_F(ConfigFiles, MissingValue) {
  const auto p = write("m.yaml", "arch:\n  tiles:\n");
  EXPECT_EQ(error_of(p), p + ":2:3: arch.tiles: expected integer in [1, 16], got nothing");
}

TEST_F(ConfigFiles, DuplicateKey) {
  const auto p = write("d.yaml", "arch:\n  tiles: 1\n  tiles: 2\n");
  EXPECT_EQ(error_of(p), p + ":3:3: duplicate key 'arch.tiles'");
}

TEST_F(ConfigFiles, SyntaxError) {
  const auto p = write("y.yaml", "arch:\n  tiles: [1, 2\n");
  const auto msg = error_of(p);
  EXPECT_EQ(msg.rfind(p + ":", 0), 0u) << msg;
  EXPECT_NE(msg.find("YAML syntax error"), std::string::npos) << msg;
}

TEST_F(ConfigFiles, MissingFile) {
  const auto p = (dir_ / "absent.yaml").string();
  EXPECT_EQ(error_of(p), p + ": cannot open the file");
}

TEST_F(ConfigFiles, AllErrorsAreReportedTogether) {
  const auto p = write("many.yaml", "arch:\n  tiles: 0\n  dac_bits: 9\nbogus: 1\n");
  try {
    load_config(p);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.messages().size(), 3u) << e.what();
  }
}

TEST_F(ConfigFiles, CrossFieldChecksNameTheKey) {
  auto p = write("g.yaml", "device:\n  g_min_us: 40\n  g_max_us: 30\n");
  EXPECT_EQ(error_of(p), p + ":2:13: device.g_min_us: must be below device.g_max_us (40 >= 30)");
  p = write("l.yaml", "arch:\n  cell_bits: 4\ndevice:\n  levels: 8\n");
  EXPECT_EQ(error_of(p), p + ":2:14: arch.cell_bits: 2^cell_bits = 16 levels exceed the device's 8 levels "
                             "(device.levels)");
  p = write("j.yaml", "job:\n  kind: mvm\n  cols: 65\n");
  EXPECT_EQ(error_of(p), p + ":3:9: job.cols: 65 outputs do not fit: the 128-column array holds 64 outputs of 2 "
                             "columns each");
  p = write("t.yaml", "arch:\n  weight_bits: 8\n");
  EXPECT_EQ(error_of(p), p + ":2:16: arch.weight_bits: in-situ training needs one cell per weight, but 8-bit "
                             "weights on 4-bit cells take 2 slices (differential: weight_bits - 1 <= cell_bits; "
                             "offset: weight_bits <= cell_bits)");
  // An RTL block where the run never uses it, and step windows without steps.
  p = write("r.yaml", "arch:\n  rtl:\n    shift_add: rtl\n");
  EXPECT_EQ(error_of(p), p + ":3:16: arch.rtl.shift_add: the RTL shift-and-add sits in the tiles' quantized MVM path: "
                             "it needs job.kind mvm and arch.quantize true (training runs its arrays in the layer "
                             "engine)");
  p = write("a.yaml", "arch:\n  rtl:\n    red_addr_gen: rtl\nnetwork:\n  dataflow: zero_free\n");
  EXPECT_EQ(error_of(p), p + ":3:19: arch.rtl.red_addr_gen: the RTL address generator serves pixel_wise scatters in "
                             "training: it needs job.kind train and network.dataflow pixel_wise");
  p = write("w.yaml", "job:\n  kind: mvm\nsimulation:\n  trace:\n    start_step: 3\n");
  EXPECT_EQ(error_of(p), p + ":5:17: simulation.trace.start_step: a step window needs a training run (job.kind "
                             "train); use start_ns/stop_ns");
}

TEST_F(ConfigFiles, OverridesUseTheSameRules) {
  const auto p = write("ok.yaml", "arch:\n  tiles: 2\n");
  const auto loaded = load_config(p, {"arch.adc.bits=6", "arch.adc.full_scale=96", "simulation.trace.enabled=false"});
  EXPECT_EQ(loaded.config.arch.tiles, 2);
  EXPECT_EQ(loaded.config.arch.adc.bits, 6);
  ASSERT_TRUE(loaded.config.arch.adc.full_scale.has_value());
  EXPECT_DOUBLE_EQ(*loaded.config.arch.adc.full_scale, 96.0);
  EXPECT_FALSE(loaded.config.simulation.trace.enabled);
  EXPECT_EQ(loaded.origin.at("arch.adc.bits"), "--set arch.adc.bits=6");

  EXPECT_EQ(error_of(p, {"arch.adc.bits=0"}),
            "--set arch.adc.bits=0: arch.adc.bits: 0 is out of range; allowed: integer in [1, 16]");
  EXPECT_EQ(error_of(p, {"arch.adc.bit=6"}), "--set arch.adc.bit=6: unknown key 'arch.adc.bit' (did you mean "
                                             "'arch.adc.bits'?)");
  EXPECT_EQ(error_of(p, {"arch.adc=6"}), "--set arch.adc=6: unknown key 'arch.adc' (a section, not a value)");
  EXPECT_EQ(error_of(p, {"arch.tiles"}), "--set arch.tiles: expected key.path=value");
}

TEST_F(ConfigFiles, OverrideCrossFieldErrorNamesTheOverride) {
  const auto p = write("ok.yaml", "");
  EXPECT_EQ(error_of(p, {"device.g_min_us=50"}),
            "--set device.g_min_us=50: device.g_min_us: must be below device.g_max_us (50 >= 33.3)");
}

TEST_F(ConfigFiles, PresetsApplyFirstAndFileOverrides) {
  write("arch.yaml", "arch:\n  tiles: 4\n  array:\n    rows: 256\n");
  const auto p = write("main.yaml", "presets: [arch.yaml]\narch:\n  tiles: 2\n");
  const auto loaded = load_config(p);
  EXPECT_EQ(loaded.config.arch.tiles, 2);
  EXPECT_EQ(loaded.config.arch.array.rows, 256);
  EXPECT_EQ(loaded.origin.at("arch.array.rows"), (dir_ / "arch.yaml").string() + ":4:11");
}

TEST_F(ConfigFiles, ErrorsInPresetsNameThePresetFile) {
  const auto preset = write("bad.yaml", "arch:\n  tiles: 99\n");
  const auto p = write("main.yaml", "presets: [bad.yaml]\n");
  EXPECT_EQ(error_of(p), preset + ":2:10: arch.tiles: 99 is out of range; allowed: integer in [1, 16]");
}

TEST_F(ConfigFiles, ResolvedDumpReloadsToTheSameConfig) {
  const auto loaded = load_config(kDefault, {"arch.adc.full_scale=100.5", "device.read_noise_sigma=0.03"});
  const auto p = write("resolved.yaml", memgan::config::dump_yaml(loaded.config));
  const auto again = load_config(p);
  EXPECT_EQ(memgan::config::dump_yaml(again.config), memgan::config::dump_yaml(loaded.config));
}

TEST(Schema, EveryFieldHasDocAndUniquePath) {
  memgan::config::Config c;
  std::set<std::string> paths;
  for (const auto& f : memgan::config::schema(c)) {
    EXPECT_FALSE(f.doc.empty()) << f.path;
    EXPECT_TRUE(paths.insert(f.path).second) << "duplicate " << f.path;
  }
}

// Every shipped config (and preset-built config) passes validation: a broken one would only
// show when a user runs it.
TEST(ShippedConfigs, AllValidate) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(MEMGAN_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    ++checked;
    try {
      load_config(entry.path().string());
    } catch (const ConfigError& e) {
      ADD_FAILURE() << entry.path() << ": " << e.what();
    }
  }
  EXPECT_GE(checked, 8);
}
