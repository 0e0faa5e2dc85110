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

#include <algorithm>

#include <fmt/format.h>

#include "spec/isa/program_image.h"

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

// Decodes the `count` commands of a program one by one into `out` (command_decoder.h): the C++
// model (decode_with_model) or, in the controller, the RTL command decoder.
using ProgramDecoder =
    std::function<void(const RawCommand* raw, uint32_t count, uint16_t version, DecodedCommand* out)>;


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

// Decodes one command of a program image (any version); throws ImageError naming the index for an
// unknown opcode.
Command decode_command(const uint8_t* bytes, uint32_t index);

// Checks a decoded program of image `version`: END last and only last; LOOP only in
// version 2, with a body that starts before it, at least one iteration, bodies nested (never
// crossing) at most kMaxLoopDepth deep; register addresses 4-byte aligned and, when `mapped`
// is given, mapped. Throws ImageError naming the command index and the reason.
void validate_program(const std::vector<Command>& cmds, uint16_t version, const AddressCheck& mapped = {});

// Whole-image decoding and validation (header, checksum, then decode_program of
// command_decoder.h: opcodes and validate_program's checks), the commands decoded by `decode`
// (the C++ model when empty).
std::vector<Command> parse_image(const std::vector<uint8_t>& image, const AddressCheck& mapped = {},
                                 const ProgramDecoder& decode = {});
// The listing of `memgan disasm`; `annotate` may add a comment to a command ("  ; text").
std::string disassemble_image(const std::vector<uint8_t>& image,
                              const std::function<std::string(const Command&)>& annotate = {});

// ---- Definitions

inline RawCommand load_command(const uint8_t* b) { return {detail::load_u32(b), detail::load_u32(b + 4), detail::load_u32(b + 8), detail::load_u32(b + 12)}; }

inline bool known_opcode(uint32_t op) {
  switch (static_cast<Opcode>(op)) {
    case Opcode::Nop:
    case Opcode::Write32:
    case Opcode::Poll32:
    case Opcode::Expect32:
    case Opcode::Wait:
    case Opcode::Loop:
    case Opcode::End:
      return true;
  }
  return false;
}

inline bool is_register_access(Opcode op) { return op == Opcode::Write32 || op == Opcode::Poll32 || op == Opcode::Expect32; }

inline DecodedCommand decode_command_checked(const RawCommand& raw, uint32_t index, uint16_t version, uint32_t count) {
  DecodedCommand d;
  d.cmd = {known_opcode(raw.op) ? static_cast<Opcode>(raw.op) : Opcode::Nop, raw.a, raw.b, raw.c};
  const Opcode op = d.cmd.op;
  const bool is_last = index == count - 1;  // read only once index < count, so count >= 1
  const bool loop = known_opcode(raw.op) && op == Opcode::Loop;
  // Same order as rtl/cmd_decoder.sv's priority chain.
  if (index >= count) d.error = DecodeError::IndexOutOfRange;
  else if (!known_opcode(raw.op)) d.error = DecodeError::UnknownOpcode;
  else if (op == Opcode::End && !is_last) d.error = DecodeError::EndNotLast;
  else if (is_register_access(op) && raw.a % 4 != 0) d.error = DecodeError::Unaligned;
  else if (loop && version < 2) d.error = DecodeError::LoopNeedsVersion2;
  else if (loop && raw.a >= index) d.error = DecodeError::LoopStartNotBefore;
  else if (loop && raw.b == 0) d.error = DecodeError::LoopZeroIterations;
  else if (is_last && op != Opcode::End) d.error = DecodeError::LastNotEnd;
  return d;
}

inline std::string decode_error_message(DecodeError error, const RawCommand& raw, uint32_t index, uint16_t version,
                                 uint32_t count) {
  switch (error) {
    case DecodeError::None: return {};
    case DecodeError::IndexOutOfRange:
      return fmt::format("command {}: index beyond the program's {} commands", index, count);
    case DecodeError::UnknownOpcode: return fmt::format("command {}: unknown opcode 0x{:02x}", index, raw.op);
    case DecodeError::EndNotLast:
      return fmt::format("command {}: END before the last command ({})", index, count - 1);
    case DecodeError::Unaligned:
      return fmt::format("command {}: {} address 0x{:08x} is not 4-byte aligned", index,
                         opcode_name(static_cast<Opcode>(raw.op)), raw.a);
    case DecodeError::LoopNeedsVersion2:
      return fmt::format("command {}: LOOP needs image version 2 (this image is version {})", index, version);
    case DecodeError::LoopStartNotBefore:
      return fmt::format("command {}: LOOP body start {} is not before the LOOP", index, raw.a);
    case DecodeError::LoopZeroIterations: return fmt::format("command {}: LOOP with 0 iterations", index);
    case DecodeError::LastNotEnd: return "the last command is not END";
  }
  return fmt::format("command {}: decoder error code {}", index, int(error));
}

inline void decode_with_model(const RawCommand* raw, uint32_t count, uint16_t version, DecodedCommand* out) {
  for (uint32_t i = 0; i < count; ++i) out[i] = decode_command_checked(raw[i], i, version, count);
}

