// Program image: the builder's bytes follow the documented layout, and every kind of
// malformed image is rejected with a message that says what is wrong.
#include <cstring>

#include <gtest/gtest.h>

#include "program_image.h"

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
  EXPECT_EQ(b[4] | b[5] << 8, 1);              // version
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
  b[4] = 2;
  EXPECT_EQ(error_of(b), "image version 2 is not supported (this controller runs version 1)");
}

TEST(ProgramImage, RejectsTruncatedImage) {
  auto b = sample();
  b.resize(b.size() - 1);
  EXPECT_EQ(error_of(b), "4 commands need 80 bytes but only 79 are available");
  EXPECT_EQ(error_of({1, 2, 3}), "image of 3 bytes is shorter than its 16-byte header");
}

TEST(ProgramImage, RejectsHugeCommandCountWithoutReadingPastTheEnd) {
  auto b = sample();
  b[8] = b[9] = b[10] = b[11] = 0xFF;
  EXPECT_EQ(error_of(b), "4294967295 commands need 68719476736 bytes but only 80 are available");
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
