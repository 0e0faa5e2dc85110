#include "core/trace/fst_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/trace/vcd_writer.h"
#include "tests/trace/trace_test_util.h"

namespace memgan::trace {
namespace {

using namespace test_util;

// The same calls on a VcdWriter and an FstWriter must dump the same waveforms; the FST is
// read back through GTKWave's fst2vcd.
TEST(FstWriter, RoundTripsToTheSameWaveformsAsTheVcd) {
  if (!tool_available("fst2vcd")) GTEST_SKIP() << "fst2vcd (gtkwave package) not installed";
  const std::string vcd_path = out_path(".vcd");
  const std::string fst_path = out_path(".fst");
  const std::string back = out_path(".roundtrip.vcd");
  std::vector<SignalInfo> sigs;
  std::vector<Event> events;
  {
    VcdWriter vcd(vcd_path);
    FstWriter fst(fst_path);
    events = drive_random_run({&vcd, &fst}, 7);
    sigs = signals_of(fst);
    EXPECT_GT(fst.bytes_written(), 1000u);
    EXPECT_LT(fst.bytes_written(), vcd.bytes_written());
  }
  ASSERT_EQ(std::system(("fst2vcd '" + fst_path + "' > '" + back + "' 2>/dev/null").c_str()), 0);
  const VcdFile f = read_vcd(back);
  ASSERT_TRUE(f.errors.empty()) << f.errors.front();
  const VcdFile v = read_vcd(vcd_path);
  ASSERT_EQ(f.vars.size(), v.vars.size());
  for (const auto& [name, var] : v.vars) {
    ASSERT_TRUE(f.vars.count(name)) << name;
    EXPECT_EQ(f.vars.at(name).type, var.type) << name;
    EXPECT_EQ(f.vars.at(name).width, var.width) << name;
  }
  EXPECT_EQ(normalised(f, sigs), reference(events, sigs));
  EXPECT_EQ(normalised(f, sigs), normalised(v, sigs));
}

TEST(FstWriter, SmallDumpReadsBack) {
  if (!tool_available("fst2vcd")) GTEST_SKIP() << "fst2vcd (gtkwave package) not installed";
  const std::string path = out_path(".fst");
  const std::string back = out_path(".roundtrip.vcd");
  {
    FstWriter fst(path);
    const SignalId busy = fst.add_int("soc.tile0.busy", 1);
    const SignalId power = fst.add_real("soc.tile0.power_mw", 0.1);
    const SignalId ops = fst.add_int("soc.tile0.ops", 64);
    fst.begin();
    fst.add(busy, 300, -1);
    fst.add(busy, 100, 1);
    fst.add(power, 100, 3);
    fst.add(power, 300, -3);
    fst.set(ops, 300, -1);
    fst.flush_before(200);
    fst.add(busy, 150, 1);  // late: clamped to 200
    EXPECT_EQ(fst.late_changes(), 1u);
  }
  ASSERT_EQ(std::system(("fst2vcd '" + path + "' > '" + back + "' 2>/dev/null").c_str()), 0);
  const VcdFile f = read_vcd(back);
  ASSERT_TRUE(f.errors.empty()) << f.errors.front();
  EXPECT_EQ(f.vars.at("soc.tile0.ops").range, "[63:0]");
  EXPECT_EQ(changes_of(f, "soc.tile0.busy"), (Timeline{{100, "1"}}));  // 2 then 1 stays up
  EXPECT_EQ(changes_of(f, "soc.tile0.power_mw"), (Timeline{{100, "0.3"}, {300, "0"}}));
  EXPECT_EQ(changes_of(f, "soc.tile0.ops"), (Timeline{{300, std::string(64, '1')}}));
}

// Enumerated signals carry their value names as an FST enum table (what GTKWave shows); two
// signals with one label set share one table.
TEST(FstWriter, EnumSignalsCarryTheirNames) {
  if (!tool_available("fst2vcd")) GTEST_SKIP() << "fst2vcd (gtkwave package) not installed";
  const std::string path = out_path(".fst");
  const std::string back = out_path(".roundtrip.vcd");
  const auto labels = std::make_shared<const EnumLabels>(EnumLabels{"array_op", {{0, "idle"}, {1, "mvm"}, {2, "program"}}});
  {
    FstWriter fst(path);
    const SignalId a = fst.add_enum("soc.tile0.xbar0.op", 2, labels);
    const SignalId b = fst.add_enum("soc.tile0.xbar1.op", 2, labels);
    fst.begin();
    fst.set(a, 100, 1);
    fst.set(b, 200, 2);
  }
  // -e: with FST's extensions (attributes such as enum tables) in the VCD.
  ASSERT_EQ(std::system(("fst2vcd -e '" + path + "' > '" + back + "' 2>/dev/null").c_str()), 0);
  std::ifstream in(back);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // fst2vcd writes the table as a misc attribute (type 07) naming every value.
  const auto table = text.find("$attrbegin misc 07 array_op 3 idle mvm program 00 01 10");
  EXPECT_NE(table, std::string::npos) << text.substr(0, 600);
  EXPECT_EQ(text.find("$attrbegin misc 07 array_op", table + 1), std::string::npos) << "one table for both";
  const VcdFile f = read_vcd(back);
  EXPECT_EQ(changes_of(f, "soc.tile0.xbar0.op"), (Timeline{{100, "1"}}));
  EXPECT_EQ(changes_of(f, "soc.tile0.xbar1.op"), (Timeline{{200, "10"}}));
}

TEST(FstWriter, EnumLabelsAreChecked) {
  FstWriter fst(out_path(".fst"));
  const auto wide = std::make_shared<const EnumLabels>(EnumLabels{"w", {{4, "four"}}});
  EXPECT_THROW(fst.add_enum("soc.a", 2, wide), std::invalid_argument);
  const auto bad = std::make_shared<const EnumLabels>(EnumLabels{"b", {{1, "two words"}}});
  EXPECT_THROW(fst.add_enum("soc.b", 2, bad), std::invalid_argument);
  EXPECT_THROW(fst.add_enum("soc.c", 2, nullptr), std::invalid_argument);
}

TEST(FstWriter, UnopenablePathThrowsNamingIt) {
  const std::string bad = "/nonexistent_dir_memgan/x.fst";
  try {
    FstWriter fst(bad);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos);
  }
}

}  // namespace
}  // namespace memgan::trace
