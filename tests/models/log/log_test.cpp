// The models' logger (models/base/log.h): one line per message through SystemC's report
// handler, "[L <time> us] <name>: <message>", filtered by the level.
#include <gtest/gtest.h>
#include <systemc>

#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

#include "models/base/log.h"

using namespace memgan;

namespace {

// A thread to log from at a simulated time other than 0 (a socket-less stimulus).
struct Thread : sc_core::sc_module {
  std::function<void()> body;
  bool finished = false;
  SC_HAS_PROCESS(Thread);
  Thread(sc_core::sc_module_name name, std::function<void()> f) : sc_module(name), body(std::move(f)) {
    SC_THREAD(run);
  }
  void run() {
    body();
    finished = true;
  }
};

}  // namespace

TEST(Log, AtWarningLevelWarningsPrintAndInfosDoNot) {
  set_log_level(LogLevel::Warning);
  EXPECT_EQ(log_level(), LogLevel::Warning);
  const Logger log("soc.dma");
  EXPECT_TRUE(log.enabled(LogLevel::Warning));
  EXPECT_FALSE(log.enabled(LogLevel::Info));
  testing::internal::CaptureStderr();
  log.warning("burst of 3 bytes");
  log.info("copy started");
  log.debug("burst 0");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "[W 0.000000 us] soc.dma: burst of 3 bytes\n");
}

TEST(Log, AtInfoLevelInfosPrintAtTheSimulatedTime) {
  set_log_level(LogLevel::Info);
  const Logger log("soc.tile0");
  std::string out;
  Thread thread("thread", [&] {
    sc_core::wait(sc_core::sc_time(1234567, sc_core::SC_PS));
    testing::internal::CaptureStderr();
    log.info("START of 4 vectors");
    log.warning("ADC saturated");
    log.debug("not at info");
    out = testing::internal::GetCapturedStderr();
  });
  sc_core::sc_start();
  EXPECT_TRUE(thread.finished);
  EXPECT_EQ(out, "[I 1.234567 us] soc.tile0: START of 4 vectors\n[W 1.234567 us] soc.tile0: ADC saturated\n");
}

TEST(Log, AtDebugLevelDebugLinesPrint) {
  set_log_level(LogLevel::Debug);
  const Logger log("soc.noise");
  testing::internal::CaptureStderr();
  log.debug("pair 3");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "[D 0.000000 us] soc.noise: pair 3\n");
}

TEST(Log, AtErrorLevelOnlyErrorsPrintAndTheyDoNotThrow) {
  set_log_level(LogLevel::Error);
  const Logger log("soc.bus");
  testing::internal::CaptureStderr();
  log.warning("dropped");
  EXPECT_NO_THROW(log.error("no target at 0x5000"));
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "[E 0.000000 us] soc.bus: no target at 0x5000\n");
}

TEST(Log, TraceLinesPrintAtAnyLevelAtTheirLocalTime) {
  set_log_level(LogLevel::Error);
  const Logger log("soc.bus");
  testing::internal::CaptureStderr();
  log.trace(sc_core::sc_time(2.5, sc_core::SC_NS), "RD 0x00001000 [4]");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "[T 0.002500 us] soc.bus: RD 0x00001000 [4]\n");
}

TEST(Log, ParsesTheLevelsAndRejectsOthersNamingTheChoices) {
  EXPECT_EQ(parse_log_level("error"), LogLevel::Error);
  EXPECT_EQ(parse_log_level("warning"), LogLevel::Warning);
  EXPECT_EQ(parse_log_level("info"), LogLevel::Info);
  EXPECT_EQ(parse_log_level("debug"), LogLevel::Debug);
  try {
    parse_log_level("loud");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'loud'"), std::string::npos) << what;
    EXPECT_NE(what.find("error, warning, info, debug"), std::string::npos) << what;
  }
  EXPECT_THROW(parse_log_level("Warning"), std::invalid_argument) << "levels are lower case";
}
