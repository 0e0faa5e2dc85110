// Pin-level equivalence of the Verilated command decoder (rtl/cmd_decoder.sv, clocked directly
// through eval()) with its C++ golden model (spec/isa/cmd_decoder.h): corner commands and
// several thousand random ones, streamed one per clock.
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "Vcmd_decoder_cc.h"
#include "tests/rtl/cc_clock.h"
#include "spec/isa/cmd_decoder.h"
#include "verilated.h"

using namespace memgan::firmware;

namespace {

struct Input {
  RawCommand raw;
  uint32_t index, count;
  uint16_t version;
};

std::string describe(const Input& in) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "op 0x%08x a 0x%08x b 0x%08x c 0x%08x index %u count %u version %u", in.raw.op,
                in.raw.a, in.raw.b, in.raw.c, in.index, in.count, unsigned(in.version));
  return buf;
}

class CmdDecoderRtl : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_ = std::make_unique<VerilatedContext>();
    dut_ = std::make_unique<Vcmd_decoder_cc>(ctx_.get());
    dut_->rst_n = 0;
    dut_->in_valid = 0;
    tick();
    EXPECT_FALSE(dut_->out_valid);
    dut_->rst_n = 1;
  }
  void tick() { memgan::rtl::test::clock_cycle(*dut_); }
  // Streams the inputs back to back (one per clock) and checks each decode one clock later.
  void check(const std::vector<Input>& inputs) {
    for (std::size_t k = 0; k <= inputs.size(); ++k) {
      if (k < inputs.size()) {
        const Input& in = inputs[k];
        dut_->in_valid = 1;
        dut_->in_op = in.raw.op, dut_->in_a = in.raw.a, dut_->in_b = in.raw.b, dut_->in_c = in.raw.c;
        dut_->in_index = in.index, dut_->in_count = in.count, dut_->in_version = in.version;
      } else {
        dut_->in_valid = 0;
      }
      tick();
      if (k == inputs.size()) {
        EXPECT_FALSE(dut_->out_valid) << "out_valid stays high after the last command";
        break;
      }
      const Input& in = inputs[k];
      const DecodedCommand want = decode_command_checked(in.raw, in.index, in.version, in.count);
      ASSERT_TRUE(dut_->out_valid) << describe(in);
      ASSERT_EQ(dut_->out_index, in.index) << describe(in);
      ASSERT_EQ(unsigned(dut_->out_error), unsigned(want.error)) << describe(in);
      ASSERT_EQ(unsigned(dut_->out_op), unsigned(want.cmd.op)) << describe(in);
      ASSERT_EQ(bool(dut_->out_reg), known_opcode(in.raw.op) && is_register_access(want.cmd.op)) << describe(in);
      ASSERT_EQ(dut_->out_a, want.cmd.a) << describe(in);
      ASSERT_EQ(dut_->out_b, want.cmd.b) << describe(in);
      ASSERT_EQ(dut_->out_c, want.cmd.c) << describe(in);
      ++errors_seen_[static_cast<int>(want.error)];
    }
  }
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vcmd_decoder_cc> dut_;
  int errors_seen_[kMaxDecodeError + 1] = {};
};

const uint32_t kOpcodes[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0F};

TEST_F(CmdDecoderRtl, CornerCommandsMatchTheModel) {
  std::vector<Input> in;
  const uint32_t ones = 0xFFFFFFFFu;
  in.push_back({{0, 0, 0, 0}, 0, 1, 2});                  // all-zero word: NOP as the only command
  in.push_back({{0, 0, 0, 0}, 0, 0, 2});                  // ... in a program of no commands
  in.push_back({{ones, ones, ones, ones}, 0, 1, 2});      // all-ones word
  in.push_back({{ones, ones, ones, ones}, ones, ones, 0xFFFF});
  in.push_back({{ones, ones, ones, ones}, ones - 1, ones, 0xFFFF});
  for (uint32_t op : kOpcodes) {
    for (uint16_t version : {uint16_t(0), uint16_t(1), uint16_t(2), uint16_t(0xFFFF)}) {
      for (uint32_t count : {1u, 2u, 7u, ones}) {
        for (uint32_t index : {0u, 1u, count - 1, count - 2, count, ones}) {
          for (uint32_t a : {0u, 1u, 2u, 3u, 4u, index - 1, index, index + 1, ones, 0x30000004u}) {
            for (uint32_t b : {0u, 1u, ones}) in.push_back({{op, a, b, 0x5A5A5A5Au}, index, count, version});
          }
        }
      }
    }
  }
  // Opcodes one bit away from valid ones, and the largest index of a program.
  for (uint32_t op : kOpcodes) {
    for (int bit = 0; bit < 32; ++bit) in.push_back({{op ^ (1u << bit), 4, 1, 0}, 3, 5, 2});
    in.push_back({{op, ones - 2, 1, 0}, ones - 1, ones, 2});
  }
  check(in);
  for (int e = 0; e <= kMaxDecodeError; ++e) EXPECT_GT(errors_seen_[e], 0) << "error code " << e << " never seen";
}

TEST_F(CmdDecoderRtl, RandomCommandsMatchTheModel) {
  std::mt19937 rng(20240606);
  std::uniform_int_distribution<uint32_t> any;
  const auto pick = [&](uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng); };
  std::vector<Input> in;
  for (int k = 0; k < 20000; ++k) {
    Input x{};
    // Mostly valid opcodes, the rest anything (mostly invalid).
    x.raw.op = pick(4) != 0 ? kOpcodes[pick(7)] : (pick(2) ? pick(32) : any(rng));
    x.count = pick(3) != 0 ? 1 + pick(64) : any(rng);
    x.index = pick(8) != 0 ? pick(x.count == 0 ? 1 : x.count) : (pick(2) ? x.count - 1 : any(rng));
    if (pick(16) == 0) x.index = x.count + pick(4);  // beyond the program
    x.version = static_cast<uint16_t>(pick(8) != 0 ? 1 + pick(2) : pick(65536));
    // a: aligned or not register addresses, loop starts around the index.
    switch (pick(4)) {
      case 0: x.raw.a = 0x30000000u + 4 * pick(1024); break;
      case 1: x.raw.a = 0x30000000u + pick(4096); break;
      case 2: x.raw.a = x.index + pick(5) - 2; break;
      default: x.raw.a = any(rng);
    }
    x.raw.b = pick(4) == 0 ? 0 : (pick(2) ? pick(5) : any(rng));
    x.raw.c = any(rng);
    in.push_back(x);
  }
  check(in);
  for (int e = 0; e <= kMaxDecodeError; ++e) EXPECT_GT(errors_seen_[e], 10) << "error code " << e << " rarely seen";
}

// A valid program decodes without errors; each decode waits in the output register until the
// next command is accepted, idle clocks in between.
TEST_F(CmdDecoderRtl, HoldsItsOutputWhileIdle) {
  const std::vector<Input> prog = {{{0x01, 0x30000010, 7, 0}, 0, 3, 2},
                                   {{0x05, 0, 4, 0}, 1, 3, 2},
                                   {{0x0F, 0, 0, 0}, 2, 3, 2}};
  for (const Input& x : prog) {
    check({x});
    EXPECT_EQ(dut_->out_error, 0);
    tick();
    EXPECT_FALSE(dut_->out_valid);
    EXPECT_EQ(dut_->out_index, x.index);
    EXPECT_EQ(dut_->out_a, x.raw.a);
  }
}

}  // namespace
