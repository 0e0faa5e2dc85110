#include "core/trace/trace_filter.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "core/trace/vcd_writer.h"
#include "tests/trace/trace_test_util.h"

namespace memgan::trace {
namespace {

using namespace test_util;

TEST(SignalFilter, GlobsOnHierarchicalNames) {
  EXPECT_TRUE(SignalFilter::glob_match("soc.tile*.xbar*.adc.*", "soc.tile12.xbar0.adc.busy"));
  EXPECT_FALSE(SignalFilter::glob_match("soc.tile*.xbar*.adc.*", "soc.tile0.xbar0.dac.busy"));
  EXPECT_TRUE(SignalFilter::glob_match("*.busy", "soc.tile0.xbar0.adc.busy"));
  EXPECT_FALSE(SignalFilter::glob_match("*.busy", "soc.bus.busy_x"));
  EXPECT_TRUE(SignalFilter::glob_match("soc.tile?.regs.*", "soc.tile3.regs.ops"));
  EXPECT_FALSE(SignalFilter::glob_match("soc.tile?.regs.*", "soc.tile10.regs.ops"));
  EXPECT_TRUE(SignalFilter::glob_match("*", ""));
  EXPECT_TRUE(SignalFilter::glob_match("a**b*c", "axxbyybzc"));
  EXPECT_FALSE(SignalFilter::glob_match("a*b*c", "axxbyyb"));
}

TEST(SignalFilter, LastMatchingPatternDecides) {
  EXPECT_TRUE(SignalFilter().selected("soc.bus.busy"));
  EXPECT_TRUE(SignalFilter("").selects_all());

  const SignalFilter adc("soc.tile*.xbar*.adc.*");
  EXPECT_TRUE(adc.selected("soc.tile0.xbar1.adc.power_mw"));
  EXPECT_FALSE(adc.selected("soc.bus.busy"));  // an inclusion list starts from nothing

  const SignalFilter no_ops("!*.ops");  // exclusions only start from everything
  EXPECT_TRUE(no_ops.selected("soc.dram.busy"));
  EXPECT_FALSE(no_ops.selected("soc.dram.ops"));

  const SignalFilter mixed("*.busy, !soc.bus.*  soc.bus.busy");
  EXPECT_TRUE(mixed.selected("soc.dram.busy"));
  EXPECT_TRUE(mixed.selected("soc.bus.busy"));  // re-included by the last pattern
  EXPECT_FALSE(mixed.selected("soc.bus.ops"));
  EXPECT_FALSE(mixed.selected("soc.dram.power_mw"));

  EXPECT_THROW(SignalFilter("*.busy,!"), std::invalid_argument);
  EXPECT_THROW(SignalFilter("soc/tile0"), std::invalid_argument);
}

// Three signals with activity before, inside and after the window [1000, 2000).
struct Windowed {
  VcdFile file;
  uint64_t stopped_at;
};
std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// live: hold the window and open/close it during the run, when the horizon reaches 100 ps
// before each bound (as a training run does at step boundaries).
Windowed write_windowed(const std::string& path, uint64_t start, uint64_t stop, uint64_t max_bytes = 0,
                        bool live = false) {
  VcdWriter vcd(path);
  const SignalId busy = vcd.add_int("soc.xbar.busy", 1);
  const SignalId ops = vcd.add_int("soc.xbar.ops", 8);
  const SignalId power = vcd.add_real("soc.xbar.power_mw", 0.5);
  if (live) vcd.hold_window();
  else vcd.set_window(start, stop);
  vcd.set_max_bytes(max_bytes);
  vcd.begin();
  vcd.add(busy, 500, 1);  // busy from 500 on: a value that must show when the window opens
  for (uint64_t t = 0; t < 3000; t += 100) {
    vcd.add(busy, t, 1);
    vcd.add(busy, t + 60, -1);
    vcd.add(ops, t + 60, 1);
    vcd.add(power, t, 4);
    vcd.add(power, t + 60, -4);
    vcd.flush_before(t);
    if (live && t + 100 == start) vcd.open_window_at(start);
    if (live && t + 100 == stop) vcd.close_window_at(stop);
  }
  vcd.close();
  return {read_vcd(path), vcd.stopped_at_ps()};
}

TEST(TraceWindow, OnlyTheWindowIsWrittenWithCorrectValuesAtItsStart) {
  const Windowed w = write_windowed(out_path(".vcd"), 1000, 2000);
  ASSERT_TRUE(w.file.errors.empty()) << w.file.errors.front();
  // Times: 0 ($dumpvars), the window start, changes inside, the end at the window stop.
  EXPECT_EQ(w.file.times.front(), 0u);
  EXPECT_EQ(w.file.times.at(1), 1000u);
  EXPECT_EQ(w.file.times.back(), 2000u);
  for (uint64_t t : w.file.times) EXPECT_TRUE(t == 0 || (t >= 1000 && t <= 2000)) << t;
  // At 1000: 10 ops done (one per 100 ps before), busy held high by the extra +1 at 500;
  // the changes at 1000 itself follow (power 4 units * 0.5 mW).
  const Timeline ops = changes_of(w.file, "soc.xbar.ops");
  ASSERT_FALSE(ops.empty());
  EXPECT_EQ(ops.front(), (std::pair<uint64_t, std::string>{1000, "1010"}));  // 10
  EXPECT_EQ(ops.back(), (std::pair<uint64_t, std::string>{1960, "10100"}));  // 20
  const Timeline busy = changes_of(w.file, "soc.xbar.busy");
  ASSERT_EQ(busy.size(), 1u);  // high from the window start on; never drops inside it
  EXPECT_EQ(busy.front(), (std::pair<uint64_t, std::string>{1000, "1"}));
  const Timeline power = changes_of(w.file, "soc.xbar.power_mw");
  ASSERT_FALSE(power.empty());
  EXPECT_EQ(power.front().first, 1000u);
  EXPECT_EQ(std::stod(power.front().second), 2.0);
  EXPECT_EQ(w.stopped_at, UINT64_MAX);
}

// The window opens between two changes: its start shows the values reached before it.
TEST(TraceWindow, WindowOpeningBetweenChanges) {
  const Windowed w = write_windowed(out_path(".vcd"), 2930, 10'000);
  const Timeline ops = changes_of(w.file, "soc.xbar.ops");
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops.front(), (std::pair<uint64_t, std::string>{2930, "11101"}));  // 29
  EXPECT_EQ(ops.back(), (std::pair<uint64_t, std::string>{2960, "11110"}));   // 30
  EXPECT_EQ(w.file.times.back(), 2960u);  // the run ends before the window does
}

TEST(TraceWindow, SizeBoundStopsTheDump) {
  const std::string path = out_path(".vcd");
  const Windowed full = write_windowed(path, 0, UINT64_MAX);
  const uint64_t full_size = std::filesystem::file_size(path);
  const Windowed bounded = write_windowed(path, 0, UINT64_MAX, full_size / 2);
  const uint64_t size = std::filesystem::file_size(path);
  EXPECT_LT(size, full_size * 6 / 10);
  EXPECT_GT(size, full_size * 4 / 10);
  EXPECT_NE(bounded.stopped_at, UINT64_MAX);
  EXPECT_EQ(bounded.file.times.back(), bounded.stopped_at);
  EXPECT_LT(bounded.stopped_at, full.file.times.back());
  EXPECT_TRUE(bounded.file.errors.empty());
}

// A window whose bounds become known during the run (training steps) writes the same file as
// one set before it.
TEST(TraceWindow, WindowOpenedAndClosedDuringTheRunMatchesAPresetOne) {
  const std::string preset_path = out_path(".vcd"), live_path = out_path(".vcd");
  const Windowed preset = write_windowed(preset_path, 1000, 2000);
  const Windowed live = write_windowed(live_path, 1000, 2000, 0, true);
  ASSERT_TRUE(live.file.errors.empty()) << live.file.errors.front();
  EXPECT_EQ(read_text(preset_path), read_text(live_path));
  // Opened at a time already written: opens at the horizon, with the value reached by then.
  const std::string path = out_path(".vcd");
  VcdWriter vcd(path);
  const SignalId ops = vcd.add_int("soc.xbar.ops", 8);
  vcd.hold_window();
  vcd.begin();
  vcd.add(ops, 100, 1);
  vcd.flush_before(200);
  vcd.open_window_at(50);
  vcd.add(ops, 300, 1);
  vcd.close();
  EXPECT_THROW(vcd.hold_window(), std::logic_error);
  const Timeline seen = changes_of(read_vcd(path), "soc.xbar.ops");
  ASSERT_EQ(seen.size(), 2u);  // after the initial value
  EXPECT_EQ(seen[0], (std::pair<uint64_t, std::string>{200, "1"}));
  EXPECT_EQ(seen[1], (std::pair<uint64_t, std::string>{300, "10"}));
}

TEST(TraceWindow, BadWindows) {
  VcdWriter vcd(out_path(".vcd"));
  EXPECT_THROW(vcd.set_window(10, 10), std::invalid_argument);
  vcd.begin();
  EXPECT_THROW(vcd.set_window(0, 10), std::logic_error);
}

}  // namespace
}  // namespace memgan::trace
