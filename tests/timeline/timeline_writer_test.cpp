#include "core/timeline/timeline_writer.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace memgan::timeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string temp_path(const std::string& tag) {
  return (fs::temp_directory_path() /
          ("memgan_timeline_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + tag +
           ".json"))
      .string();
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

json events_named(const json& doc, const std::string& name) {
  json out = json::array();
  for (const auto& e : doc["traceEvents"]) {
    if (e["name"] == name) out.push_back(e);
  }
  return out;
}

// The tracks of a run and an MVM with its args, as a viewer reads them.
void write_sample(TimelineWriter& w) {
  const TrackId xbar = w.track("tile0", "xbar0");
  const TrackId bus = w.track("bus", "bus");
  const TrackId dram = w.track("dram", "dram");
  EXPECT_EQ(w.track("tile0", "xbar0"), xbar);
  w.complete(xbar, "mvm", 1'234'567, 3'000'000,
             {{"layer", std::string("up0")}, {"phase", std::string("forward")}, {"dataflow", std::string("zero_free")},
              {"mvms", int64_t{256}}, {"energy_pJ", 1234.5}});
  w.complete(bus, "write", 0, 2'000, {{"bytes", int64_t{64}}});
  w.complete(dram, "read \"weights\"\n", 5'000'000'000, 5'000'000'001);
  w.counter("power", "total_W", 1'000'000, 0.411);
}

TEST(TimelineWriter, ChromeTraceStructure) {
  const std::string path = temp_path("");
  {
    TimelineWriter w(path);
    write_sample(w);
    w.close();
    EXPECT_EQ(w.events(), 4u);
    EXPECT_FALSE(w.truncated());
    EXPECT_EQ(w.bytes_written(), fs::file_size(path));
  }
  const json doc = json::parse(slurp(path));
  EXPECT_EQ(doc["displayTimeUnit"], "ns");
  EXPECT_EQ(doc["otherData"]["truncated"], false);
  const json procs = events_named(doc, "process_name");
  ASSERT_EQ(procs.size(), 4u);
  EXPECT_EQ(procs[0]["args"]["name"], "tile0");
  EXPECT_EQ(procs[0]["pid"], 1);
  EXPECT_EQ(procs[3]["args"]["name"], "power");
  const json threads = events_named(doc, "thread_name");
  ASSERT_EQ(threads.size(), 3u);
  EXPECT_EQ(threads[0]["args"]["name"], "xbar0");
  EXPECT_EQ(threads[2]["pid"], 3);  // dram's thread in dram's process
  EXPECT_EQ(events_named(doc, "thread_sort_index").size(), 3u);

  const json mvm = events_named(doc, "mvm").at(0);
  EXPECT_EQ(mvm["ph"], "X");
  EXPECT_EQ(mvm["pid"], 1);
  EXPECT_EQ(mvm["tid"], 1);
  EXPECT_DOUBLE_EQ(mvm["ts"].get<double>(), 1.234567);  // microseconds
  EXPECT_DOUBLE_EQ(mvm["dur"].get<double>(), 1.765433);
  EXPECT_EQ(mvm["args"]["layer"], "up0");
  EXPECT_EQ(mvm["args"]["dataflow"], "zero_free");
  EXPECT_EQ(mvm["args"]["mvms"], 256);
  EXPECT_DOUBLE_EQ(mvm["args"]["energy_pJ"].get<double>(), 1234.5);
  const json dram = events_named(doc, "read \"weights\"\n").at(0);  // escaped and read back intact
  EXPECT_DOUBLE_EQ(dram["ts"].get<double>(), 5000);
  EXPECT_DOUBLE_EQ(dram["dur"].get<double>(), 0.000001);
  const json power = events_named(doc, "total_W").at(0);
  EXPECT_EQ(power["ph"], "C");
  EXPECT_DOUBLE_EQ(power["args"]["value"].get<double>(), 0.411);
  // Exact decimals in the text, not binary approximations.
  EXPECT_NE(slurp(path).find("\"ts\":1.234567,\"dur\":1.765433"), std::string::npos);
  fs::remove(path);
}

TEST(TimelineWriter, SameCallsGiveSameBytes) {
  const std::string a = temp_path("a"), b = temp_path("b");
  for (const auto& p : {a, b}) {
    TimelineWriter w(p);
    write_sample(w);
  }
  EXPECT_EQ(slurp(a), slurp(b));
  fs::remove(a);
  fs::remove(b);
}

TEST(TimelineWriter, CapDropsEventsAndMarksTheTruncation) {
  const std::string path = temp_path("");
  {
    TimelineWriter w(path, 3);
    const TrackId t = w.track("tile0", "xbar0");
    for (uint64_t i = 0; i < 10; ++i) w.complete(t, "mvm", i * 1'000'000, i * 1'000'000 + 500'000);
    EXPECT_EQ(w.events(), 3u);
    EXPECT_EQ(w.dropped(), 7u);
  }
  const json doc = json::parse(slurp(path));
  EXPECT_EQ(events_named(doc, "mvm").size(), 3u);
  EXPECT_EQ(doc["otherData"]["truncated"], true);
  EXPECT_EQ(doc["otherData"]["dropped"], 7);
  const json marker = events_named(doc, "timeline truncated: 7 events dropped after the first 3");
  ASSERT_EQ(marker.size(), 1u);
  EXPECT_EQ(marker[0]["ph"], "i");
  EXPECT_EQ(marker[0]["s"], "g");
  EXPECT_DOUBLE_EQ(marker[0]["ts"].get<double>(), 3);  // the first dropped event's time
  EXPECT_EQ(marker[0]["args"]["dropped"], 7);
  fs::remove(path);
}

// An interrupted run or an exception unwinding past the writer still leaves valid JSON.
TEST(TimelineWriter, DestructorClosesEarly) {
  const std::string path = temp_path("");
  try {
    TimelineWriter w(path);
    w.complete(w.track("bus", "bus"), "write", 0, 10);
    throw std::runtime_error("simulation aborted");
  } catch (const std::runtime_error&) {
  }
  const json doc = json::parse(slurp(path));
  EXPECT_EQ(events_named(doc, "write").size(), 1u);
  // An empty timeline is valid too.
  { TimelineWriter w(path); }
  EXPECT_EQ(json::parse(slurp(path))["traceEvents"].size(), 0u);
  fs::remove(path);
}

TEST(TimelineWriter, Errors) {
  EXPECT_THROW(TimelineWriter("/nonexistent/dir/timeline.json"), std::runtime_error);
  const std::string path = temp_path("");
  TimelineWriter w(path);
  const TrackId t = w.track("tile0", "xbar0");
  EXPECT_THROW(w.complete(t, "mvm", 10, 9), std::invalid_argument);
  EXPECT_THROW(w.complete(t + 1, "mvm", 0, 1), std::out_of_range);
  EXPECT_THROW(w.track("", "x"), std::invalid_argument);
  w.complete(t, "nan energy", 0, 1, {{"energy_pJ", std::nan("")}});
  w.close();
  w.close();  // idempotent
  EXPECT_THROW(w.complete(t, "mvm", 0, 1), std::logic_error);
  EXPECT_TRUE(events_named(json::parse(slurp(path)), "nan energy").at(0)["args"]["energy_pJ"].is_null());
  fs::remove(path);
}

}  // namespace
}  // namespace memgan::timeline
