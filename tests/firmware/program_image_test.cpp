// Program image: the builder's bytes follow the documented layout, LOOP runs its body as
// documented, and every kind of malformed image is rejected with a message that says what is
// wrong.
#include <cstring>
#include <limits>

#include <gtest/gtest.h>

#include "firmware/program_builder.h"
#include "spec/isa/cmd_decoder.h"

using namespace memgan::firmware;

uint32_t test_crc(const uint8_t* p, size_t n);  // crc_helper.cpp: zlib crc32, as the image uses

namespace {

std::vector<uint8_t> sample() {
  return ProgramBuilder().write32(0x30000010, 0x1234).poll32(0x30000004, 1, 0).wait(7).end().image();
}

uint32_t u32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, &b[at], 4);  // the test host is little-endian like the image
  return v;
}

std::string error_of(const std::vector<uint8_t>& image) {
  try {
    parse_image(image);
  } catch (const ImageError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(ProgramImage, LayoutMatchesTheDocumentation) {
  const auto b = sample();
  ASSERT_EQ(b.size(), 16u + 4 * 16u);
  EXPECT_EQ(u32(b, 0), 0x4950474Du);           // "MGPI"
  EXPECT_EQ(b[4] | b[5] << 8, 2);              // version
  EXPECT_EQ(b[6] | b[7] << 8, 16);             // header bytes
  EXPECT_EQ(u32(b, 8), 4u);                    // command count
  EXPECT_EQ(u32(b, 16), 0x01u);                // WRITE32
  EXPECT_EQ(u32(b, 20), 0x30000010u);
  EXPECT_EQ(u32(b, 24), 0x1234u);
  EXPECT_EQ(u32(b, 32), 0x02u);                // POLL32 addr mask value
  EXPECT_EQ(u32(b, 36), 0x30000004u);
  EXPECT_EQ(u32(b, 40), 1u);
  EXPECT_EQ(u32(b, 44), 0u);
  EXPECT_EQ(u32(b, 48), 0x04u);                // WAIT
  EXPECT_EQ(u32(b, 52), 7u);
  EXPECT_EQ(u32(b, 64), 0x0Fu);                // END
}

TEST(ProgramImage, RoundTripsAndDisassembles) {
  const auto cmds = parse_image(sample());
  ASSERT_EQ(cmds.size(), 4u);
  EXPECT_EQ(cmds[0].op, Opcode::Write32);
  EXPECT_EQ(cmds[1].b, 1u);
  const std::string listing = disassemble_image(sample());
  EXPECT_NE(listing.find("WRITE32  [0x30000010] <- 0x00001234"), std::string::npos) << listing;
  EXPECT_NE(listing.find("POLL32   [0x30000004] & 0x00000001 == 0x00000000"), std::string::npos) << listing;
  EXPECT_NE(listing.find("WAIT     7 cycles"), std::string::npos) << listing;
  EXPECT_NE(listing.find("END"), std::string::npos);
}

TEST(ProgramImage, RejectsBadMagic) {
  auto b = sample();
  b[0] = 'X';
  EXPECT_NE(error_of(b).find("bad magic"), std::string::npos) << error_of(b);
}

TEST(ProgramImage, RejectsWrongVersion) {
  auto b = sample();
  b[4] = 3;
  EXPECT_EQ(error_of(b), "image version 3 is not supported (this controller runs versions 1 to 2; bytes 4..5)");
  b[4] = 0;
  EXPECT_EQ(error_of(b), "image version 0 is not supported (this controller runs versions 1 to 2; bytes 4..5)");
}

TEST(ProgramImage, ReadsVersion1ImagesWithoutLoops) {
  auto b = sample();
  b[4] = 1;  // the checksum covers only the commands
  EXPECT_EQ(error_of(b), "no error");
  EXPECT_EQ(parse_image(b).size(), 4u);
  EXPECT_EQ(disassemble_image(b).rfind("; memgan program image v1, 4 commands", 0), 0u) << disassemble_image(b);
  auto looped = ProgramBuilder().nop().loop(0, 2).end().image();
  looped[4] = 1;
  EXPECT_EQ(error_of(looped), "command 1: LOOP needs image version 2 (this image is version 1)");
}

TEST(ProgramImage, RejectsTruncatedImage) {
  auto b = sample();
  b.resize(b.size() - 1);
  EXPECT_EQ(error_of(b), "4 commands need 80 bytes but only 79 are available (count at bytes 8..11)");
  EXPECT_EQ(error_of({1, 2, 3}), "image of 3 bytes is shorter than its 16-byte header");
}

TEST(ProgramImage, RejectsHugeCommandCountWithoutReadingPastTheEnd) {
  auto b = sample();
  b[8] = b[9] = b[10] = b[11] = 0xFF;
  EXPECT_EQ(error_of(b), "4294967295 commands need 68719476736 bytes but only 80 are available (count at bytes 8..11)");
}

TEST(ProgramImage, RejectsChecksumMismatch) {
  auto b = sample();
  b[24] ^= 1;  // flip a bit of a command's value
  EXPECT_NE(error_of(b).find("checksum mismatch"), std::string::npos) << error_of(b);
}

TEST(ProgramImage, RejectsUnknownOpcodeNamingTheCommand) {
  const auto good = sample();
  const auto cmds = parse_image(good);
  // Rebuild with a bad opcode in command 2 and a correct checksum, so the opcode check is
  // what fails.
  std::vector<uint8_t> body(good.begin() + 16, good.end());
  body[2 * 16] = 0x17;
  ProgramBuilder pb;
  auto b = pb.end().image();  // header template
  b.resize(16);
  b.insert(b.end(), body.begin(), body.end());
  b[8] = 4;
  const uint32_t crc = test_crc(body.data(), body.size());
  std::memcpy(&b[12], &crc, 4);
  EXPECT_EQ(error_of(b), "command 2: unknown opcode 0x17");
}

TEST(ProgramImage, RejectsMissingEnd) {
  const auto b = ProgramBuilder().wait(1).image();
  EXPECT_EQ(error_of(b), "the last command is not END");
}

TEST(ProgramImage, RejectsEndBeforeTheLastCommand) {
  EXPECT_EQ(error_of(ProgramBuilder().wait(1).end().wait(2).end().image()), "command 1: END before the last command (3)");
}

TEST(ProgramImage, RejectsUnalignedRegisterAddresses) {
  EXPECT_EQ(error_of(ProgramBuilder().nop().write32(0x30000002, 1).end().image()),
            "command 1: WRITE32 address 0x30000002 is not 4-byte aligned");
  EXPECT_EQ(error_of(ProgramBuilder().poll32(0x30000005, 1, 0).end().image()),
            "command 0: POLL32 address 0x30000005 is not 4-byte aligned");
  EXPECT_EQ(error_of(ProgramBuilder().wait(1).wait(1).expect32(0x3000000B, 1, 0).end().image()),
            "command 2: EXPECT32 address 0x3000000b is not 4-byte aligned");
}

TEST(ProgramImage, RejectsUnmappedAddressesWhenGivenAMap) {
  const auto b = ProgramBuilder().write32(0x30000000, 1).nop().expect32(0x20000000, 1, 0).end().image();
  const auto mapped = [](uint32_t addr) { return addr >= 0x30000000; };
  EXPECT_EQ(error_of(b), "no error");  // no map: no check
  try {
    parse_image(b, mapped);
    FAIL() << "no error";
  } catch (const ImageError& e) {
    EXPECT_STREQ(e.what(), "command 2: EXPECT32 address 0x20000000 is not mapped");
  }
  EXPECT_EQ(parse_image(ProgramBuilder().poll32(0x30000004, 1, 0).end().image(), mapped).size(), 2u);
}

// ---- LOOP ---------------------------------------------------------------------------------

namespace {

std::vector<size_t> trace(const ProgramBuilder& pb, size_t limit = 100000) {
  return trace_execution(parse_image(pb.image()), limit);
}

}  // namespace

TEST(ProgramLoop, RunsTheBodyTheGivenNumberOfTimes) {
  ProgramBuilder pb;
  pb.nop().wait(1).wait(2).loop(1, 3).nop().end();
  const std::vector<size_t> want = {0, 1, 2, 3, 1, 2, 3, 1, 2, 3, 4, 5};
  EXPECT_EQ(trace(pb), want);
  EXPECT_EQ(executed_length(pb.commands()), want.size());
}

TEST(ProgramLoop, OneIterationRunsTheBodyOnce) {
  ProgramBuilder pb;
  pb.wait(1).loop(0, 1).end();
  EXPECT_EQ(trace(pb), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(executed_length(pb.commands()), 3u);
}

TEST(ProgramLoop, NestedLoopsMultiply) {
  ProgramBuilder pb;
  pb.nop();                    // 0
  pb.wait(1);                  // 1  outer body start
  pb.wait(2);                  // 2  inner body start
  pb.loop(2, 3);               // 3  inner: 3 times
  pb.wait(4);                  // 4
  pb.loop(1, 2);               // 5  outer: 2 times
  pb.end();                    // 6
  const std::vector<size_t> once = {1, 2, 3, 2, 3, 2, 3, 4, 5};
  std::vector<size_t> want = {0};
  want.insert(want.end(), once.begin(), once.end());
  want.insert(want.end(), once.begin(), once.end());
  want.push_back(6);
  EXPECT_EQ(trace(pb), want);
  EXPECT_EQ(executed_length(pb.commands()), want.size());
}

TEST(ProgramLoop, LoopsMaySharePartsOfTheirBodies) {
  // Same start for three loops, and two disjoint loops inside one.
  ProgramBuilder pb;
  pb.wait(1).loop(0, 2).loop(0, 3).wait(2).loop(3, 2).loop(0, 2).end();
  const auto t = trace(pb);
  EXPECT_EQ(t.size(), executed_length(pb.commands()));
  size_t waits1 = 0, waits2 = 0;
  for (size_t i : t) {
    waits1 += i == 0;
    waits2 += i == 3;
  }
  EXPECT_EQ(waits1, 2u * 3u * 2u);
  EXPECT_EQ(waits2, 2u * 2u);
  EXPECT_EQ(t.back(), 6u);
}

TEST(ProgramLoop, EightLevelsDeep) {
  ProgramBuilder pb;
  pb.wait(1);
  for (int d = 0; d < 8; ++d) pb.loop(0, 2);
  pb.end();
  // Level d's LOOP runs 2^(d+1) times; the body 2^8 times.
  uint64_t want = 256 + 1;
  for (int d = 0; d < 8; ++d) want += uint64_t(1) << (8 - d);
  EXPECT_EQ(executed_length(pb.commands()), want);
  EXPECT_EQ(trace(pb).size(), want);
  EXPECT_EQ(trace(pb, 10).size(), 10u);
}

TEST(ProgramLoop, ExecutedLengthSaturates) {
  ProgramBuilder pb;
  pb.wait(1);
  for (int d = 0; d < 3; ++d) pb.loop(0, 0xFFFFFFFFu);
  pb.end();
  EXPECT_EQ(executed_length(pb.commands()), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(executed_length(ProgramBuilder().wait(1).loop(0, 0xFFFFFFFFu).end().commands()), 2u * 0xFFFFFFFFull + 1);
}

TEST(ProgramLoop, Disassembles) {
  ProgramBuilder pb;
  pb.write32(0x30000000, 7).loop(0, 600).end();
  const std::string listing = disassemble_image(pb.image());
  EXPECT_NE(listing.find("; memgan program image v2, 3 commands, 1201 executed"), std::string::npos) << listing;
  EXPECT_NE(listing.find("LOOP     back to 0, 600 times"), std::string::npos) << listing;
  const std::string noted = disassemble_image(pb.image(), [](const Command& c) {
    return c.op == Opcode::Write32 ? "op " + std::to_string(c.b) : std::string();
  });
  EXPECT_NE(noted.find("WRITE32  [0x30000000] <- 0x00000007"), std::string::npos) << noted;
  EXPECT_NE(noted.find("  ; op 7\n"), std::string::npos) << noted;
  EXPECT_EQ(noted.find("LOOP     back to 0, 600 times  ;"), std::string::npos) << noted;
}

TEST(ProgramLoop, RejectsABodyThatDoesNotStartBeforeTheLoop) {
  EXPECT_EQ(error_of(ProgramBuilder().nop().loop(1, 2).end().image()), "command 1: LOOP body start 1 is not before the LOOP");
  EXPECT_EQ(error_of(ProgramBuilder().nop().loop(7, 2).end().image()), "command 1: LOOP body start 7 is not before the LOOP");
  EXPECT_EQ(error_of(ProgramBuilder().loop(0, 2).end().image()), "command 0: LOOP body start 0 is not before the LOOP");
}

TEST(ProgramLoop, RejectsZeroIterations) {
  EXPECT_EQ(error_of(ProgramBuilder().nop().nop().loop(1, 0).end().image()), "command 2: LOOP with 0 iterations");
}

TEST(ProgramLoop, RejectsCrossingBodies) {
  // [0, 2) and [1, 3): the second body holds the first LOOP but not the start of its body.
  EXPECT_EQ(error_of(ProgramBuilder().nop().nop().loop(0, 2).loop(1, 2).end().image()),
            "command 3: LOOP body [1, 3) crosses the body [0, 2) of the LOOP at command 2");
  // Starting right at an earlier LOOP command also crosses.
  EXPECT_EQ(error_of(ProgramBuilder().nop().loop(0, 2).nop().loop(1, 2).end().image()),
            "command 3: LOOP body [1, 3) crosses the body [0, 1) of the LOOP at command 1");
  // A body that starts inside a nest of two crosses the outer one.
  EXPECT_EQ(error_of(ProgramBuilder().nop().nop().loop(1, 2).loop(0, 2).nop().loop(2, 2).end().image()),
            "command 5: LOOP body [2, 5) crosses the body [0, 3) of the LOOP at command 3");
  // Disjoint and nested bodies are fine.
  EXPECT_EQ(error_of(ProgramBuilder().nop().loop(0, 2).nop().loop(2, 2).loop(0, 2).end().image()), "no error");
}

TEST(ProgramLoop, RejectsNestingDeeperThanEight) {
  ProgramBuilder pb;
  pb.nop().nop();
  for (int d = 0; d < 9; ++d) pb.loop(d == 8 ? 0 : 1, 2);  // the ninth level is the outer one
  pb.end();
  EXPECT_EQ(error_of(pb.image()), "command 10: LOOP nests 9 deep (at most 8)");
}
