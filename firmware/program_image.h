// The controller's program image: a versioned binary list of fixed-size commands.
//
// Layout (little-endian), documented in docs/architecture.md:
//   header, 16 bytes:  u32 magic 'MGPI' (0x4950474D) | u16 version (1 or 2) | u16 header_bytes (16)
//                      u32 command_count | u32 crc32 of the command bytes (zlib)
//   commands, 16 bytes each: u32 opcode | u32 a | u32 b | u32 c
// Opcodes:
//   0x00 NOP
//   0x01 WRITE32  a=address b=value           write one 32-bit register
//   0x02 POLL32   a=address b=mask c=value    re-read every poll interval until (r & b) == c
//   0x03 EXPECT32 a=address b=mask c=value    read once; stop with an error unless (r & b) == c
//   0x04 WAIT     a=cycles                    idle a controller clocks
//   0x05 LOOP     a=body start b=iterations   (version 2) run the body [a, this command) b times
//                                             in all: jump back to a until then, then go on
//   0x0F END                                  stop the program (required, last command only)
// Loop bodies nest (at most kMaxLoopDepth deep) and never partially overlap.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace memgan::firmware {

constexpr uint32_t kImageMagic = 0x4950474D;  // "MGPI"
constexpr uint16_t kImageVersion = 2;         // what the builder writes
constexpr uint16_t kOldestImageVersion = 1;   // still read (no LOOP)
constexpr uint32_t kHeaderBytes = 16;
constexpr uint32_t kCommandBytes = 16;
constexpr size_t kMaxLoopDepth = 8;

enum class Opcode : uint32_t {
  Nop = 0x00,
  Write32 = 0x01,
  Poll32 = 0x02,
  Expect32 = 0x03,
  Wait = 0x04,
  Loop = 0x05,
  End = 0x0F
};

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

// Whether a 32-bit register access at an address reaches a target (the bus's decode).
using AddressCheck = std::function<bool(uint32_t addr)>;

struct RawCommand;      // command_decoder.h
struct DecodedCommand;  // command_decoder.h
// Decodes the `count` commands of a program one by one into `out` (command_decoder.h): the C++
// model (decode_with_model) or, in the controller, the RTL command decoder.
using ProgramDecoder =
    std::function<void(const RawCommand* raw, uint32_t count, uint16_t version, DecodedCommand* out)>;

// Parses and checks a header: magic, version, header size, and that the commands fit in
// `available_bytes` (bytes from the image start to the end of memory). Throws ImageError.
ImageHeader parse_header(const uint8_t* bytes, uint64_t available_bytes);
// Decodes one command; throws ImageError naming the index for an unknown opcode.
Command decode_command(const uint8_t* bytes, uint32_t index);
const char* opcode_name(Opcode op);
std::string disassemble(const Command& cmd);

// Checks a decoded program of image `version`: END last and only last; LOOP only in
// version 2, with a body that starts before it, at least one iteration, bodies nested (never
// crossing) at most kMaxLoopDepth deep; register addresses 4-byte aligned and, when `mapped`
// is given, mapped. Throws ImageError naming the command index and the reason.
void validate_program(const std::vector<Command>& cmds, uint16_t version, const AddressCheck& mapped = {});

// The loop state of a running program: shared by the controller and trace_execution so both
// follow the same LOOP semantics. Assumes a validated program.
class LoopStack {
 public:
  // The index of the command to run after command `index` (`cmd`) ran.
  size_t next(const Command& cmd, size_t index);
  size_t depth() const { return frames_.size(); }

 private:
  struct Frame {
    size_t loop_index;
    uint32_t remaining;  // jumps back still to take
  };
  std::vector<Frame> frames_;
};

// Commands a validated program executes from the start through END, LOOP commands included
// (each time they are reached); saturates at UINT64_MAX.
uint64_t executed_length(const std::vector<Command>& cmds);
// The indices of the commands a validated program executes, in order, at most `limit` of them.
std::vector<size_t> trace_execution(const std::vector<Command>& cmds, size_t limit);

// Builds an image (always the current version). No checks here: parse_image validates, and
// tests build malformed images with it.
class ProgramBuilder {
 public:
  ProgramBuilder& nop();
  ProgramBuilder& write32(uint32_t addr, uint32_t value);
  ProgramBuilder& poll32(uint32_t addr, uint32_t mask, uint32_t value);
  ProgramBuilder& expect32(uint32_t addr, uint32_t mask, uint32_t value);
  ProgramBuilder& wait(uint32_t cycles);
  // Runs the commands from index `body_start` up to here `iterations` times in all.
  ProgramBuilder& loop(uint32_t body_start, uint32_t iterations);
  ProgramBuilder& end();
  size_t here() const { return commands_.size(); }  // index of the next command
  const std::vector<Command>& commands() const { return commands_; }
  std::vector<uint8_t> image() const;

 private:
  std::vector<Command> commands_;
};

// Whole-image decoding and validation (header, checksum, then decode_program of
// command_decoder.h: opcodes and validate_program's checks), the commands decoded by `decode`
// (the C++ model when empty).
std::vector<Command> parse_image(const std::vector<uint8_t>& image, const AddressCheck& mapped = {},
                                 const ProgramDecoder& decode = {});
// The listing of `memgan disasm`; `annotate` may add a comment to a command ("  ; text").
std::string disassemble_image(const std::vector<uint8_t>& image,
                              const std::function<std::string(const Command&)>& annotate = {});

}  // namespace memgan::firmware
