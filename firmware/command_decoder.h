// Per-command decode of a program image: the C++ golden model of the controller's command
// decoder (rtl/cmd_decoder.sv; docs/rtl.md), and the program-level decode that both the model
// and the RTL feed (parse_image).
//
// A command's own checks (opcode, END position, register alignment, LOOP operands) are the
// decoder's; the checks that need the whole program (register mapped, LOOP bodies nested and
// not crossing, depth) run afterwards in decode_program, whichever decoder ran. The messages
// are the ones parse_image has always given, in the same order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "program_image.h"

namespace memgan::firmware {

// One command as stored, its opcode not yet checked.
struct RawCommand {
  uint32_t op = 0, a = 0, b = 0, c = 0;
};
RawCommand load_command(const uint8_t* bytes);  // kCommandBytes little-endian bytes

// The decoder's error code (the RTL's out_error), in priority order: a command reports the
// first check it fails.
enum class DecodeError : uint8_t {
  None = 0,
  IndexOutOfRange = 1,     // index >= count: a caller bug, never in a parsed image
  UnknownOpcode = 2,
  EndNotLast = 3,          // END before the last command
  Unaligned = 4,           // WRITE32 / POLL32 / EXPECT32 address not 4-byte aligned
  LoopNeedsVersion2 = 5,   // LOOP in a version-1 image
  LoopStartNotBefore = 6,  // LOOP body start a >= the LOOP's index
  LoopZeroIterations = 7,  // LOOP with b = 0
  LastNotEnd = 8,          // the last command is not END (reported after all other checks)
};
constexpr uint8_t kMaxDecodeError = 8;

struct DecodedCommand {
  Command cmd{Opcode::Nop};  // op is Nop for an unknown opcode; operands always passed through
  DecodeError error = DecodeError::None;
};

bool known_opcode(uint32_t op);
// WRITE32, POLL32, EXPECT32: commands whose address a the bus must decode.
bool is_register_access(Opcode op);

// Decodes command `index` of a program of `count` commands in an image of `version`.
DecodedCommand decode_command_checked(const RawCommand& raw, uint32_t index, uint16_t version, uint32_t count);
// The ImageError text of a decoder error (DecodeError::None gives ""): one function for both
// decoders, so the RTL and the C++ model reject an image with the same words.
std::string decode_error_message(DecodeError error, const RawCommand& raw, uint32_t index, uint16_t version,
                                 uint32_t count);
// decode_command_checked over a whole program (the ProgramDecoder of the C++ model).
void decode_with_model(const RawCommand* raw, uint32_t count, uint16_t version, DecodedCommand* out);

// Decodes `raw` (a program of image `version`) with `decode` (the C++ model when empty) and
// applies the whole-program checks. Throws ImageError with the first error in parse_image's
// order: the first unknown opcode; then, command by command, its own error, its register
// address unmapped (when `mapped` is given), its LOOP body crossing or nesting too deep; then
// a missing END.
std::vector<Command> decode_program(const std::vector<RawCommand>& raw, uint16_t version,
                                    const AddressCheck& mapped = {}, const ProgramDecoder& decode = {});

}  // namespace memgan::firmware