inline std::vector<Command> decode_program(const std::vector<RawCommand>& raw, uint16_t version, const AddressCheck& mapped,
                                    const ProgramDecoder& decode) {
  if (raw.empty()) throw ImageError("the program has no commands (it must end with END)");
  const auto count = static_cast<uint32_t>(raw.size());
  std::vector<DecodedCommand> dec(raw.size());
  if (decode) decode(raw.data(), count, version, dec.data());
  else decode_with_model(raw.data(), count, version, dec.data());
  const auto fail = [&](uint32_t i) {
    throw ImageError(decode_error_message(dec[i].error, raw[i], i, version, count));
  };

  // Unknown opcodes first: the image is decoded completely before it is validated.
  for (uint32_t i = 0; i < count; ++i)
    if (dec[i].error == DecodeError::UnknownOpcode) fail(i);

  // Bodies as closed ranges [start, LOOP index]. `outer` holds the outermost bodies seen so
  // far: disjoint and in order, so a new body either swallows a suffix of them or crosses the
  // last one.
  struct Body {
    size_t start, loop;
    size_t depth;
  };
  std::vector<Body> outer;
  std::vector<Command> cmds;
  cmds.reserve(raw.size());
  for (uint32_t i = 0; i < count; ++i) {
    const Command& c = dec[i].cmd;
    if (dec[i].error != DecodeError::None && dec[i].error != DecodeError::LastNotEnd) fail(i);
    if (is_register_access(c.op) && mapped && !mapped(c.a)) {
      throw ImageError(fmt::format("command {}: {} address 0x{:08x} is not mapped", i, opcode_name(c.op), c.a));
    }
    if (c.op == Opcode::Loop) {
      size_t depth = 1;
      while (!outer.empty() && outer.back().start >= c.a) {
        depth = std::max(depth, outer.back().depth + 1);
        outer.pop_back();
      }
      if (!outer.empty() && outer.back().loop >= c.a) {
        const Body& o = outer.back();
        throw ImageError(fmt::format("command {}: LOOP body [{}, {}) crosses the body [{}, {}) of the LOOP at command {}",
                                     i, c.a, i, o.start, o.loop, o.loop));
      }
      if (depth > kMaxLoopDepth) {
        throw ImageError(fmt::format("command {}: LOOP nests {} deep (at most {})", i, depth, kMaxLoopDepth));
      }
      outer.push_back({c.a, i, depth});
    }
    cmds.push_back(c);
  }
  // The decoder flags a missing END on the last command; the op test also guards the
  // executors (LoopStack, trace_execution), which rely on END last, against a faulty decoder.
  if (dec.back().error == DecodeError::LastNotEnd || cmds.back().op != Opcode::End) {
    throw ImageError(decode_error_message(DecodeError::LastNotEnd, raw.back(), count - 1, version, count));
  }
  return cmds;
}

inline Command decode_command(const uint8_t* b, uint32_t index) {
  const RawCommand raw = load_command(b);
  if (!known_opcode(raw.op)) {
    throw ImageError(decode_error_message(DecodeError::UnknownOpcode, raw, index, kImageVersion, index + 1));
  }
  return {static_cast<Opcode>(raw.op), raw.a, raw.b, raw.c};
}

inline void validate_program(const std::vector<Command>& cmds, uint16_t version, const AddressCheck& mapped) {
  // The same checks as an image's commands get: the C++ decoder, then the program's.
  std::vector<RawCommand> raw;
  raw.reserve(cmds.size());
  for (const Command& c : cmds) raw.push_back({static_cast<uint32_t>(c.op), c.a, c.b, c.c});
  decode_program(raw, version, mapped);
}

namespace detail {

inline std::vector<Command> parse(const std::vector<uint8_t>& image, const AddressCheck& mapped, const ProgramDecoder& decode,
                           uint16_t* version) {
  const ImageHeader h = parse_header(image.data(), image.size());
  const uint8_t* body = image.data() + kHeaderBytes;
  const uint32_t crc = detail::crc_of(body, uint64_t(h.command_count) * kCommandBytes);
  if (crc != h.crc32) {
    throw ImageError(fmt::format("checksum mismatch: header says 0x{:08x} (bytes 12..15), commands hash to 0x{:08x}", h.crc32, crc));
  }
  std::vector<RawCommand> raw;
  raw.reserve(h.command_count);
  for (uint32_t i = 0; i < h.command_count; ++i) raw.push_back(load_command(body + uint64_t(i) * kCommandBytes));
  std::vector<Command> cmds = decode_program(raw, h.version, mapped, decode);
  if (version) *version = h.version;
  return cmds;
}

}  // namespace detail

inline std::vector<Command> parse_image(const std::vector<uint8_t>& image, const AddressCheck& mapped,
                                 const ProgramDecoder& decode) {
  return detail::parse(image, mapped, decode, nullptr);
}

inline std::string disassemble_image(const std::vector<uint8_t>& image,
                              const std::function<std::string(const Command&)>& annotate) {
  uint16_t version = 0;
  const auto cmds = detail::parse(image, {}, {}, &version);
  std::string out = fmt::format("; memgan program image v{}, {} commands, {} executed\n", version, cmds.size(),
                                executed_length(cmds));
  for (size_t i = 0; i < cmds.size(); ++i) {
    const std::string note = annotate ? annotate(cmds[i]) : std::string();
    const std::string text = disassemble(cmds[i]);
    const size_t offset = kHeaderBytes + i * kCommandBytes;
    out += note.empty() ? fmt::format("{:6}  0x{:06x}  {}\n", i, offset, text)
                        : fmt::format("{:6}  0x{:06x}  {:<48}  ; {}\n", i, offset, text, note);
  }
  return out;
}

}  // namespace memgan::firmware
