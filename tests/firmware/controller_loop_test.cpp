// The controller runs LOOPs on the assembled SoC, reports progress against the expanded
// length, and refuses at boot an image that names an unmapped register.
#include <cstring>

#include <gtest/gtest.h>
#include <systemc>

#include "core/config/loader.h"
#include "spec/memory_map.h"
#include "firmware/program_builder.h"
#include "platform/soc.h"
#include "spec/regs/tile.h"

using namespace memgan;

namespace {

const std::string kDefault = std::string(MEMGAN_SOURCE_DIR) + "/configs/default.yaml";

struct Bench {
  config::LoadedConfig cfg;
  RunObserver observer{1000000, nullptr};
  std::unique_ptr<Soc> soc;

  explicit Bench(const std::vector<uint8_t>& program) {
    cfg = config::load_config(kDefault, {});
    soc = std::make_unique<Soc>("soc", cfg.config, observer);
    std::memcpy(soc->dram().data(), program.data(), program.size());
  }
};

const uint32_t kRows = static_cast<uint32_t>(memory_map::tile_base(0) + tile_map::kRows);

}  // namespace

TEST(ControllerLoop, RunsNestedLoopsAndReportsTheExpandedLength) {
  firmware::ProgramBuilder pb;
  pb.nop();               // 0
  pb.write32(kRows, 5);   // 1
  pb.wait(100);           // 2
  pb.loop(1, 3);          // 3
  pb.loop(0, 4);          // 4
  pb.end();               // 5
  Bench b(pb.image());
  std::vector<std::pair<int64_t, int64_t>> progress;
  b.soc->controller().on_progress([&](int64_t done, int64_t total) { progress.emplace_back(done, total); });
  sc_core::sc_start();
  const Controller& c = b.soc->controller();
  ASSERT_EQ(c.outcome(), Controller::Outcome::Completed) << c.error();
  const int64_t want = 4 * (1 + 3 * 3 + 1) + 1;
  EXPECT_EQ(int64_t(firmware::executed_length(pb.commands())), want);
  EXPECT_EQ(c.commands_executed(), want);
  ASSERT_EQ(progress.size(), size_t(want));
  for (size_t i = 0; i < progress.size(); ++i) {
    EXPECT_EQ(progress[i].first, int64_t(i) + 1);
    EXPECT_EQ(progress[i].second, want);
  }
  // Twelve WAITs of 100 clocks at 1 GHz.
  EXPECT_GE(c.end_time(), sc_core::sc_time(1200, sc_core::SC_NS));
}

TEST(ControllerLoop, RejectsAnUnmappedRegisterAtBoot) {
  const auto image = firmware::ProgramBuilder().wait(1).write32(0x20000000, 1).end().image();
  Bench b(image);
  sc_core::sc_start();
  const Controller& c = b.soc->controller();
  EXPECT_EQ(c.outcome(), Controller::Outcome::FirmwareError);
  EXPECT_EQ(c.error(), "boot: program image at 0x00000000: command 1: WRITE32 address 0x20000000 is not mapped");
  EXPECT_EQ(c.commands_executed(), 0);
}
