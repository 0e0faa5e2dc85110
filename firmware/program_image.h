// The controller's program image: a versioned binary list of fixed-size commands.
//
// Layout (little-endian), documented in docs/architecture.md:
//   header, 16 bytes:  u32 magic 'MGPI' (0x4950474D) | u16 version (1) | u16 header_bytes (16)
//                      u32 command_count | u32 crc32 of the command bytes (zlib)
//   commands, 16 bytes each: u32 opcode | u32 a | u32 b | u32 c
// Opcodes (version 1):
//   0x00 NOP
//   0x01 WRITE32  a=address b=value           write one 32-bit register
//   0x02 POLL32   a=address b=mask c=value    re-read every poll interval until (r & b) == c
//   0x03 EXPECT32 a=address b=mask c=value    read once; stop with an error unless (r & b) == c
//   0x04 WAIT     a=cycles                    idle a controller clocks
//   0x0F END                                  stop the program (required last command)
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace memgan::firmware {

constexpr uint32_t kImageMagic = 0x4950474D;  // "MGPI"
constexpr uint16_t kImageVersion = 1;
constexpr uint32_t kHeaderBytes = 16;
constexpr uint32_t kCommandBytes = 16;

enum class Opcode : uint32_t { Nop = 0x00, Write32 = 0x01, Poll32 = 0x02, Expect32 = 0x03, Wait = 0x04, End = 0x0F };

struct Command {
  Opcode op;
  uint32_t a = 0, b = 0, c = 0;
};

struct ImageHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t header_bytes;
  uint32_t command_count;
  uint32_t crc32;
};

class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses and checks a header: magic, version, header size, and that the commands fit in
// `available_bytes` (bytes from the image start to the end of memory). Throws ImageError.
ImageHeader parse_header(const uint8_t* bytes, uint64_t available_bytes);
// Decodes one command; throws ImageError naming the index for an unknown opcode.
Command decode_command(const uint8_t* bytes, uint32_t index);
const char* opcode_name(Opcode op);
std::string disassemble(const Command& cmd);

// Builds an image. Register names are only for the listing.
class ProgramBuilder {
 public:
  ProgramBuilder& write32(uint32_t addr, uint32_t value);
  ProgramBuilder& poll32(uint32_t addr, uint32_t mask, uint32_t value);
  ProgramBuilder& expect32(uint32_t addr, uint32_t mask, uint32_t value);
  ProgramBuilder& wait(uint32_t cycles);
  ProgramBuilder& end();
  const std::vector<Command>& commands() const { return commands_; }
  std::vector<uint8_t> image() const;

 private:
  std::vector<Command> commands_;
};

// Whole-image validation and listing (memgan disasm; tests).
std::vector<Command> parse_image(const std::vector<uint8_t>& image);
std::string disassemble_image(const std::vector<uint8_t>& image);

}  // namespace memgan::firmware
