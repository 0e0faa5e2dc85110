#include "command_decoder.h"

#include <algorithm>

#include <fmt/format.h>

namespace memgan::firmware {

namespace {
uint32_t load_u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
}  // namespace

RawCommand load_command(const uint8_t* b) { return {load_u32(b), load_u32(b + 4), load_u32(b + 8), load_u32(b + 12)}; }

bool known_opcode(uint32_t op) {
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

bool is_register_access(Opcode op) { return op == Opcode::Write32 || op == Opcode::Poll32 || op == Opcode::Expect32; }

DecodedCommand decode_command_checked(const RawCommand& raw, uint32_t index, uint16_t version, uint32_t count) {
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

std::string decode_error_message(DecodeError error, const RawCommand& raw, uint32_t index, uint16_t version,
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

void decode_with_model(const RawCommand* raw, uint32_t count, uint16_t version, DecodedCommand* out) {
  for (uint32_t i = 0; i < count; ++i) out[i] = decode_command_checked(raw[i], i, version, count);
}

std::vector<Command> decode_program(const std::vector<RawCommand>& raw, uint16_t version, const AddressCheck& mapped,
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

}  // namespace memgan::firmware
