#include "core/trace/gtkw_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/trace/vcd_writer.h"
#include "tests/trace/trace_test_util.h"

namespace memgan::trace {
namespace {

using test_util::read_vcd;
using test_util::slurp;

std::filesystem::path out_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = std::filesystem::path(MEMGAN_BINARY_DIR) / "test_output" / "gtkw" / info->name();
  std::filesystem::create_directories(dir);
  return dir;
}

struct SaveFile {
  std::string dumpfile, savefile;
  std::vector<std::string> signals;
  std::vector<std::string> groups;  // in order of opening
  std::vector<std::string> errors;
};

// Reads back what GTKWave's parser acts on: "@flags" lines, "-name" blank/group rows
// (group begin/end flags 0x800000/0x1000000), [directives], and signal names.
SaveFile parse_gtkw(const std::string& path) {
  SaveFile s;
  std::istringstream in(slurp(path));
  std::string line;
  unsigned long flags = 0;
  std::vector<std::string> open;
  auto quoted = [](const std::string& l) { return l.substr(l.find('"') + 1, l.rfind('"') - l.find('"') - 1); };
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("[dumpfile]", 0) == 0) {
      s.dumpfile = quoted(line);
    } else if (line.rfind("[savefile]", 0) == 0) {
      s.savefile = quoted(line);
    } else if (line[0] == '[') {
      continue;
    } else if (line[0] == '@') {
      flags = std::stoul(line.substr(1), nullptr, 16);
    } else if (line[0] == '-') {
      const std::string name = line.substr(1);
      if (flags & 0x800000) {
        open.push_back(name);
        s.groups.push_back(name);
      } else if (flags & 0x1000000) {
        if (open.empty() || open.back() != name) s.errors.push_back("group end without begin: " + name);
        else open.pop_back();
      } else if (!(flags & 0x20000) || !name.empty()) {
        s.errors.push_back("unexpected blank row: " + line);
      }
    } else {
      s.signals.push_back(line);
    }
  }
  if (!open.empty()) s.errors.push_back("unclosed group " + open.back());
  return s;
}

TEST(GtkwWriter, EverySignalIsDeclaredInTheDumpAndGroupsAreBalanced) {
  const auto dir = out_dir();
  std::filesystem::create_directories(dir / "waves");
  const std::string vcd_path = (dir / "waves" / "run.vcd").string();
  const std::string save_path = (dir / "run.gtkw").string();
  GtkwWriter gtkw("waves/run.vcd");
  {
    VcdWriter vcd(vcd_path);
    for (int tile = 0; tile < 2; ++tile) {
      const std::string t = "tile" + std::to_string(tile);
      gtkw.add(t, vcd.signal(vcd.add_int("soc." + t + ".xbar.busy", 1)));
      gtkw.add(t, vcd.signal(vcd.add_int("soc." + t + ".xbar.ops", 64)));
      gtkw.add(t, vcd.signal(vcd.add_real("soc." + t + ".power_mw", 1e-6)));
    }
    gtkw.add("noc", vcd.signal(vcd.add_int("soc.noc.flits", 16)), DisplayStyle::kHex);
    gtkw.add("tile0", vcd.signal(vcd.add_int("soc.tile0.adc.code", 8)), DisplayStyle::kAnalogStep);
    vcd.close();
  }
  gtkw.write(save_path);

  const auto dump = read_vcd(vcd_path);
  ASSERT_TRUE(dump.errors.empty());
  const SaveFile s = parse_gtkw(save_path);
  EXPECT_TRUE(s.errors.empty()) << s.errors.front();
  EXPECT_EQ(s.dumpfile, "waves/run.vcd");
  EXPECT_EQ(s.savefile, "run.gtkw");
  EXPECT_EQ(s.groups, (std::vector<std::string>{"tile0", "tile1", "noc"}));
  EXPECT_EQ(s.signals.size(), 8u);
  // GTKWave names a vector with its range, as the dump declares it.
  std::set<std::string> declared;
  for (const auto& [name, var] : dump.vars) declared.insert(name + var.range);
  for (const auto& sig : s.signals) EXPECT_TRUE(declared.count(sig)) << sig << " not in the dump";
  EXPECT_TRUE(declared.count("soc.tile1.xbar.ops[63:0]"));
}

TEST(GtkwWriter, WritesGtkwaveFlagsPerStyle) {
  const auto dir = out_dir();
  GtkwWriter gtkw("/abs/run.vcd");
  const SignalInfo flag{"soc.a.busy", SignalKind::kInt, 1, 1, nullptr};
  const SignalInfo count{"soc.a.ops", SignalKind::kInt, 8, 1, nullptr};
  const SignalInfo power{"soc.a.power_mw", SignalKind::kReal, 64, 1e-6, nullptr};
  gtkw.add("a", flag);
  gtkw.add("a", count);
  gtkw.add("a", count, DisplayStyle::kSignedDecimal);
  gtkw.add("a", count, DisplayStyle::kHex);
  gtkw.add("a", power);
  gtkw.add("a", power, DisplayStyle::kDecimal);
  gtkw.add("a", count, DisplayStyle::kAnalogStep);
  const std::string path = (dir / "flags.gtkw").string();
  gtkw.write(path);
  const std::string expected =
      "[*] memgan waveform view\n"
      "[dumpfile] \"/abs/run.vcd\"\n"  // absolute: no [savefile] re-basing
      "[timestart] 0\n"
      "@800200\n-a\n"
      "@28\nsoc.a.busy\n"
      "@24\nsoc.a.ops[7:0]\n"
      "@424\nsoc.a.ops[7:0]\n"
      "@22\nsoc.a.ops[7:0]\n"
      "@8028\nsoc.a.power_mw\n@20000\n-\n-\n"
      "@28\nsoc.a.power_mw\n"
      "@8024\nsoc.a.ops[7:0]\n@20000\n-\n-\n"
      "@1000200\n-a\n";
  EXPECT_EQ(slurp(path), expected);
}

TEST(GtkwWriter, RejectsMeaninglessRequests) {
  const SignalInfo power{"soc.p", SignalKind::kReal, 64, 1, nullptr};
  GtkwWriter gtkw("run.vcd");
  EXPECT_THROW(gtkw.add("g", power, DisplayStyle::kBinary), std::invalid_argument);
  EXPECT_THROW(gtkw.add("g", power, DisplayStyle::kHex), std::invalid_argument);
  EXPECT_THROW(gtkw.add("", power), std::invalid_argument);
  EXPECT_THROW(GtkwWriter("a\"b.vcd"), std::invalid_argument);
  EXPECT_THROW(GtkwWriter(""), std::invalid_argument);
  EXPECT_THROW(gtkw.write("/nonexistent_dir_memgan/x.gtkw"), std::runtime_error);
}

}  // namespace
}  // namespace memgan::trace
