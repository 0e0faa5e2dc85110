#include "core/trace/vcd_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/trace/trace_test_util.h"

namespace memgan::trace {
namespace {

using namespace test_util;

TEST(VcdWriter, GoldenSmallDumpWithOutOfOrderDeltas) {
  const std::string path = out_path(".vcd");
  uint64_t late = 0;
  {
    VcdWriter vcd(path);
    const SignalId busy = vcd.add_int("soc.tile0.xbar.busy", 1);
    const SignalId ops = vcd.add_int("soc.tile0.xbar.ops", 8);
    const SignalId power = vcd.add_real("soc.tile0.power_mw", 0.1);
    const SignalId flits = vcd.add_int("soc.noc.flits", 16);
    vcd.begin();
    // Initiator A (tile0) ran ahead to 300 while B (noc) is at 150.
    vcd.add(busy, 100, 1);
    vcd.add(ops, 300, 1);
    vcd.add(busy, 300, -1);
    vcd.add(power, 100, 8);
    vcd.add(power, 300, -8);
    vcd.add(flits, 50, 1);
    vcd.add(flits, 150, 1);
    vcd.flush_before(200);
    // A's next operation starts back to back at 300: the flag must stay up.
    vcd.add(busy, 300, 1);
    vcd.add(power, 300, 4);
    vcd.add(busy, 400, -1);
    vcd.add(power, 400, -4);
    vcd.add(ops, 400, 1);
    vcd.add(flits, 120, 1);  // late: 200 is already final -> clamped to 200
    vcd.set(flits, 250, 7);  // coalesced with the next change: 7 - 4 = 3, unchanged
    vcd.add(flits, 250, -4);
    vcd.flush_before(350);
    vcd.flush_before(450);
    late = vcd.late_changes();
    vcd.close();
    EXPECT_EQ(vcd.bytes_written(), std::filesystem::file_size(path));
  }
  EXPECT_EQ(late, 1u);
  const std::string expected =
      "$version memgan $end\n"
      "$timescale 1 ps $end\n"
      "$scope module soc $end\n"
      "$scope module tile0 $end\n"
      "$var real 64 # power_mw $end\n"
      "$scope module xbar $end\n"
      "$var wire 1 ! busy $end\n"
      "$var reg 8 \" ops [7:0] $end\n"
      "$upscope $end\n"
      "$upscope $end\n"
      "$scope module noc $end\n"
      "$var reg 16 $ flits [15:0] $end\n"
      "$upscope $end\n"
      "$upscope $end\n"
      "$enddefinitions $end\n"
      "#0\n"
      "$dumpvars\n"
      "0!\n"
      "b0 \"\n"
      "r0 #\n"
      "b0 $\n"
      "$end\n"
      "#50\n"
      "b1 $\n"
      "#100\n"
      "1!\n"
      "r0.8 #\n"
      "#150\n"
      "b10 $\n"
      "#200\n"
      "b11 $\n"
      "#300\n"
      "b1 \"\n"
      "r0.4 #\n"
      "#400\n"
      "0!\n"
      "b10 \"\n"
      "r0 #\n"
      "#450\n";
  EXPECT_EQ(slurp(path), expected);
}

TEST(VcdWriter, BusyCountShowsAsFlagWhileAboveZero) {
  const std::string path = out_path(".vcd");
  {
    VcdWriter vcd(path);
    const SignalId busy = vcd.add_int("soc.dma.busy", 1);
    vcd.begin();
    // Two overlapping intervals [10,30) and [20,40), reported out of order.
    vcd.add(busy, 20, 1);
    vcd.add(busy, 40, -1);
    vcd.add(busy, 10, 1);
    vcd.add(busy, 30, -1);
    vcd.close();
  }
  const VcdFile f = read_vcd(path);
  EXPECT_TRUE(f.errors.empty());
  const Timeline expected = {{10, "1"}, {40, "0"}};
  EXPECT_EQ(changes_of(f, "soc.dma.busy"), expected);
  EXPECT_EQ(f.times.back(), 40u);
}

TEST(VcdWriter, SameTimeChangesWriteOnlyTheFinalValue) {
  const std::string path = out_path(".vcd");
  {
    VcdWriter vcd(path);
    const SignalId v = vcd.add_int("soc.ctrl.state", 8);
    vcd.begin();
    vcd.set(v, 10, 5);
    vcd.set(v, 10, 7);
    vcd.add(v, 10, 1);  // applied after the sets: arrival order within a time
    vcd.set(v, 20, 8);  // no change: nothing, not even "#20"
    vcd.set(v, 30, 3);
    vcd.add(v, 30, 5);  // back to 8 within the step: nothing
    vcd.set(v, 40, -1);  // shown as the low 8 bits
    vcd.close();
  }
  const VcdFile f = read_vcd(path);
  EXPECT_TRUE(f.errors.empty());
  const Timeline expected = {{10, "1000"}, {40, "11111111"}};
  EXPECT_EQ(changes_of(f, "soc.ctrl.state"), expected);
  EXPECT_EQ(f.times, (std::vector<uint64_t>{0, 10, 40}));
}

TEST(VcdWriter, ChangesAtTimeZeroFollowTheInitialValues) {
  const std::string path = out_path(".vcd");
  {
    VcdWriter vcd(path);
    const SignalId b = vcd.add_int("soc.reset", 1);
    vcd.begin();
    vcd.set(b, 0, 1);
    vcd.set(b, 5, 0);
    vcd.close();
  }
  const std::string text = slurp(path);
  const std::string tail = "#0\n$dumpvars\n0!\n$end\n1!\n#5\n0!\n";
  ASSERT_GE(text.size(), tail.size());
  EXPECT_EQ(text.substr(text.size() - tail.size()), tail);
}

TEST(VcdWriter, RealDeltasCancelBackToExactZero) {
  const std::string path = out_path(".vcd");
  {
    VcdWriter vcd(path);
    const SignalId p = vcd.add_real("soc.tile0.power_mw", 0.1);
    vcd.begin();
    vcd.add(p, 10, 3);
    vcd.add(p, 20, 4);
    vcd.add(p, 30, -3);
    vcd.add(p, 40, -4);
    vcd.close();
  }
  const VcdFile f = read_vcd(path);
  EXPECT_TRUE(f.errors.empty());
  // 0.1 + 0.1 + 0.1 in floating point is not 0.3; integer units make it exact.
  const Timeline expected = {
      {10, "0.3"}, {20, "0.7"}, {30, "0.4"}, {40, "0"}};
  EXPECT_EQ(changes_of(f, "soc.tile0.power_mw"), expected);
}

TEST(VcdWriter, LateChangesClampToTheFlushHorizonAndAreCounted) {
  const std::string path = out_path(".vcd");
  uint64_t late = 0;
  {
    VcdWriter vcd(path);
    const SignalId n = vcd.add_int("soc.noc.flits", 8);
    vcd.begin();
    vcd.add(n, 80, 1);
    vcd.flush_before(100);
    vcd.add(n, 100, 1);  // at the horizon: still open, not late
    EXPECT_EQ(vcd.late_changes(), 0u);
    vcd.add(n, 50, 1);   // late
    vcd.flush_before(60);  // going back is a no-op...
    vcd.add(n, 70, 1);   // ...so this is late too
    vcd.add(n, 150, 1);
    late = vcd.late_changes();
    vcd.close();
  }
  EXPECT_EQ(late, 2u);
  const VcdFile f = read_vcd(path);
  EXPECT_TRUE(f.errors.empty());
  const Timeline expected = {
      {80, "1"}, {100, "100"}, {150, "101"}};
  EXPECT_EQ(changes_of(f, "soc.noc.flits"), expected);
}

TEST(VcdWriter, CloseEndsAtTheLastFlushHorizonAndIsIdempotent) {
  const std::string path = out_path(".vcd");
  VcdWriter vcd(path);
  const SignalId b = vcd.add_int("soc.busy", 1);
  vcd.begin();
  vcd.add(b, 10, 1);
  vcd.flush_before(1000);
  vcd.close();
  const uint64_t size = vcd.bytes_written();
  vcd.close();
  EXPECT_EQ(vcd.bytes_written(), size);
  const VcdFile f = read_vcd(path);
  EXPECT_TRUE(f.errors.empty());
  EXPECT_EQ(f.times, (std::vector<uint64_t>{0, 10, 1000}));
  EXPECT_THROW(vcd.add(b, 2000, 1), std::logic_error);
}

TEST(VcdWriter, DestructorClosesAndCloseImpliesBegin) {
  const std::string path = out_path(".vcd");
  {
    VcdWriter vcd(path);
    vcd.add_int("soc.a.x", 4);
    vcd.add_real("top_level", 1.0);
  }
  const VcdFile f = read_vcd(path);
  EXPECT_TRUE(f.errors.empty());
  ASSERT_EQ(f.vars.size(), 2u);
  EXPECT_EQ(f.vars.at("soc.a.x").width, 4);
  EXPECT_EQ(f.vars.at("soc.a.x").range, "[3:0]");
  EXPECT_EQ(f.vars.at("top_level").type, "real");
  EXPECT_EQ(f.changes.size(), 2u);  // the initial zeros
}

TEST(VcdWriter, RejectsBadDeclarationsAndMisuse) {
  const std::string path = out_path(".vcd");
  VcdWriter vcd(path);
  EXPECT_THROW(vcd.add_int("soc.x", 0), std::invalid_argument);
  EXPECT_THROW(vcd.add_int("soc.x", 65), std::invalid_argument);
  EXPECT_THROW(vcd.add_int("soc..x", 1), std::invalid_argument);
  EXPECT_THROW(vcd.add_int(".x", 1), std::invalid_argument);
  EXPECT_THROW(vcd.add_int("soc.x.", 1), std::invalid_argument);
  EXPECT_THROW(vcd.add_int("", 1), std::invalid_argument);
  EXPECT_THROW(vcd.add_int("soc.x y", 1), std::invalid_argument);
  EXPECT_THROW(vcd.add_int("soc.x[3]", 1), std::invalid_argument);
  EXPECT_THROW(vcd.add_real("soc.p", 0.0), std::invalid_argument);
  EXPECT_THROW(vcd.add_real("soc.p", -1.0), std::invalid_argument);
  const SignalId x = vcd.add_int("soc.tile.x", 2);
  EXPECT_THROW(vcd.add_int("soc.tile.x", 2), std::invalid_argument);    // duplicate
  EXPECT_THROW(vcd.add_int("soc.tile.x.y", 2), std::invalid_argument);  // x is a signal
  EXPECT_THROW(vcd.add_int("soc.tile", 2), std::invalid_argument);      // tile is a scope
  EXPECT_NO_THROW(vcd.add_int("soc.tile.x2", 2));
  EXPECT_THROW(vcd.set(x, 0, 1), std::logic_error);  // before begin()
  EXPECT_THROW(vcd.flush_before(10), std::logic_error);
  vcd.begin();
  EXPECT_THROW(vcd.add_int("soc.late", 1), std::logic_error);
  EXPECT_THROW(vcd.set(99, 0, 1), std::out_of_range);
  EXPECT_EQ(vcd.signal(x).name, "soc.tile.x");
  EXPECT_EQ(vcd.signal_count(), 2u);
}

TEST(VcdWriter, UnopenablePathThrowsNamingIt) {
  const std::string bad = "/nonexistent_dir_memgan/x.vcd";
  try {
    VcdWriter vcd(bad);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos);
  }
}

TEST(VcdWriter, LargeDecoupledRunMatchesReferenceAndConvertsToFst) {
  const std::string path = out_path(".vcd");
  std::vector<SignalInfo> sigs;
  std::vector<Event> events;
  uint64_t bytes = 0;
  {
    VcdWriter vcd(path);
    events = drive_random_run({&vcd}, 42);
    sigs = signals_of(vcd);
    EXPECT_EQ(vcd.late_changes(), 0u);
    bytes = vcd.bytes_written();
  }
  const VcdFile f = read_vcd(path);
  ASSERT_TRUE(f.errors.empty()) << f.errors.front();
  EXPECT_EQ(f.vars.size(), sigs.size());
  EXPECT_EQ(normalised(f, sigs), reference(events, sigs));
  EXPECT_GT(bytes, 100000u);

  if (!tool_available("vcd2fst") || !tool_available("fst2vcd")) {
    GTEST_SKIP() << "vcd2fst/fst2vcd (gtkwave package) not installed";
  }
  const std::string fst = out_path(".fst");
  const std::string back = out_path(".roundtrip.vcd");
  std::filesystem::remove(fst);
  ASSERT_EQ(std::system(("vcd2fst '" + path + "' '" + fst + "' >/dev/null 2>&1").c_str()), 0);
  ASSERT_EQ(std::system(("fst2vcd '" + fst + "' > '" + back + "' 2>/dev/null").c_str()), 0);
  const VcdFile g = read_vcd(back);
  ASSERT_TRUE(g.errors.empty()) << g.errors.front();
  EXPECT_EQ(g.vars.size(), f.vars.size());
  for (const auto& [name, var] : f.vars) {
    ASSERT_TRUE(g.vars.count(name)) << name;
    EXPECT_EQ(g.vars.at(name).width, var.width) << name;
  }
  EXPECT_EQ(normalised(g, sigs), normalised(f, sigs));
}

}  // namespace
}  // namespace memgan::trace
