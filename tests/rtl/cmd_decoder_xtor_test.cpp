// The Verilated command decoder behind its transactor (models/cmd_decoder/cmd_decoder_transactor.h):
// decodes as the C++ model does (random programs), one command per clock; parse_image rejects
// every kind of malformed image with the same message whichever decoder runs; and on the
// assembled SoC (arch.rtl.cmd_decoder) the controller boots through it. One elaboration per
// process: each TEST runs in its own process (memgan_add_sc_gtest_each).
#include <zlib.h>

#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <systemc>

#include "spec/isa/cmd_decoder.h"
#include "core/config/loader.h"
#include "spec/memory_map.h"
#include "firmware/program_builder.h"
#include "models/cmd_decoder/cmd_decoder_transactor.h"
#include "platform/soc.h"
#include "spec/regs/tile.h"

using namespace memgan;
using namespace memgan::firmware;

namespace {

const sc_core::sc_time kClock(1, sc_core::SC_NS);
const uint32_t kRows = static_cast<uint32_t>(memory_map::tile_base(0) + tile_map::kRows);

// The image with command `index`'s opcode replaced and the checksum redone (ProgramBuilder
// writes only known opcodes).
std::vector<uint8_t> with_opcode(std::vector<uint8_t> image, size_t index, uint32_t op) {
  std::memcpy(&image[kHeaderBytes + index * kCommandBytes], &op, 4);  // the host is little-endian
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), image.data() + kHeaderBytes, uInt(image.size() - kHeaderBytes));
  const auto c = static_cast<uint32_t>(crc);
  std::memcpy(&image[12], &c, 4);
  return image;
}

std::vector<uint8_t> version1(std::vector<uint8_t> image) {
  image[4] = 1;  // the checksum covers only the commands
  return image;
}

struct Driver : sc_core::sc_module {
  rtl::CmdDecoderTransactor xtor{"xtor", kClock};
  std::function<void(Driver&)> body;
  explicit Driver(sc_core::sc_module_name n) : sc_module(n) {
    SC_HAS_PROCESS(Driver);
    SC_THREAD(run);
  }
  void run() { body(*this); }
};

std::string error_of(const std::vector<uint8_t>& image, const AddressCheck& mapped, const ProgramDecoder& decode) {
  try {
    parse_image(image, mapped, decode);
  } catch (const ImageError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(CmdDecoderXtor, DecodesRandomProgramsAsTheModelOneCommandPerClock) {
  Driver d("driver");
  int checked = 0;
  d.body = [&checked](Driver& self) {
    std::mt19937 rng(7);
    const auto pick = [&](uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng); };
    const uint32_t ops[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0F, 0x06, 0x10, 0xFFFFFFFF};
    for (int p = 0; p < 100; ++p) {
      const uint32_t count = 1 + pick(60);
      const auto version = static_cast<uint16_t>(1 + pick(2));
      std::vector<RawCommand> raw(count);
      for (uint32_t i = 0; i < count; ++i) {
        raw[i].op = i + 1 == count && pick(2) ? 0x0F : ops[pick(10)];
        raw[i].a = pick(2) ? 0x30000000u + pick(64) : i + pick(3) - 1;
        raw[i].b = pick(3);
        raw[i].c = uint32_t(rng());
      }
      std::vector<DecodedCommand> want(count), got(count);
      decode_with_model(raw.data(), count, version, want.data());
      const uint64_t clocks0 = self.xtor.clocks();
      const sc_core::sc_time t0 = sc_core::sc_time_stamp();
      self.xtor.decode(raw.data(), count, version, got.data());
      for (uint32_t i = 0; i < count; ++i) {
        EXPECT_EQ(got[i].error, want[i].error) << "program " << p << " command " << i;
        EXPECT_EQ(got[i].cmd.op, want[i].cmd.op) << "program " << p << " command " << i;
        EXPECT_EQ(got[i].cmd.a, want[i].cmd.a);
        EXPECT_EQ(got[i].cmd.b, want[i].cmd.b);
        EXPECT_EQ(got[i].cmd.c, want[i].cmd.c);
        ++checked;
      }
      // One clock per command and one idle clock (plus the reset clock before the first).
      EXPECT_EQ(self.xtor.clocks() - clocks0, count + 1 + (p == 0 ? 1 : 0));
      EXPECT_EQ(sc_core::sc_time_stamp() - t0, kClock * double(self.xtor.clocks() - clocks0));
    }
  };
  sc_core::sc_start();
  EXPECT_GT(checked, 2000);
  EXPECT_EQ(d.xtor.commands(), uint64_t(checked));
}

TEST(CmdDecoderXtor, RejectsMalformedImagesWithTheModelsMessages) {
  Driver d("driver");
  const auto mapped = [](uint32_t addr) { return addr >= 0x30000000; };
  struct Case {
    std::vector<uint8_t> image;
    std::string want;
  };
  std::vector<Case> cases = {
      {ProgramBuilder().write32(0x30000010, 1).poll32(0x30000004, 1, 0).wait(7).end().image(), "no error"},
      {with_opcode(ProgramBuilder().nop().nop().nop().end().image(), 2, 0x17), "command 2: unknown opcode 0x17"},
      // The first unknown opcode wins over an earlier command's other errors.
      {with_opcode(ProgramBuilder().write32(0x30000002, 1).nop().end().image(), 1, 0xFFFFFFFF),
       "command 1: unknown opcode 0xffffffff"},
      {ProgramBuilder().wait(1).image(), "the last command is not END"},
      {ProgramBuilder().wait(1).end().wait(2).end().image(), "command 1: END before the last command (3)"},
      {ProgramBuilder().nop().write32(0x30000002, 1).end().image(),
       "command 1: WRITE32 address 0x30000002 is not 4-byte aligned"},
      {ProgramBuilder().poll32(0x30000005, 1, 0).end().image(),
       "command 0: POLL32 address 0x30000005 is not 4-byte aligned"},
      {ProgramBuilder().wait(1).wait(1).expect32(0x3000000B, 1, 0).end().image(),
       "command 2: EXPECT32 address 0x3000000b is not 4-byte aligned"},
      {ProgramBuilder().write32(0x30000000, 1).nop().expect32(0x20000000, 1, 0).end().image(),
       "command 2: EXPECT32 address 0x20000000 is not mapped"},
      // An unmapped register before an unaligned one: program and decoder checks interleave
      // command by command.
      {ProgramBuilder().write32(0x20000000, 1).write32(0x30000001, 1).end().image(),
       "command 0: WRITE32 address 0x20000000 is not mapped"},
      {version1(ProgramBuilder().nop().loop(0, 2).end().image()),
       "command 1: LOOP needs image version 2 (this image is version 1)"},
      {ProgramBuilder().nop().loop(1, 2).end().image(), "command 1: LOOP body start 1 is not before the LOOP"},
      {ProgramBuilder().nop().loop(7, 2).end().image(), "command 1: LOOP body start 7 is not before the LOOP"},
      {ProgramBuilder().nop().nop().loop(1, 0).end().image(), "command 2: LOOP with 0 iterations"},
      {ProgramBuilder().nop().nop().loop(0, 2).loop(1, 2).end().image(),
       "command 3: LOOP body [1, 3) crosses the body [0, 2) of the LOOP at command 2"},
      // Errors on the last command win over its missing END.
      {ProgramBuilder().nop().write32(0x30000003, 1).image(),
       "command 1: WRITE32 address 0x30000003 is not 4-byte aligned"},
      {ProgramBuilder().nop().nop().loop(0, 2).loop(1, 2).image(),
       "command 3: LOOP body [1, 3) crosses the body [0, 2) of the LOOP at command 2"},
  };
  {
    ProgramBuilder deep;  // nine nested loops, each body holding the previous LOOP
    for (int k = 0; k < 9; ++k) deep.nop();
    for (int k = 0; k < 9; ++k) deep.loop(uint32_t(8 - k), 2);
    cases.push_back({deep.end().image(), "command 17: LOOP nests 9 deep (at most 8)"});
  }
  int checked = 0;
  d.body = [&](Driver& self) {
    const ProgramDecoder rtl = [&self](const RawCommand* raw, uint32_t n, uint16_t version, DecodedCommand* out) {
      self.xtor.decode(raw, n, version, out);
    };
    for (const Case& c : cases) {
      const uint64_t before = self.xtor.commands();
      EXPECT_EQ(error_of(c.image, mapped, {}), c.want);
      EXPECT_EQ(error_of(c.image, mapped, rtl), c.want);
      EXPECT_GT(self.xtor.commands(), before) << c.want << ": the RTL did not run";
      ++checked;
    }
  };
  sc_core::sc_start();
  EXPECT_EQ(checked, int(cases.size()));
}

namespace {

struct Bench {
  config::LoadedConfig cfg;
  RunObserver observer{1000000, nullptr};
  std::unique_ptr<Soc> soc;

  Bench(const std::vector<uint8_t>& program, const std::string& mode) {
    cfg = config::load_config(std::string(MEMGAN_SOURCE_DIR) + "/configs/default.yaml",
                              {"arch.rtl.cmd_decoder=" + mode});
    soc = std::make_unique<Soc>("soc", cfg.config, observer);
    std::memcpy(soc->dram().data(), program.data(), program.size());
  }
};

// A register write that reaches the tile, then a LOOP whose body starts after it.
const std::string kBadLoop = "boot: program image at 0x00000000: command 2: LOOP body start 5 is not before the LOOP";
std::vector<uint8_t> bad_loop_image() { return ProgramBuilder().wait(1).write32(kRows, 5).loop(5, 2).end().image(); }

}  // namespace

TEST(CmdDecoderSoc, TlmRejectsAMalformedImageAtBoot) {
  Bench b(bad_loop_image(), "tlm");
  EXPECT_EQ(b.soc->rtl_cmd_decoder(), nullptr);
  sc_core::sc_start();
  EXPECT_EQ(b.soc->controller().outcome(), Controller::Outcome::FirmwareError);
  EXPECT_EQ(b.soc->controller().error(), kBadLoop);
}

TEST(CmdDecoderSoc, RtlRejectsAMalformedImageAtBootWithTheSameMessage) {
  Bench b(bad_loop_image(), "rtl");
  ASSERT_NE(b.soc->rtl_cmd_decoder(), nullptr);
  sc_core::sc_start();
  EXPECT_EQ(b.soc->controller().outcome(), Controller::Outcome::FirmwareError);
  EXPECT_EQ(b.soc->controller().error(), kBadLoop);
  EXPECT_EQ(b.soc->rtl_cmd_decoder()->commands(), 4u);
  EXPECT_EQ(b.soc->controller().commands_executed(), 0);
}

TEST(CmdDecoderSoc, RtlDecodesTheBootProgramAndRunsIt) {
  ProgramBuilder pb;
  pb.nop().write32(kRows, 5).wait(100).loop(1, 3).loop(0, 4).end();
  Bench b(pb.image(), "rtl");
  auto* xtor = b.soc->rtl_cmd_decoder();
  ASSERT_NE(xtor, nullptr);
  EXPECT_STREQ(xtor->name(), "soc.controller.cmd_decoder");
  sc_core::sc_start();
  const Controller& c = b.soc->controller();
  ASSERT_EQ(c.outcome(), Controller::Outcome::Completed) << c.error();
  EXPECT_EQ(c.commands_executed(), 4 * (1 + 3 * 3 + 1) + 1);
  // Every command once through the RTL at boot: reset, six commands, one idle clock.
  EXPECT_EQ(xtor->commands(), 6u);
  EXPECT_EQ(xtor->clocks(), 8u);
  EXPECT_GE(c.end_time(), sc_core::sc_time(1200 + 8, sc_core::SC_NS));
}
