#include "program_image.h"

#include "command_decoder.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <zlib.h>

namespace memgan::firmware {
namespace {

uint32_t load_u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint16_t load_u16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
void store_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

uint32_t crc_of(const uint8_t* p, uint64_t n) {
  return static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), p, static_cast<uInt>(n)));
}

}  // namespace

ImageHeader parse_header(const uint8_t* b, uint64_t available) {
  if (available < kHeaderBytes) {
    throw ImageError(fmt::format("image of {} bytes is shorter than its {}-byte header", available, kHeaderBytes));
  }
  ImageHeader h{load_u32(b), load_u16(b + 4), load_u16(b + 6), load_u32(b + 8), load_u32(b + 12)};
  if (h.magic != kImageMagic) {
    throw ImageError(fmt::format("bad magic 0x{:08x} (expected 0x{:08x} 'MGPI'): not a memgan program image", h.magic,
                                 kImageMagic));
  }
  if (h.version < kOldestImageVersion || h.version > kImageVersion) {
    throw ImageError(fmt::format("image version {} is not supported (this controller runs versions {} to {})",
                                 h.version, kOldestImageVersion, kImageVersion));
  }
  if (h.header_bytes != kHeaderBytes) {
    throw ImageError(fmt::format("header size {} (expected {})", h.header_bytes, kHeaderBytes));
  }
  if (h.command_count == 0) throw ImageError("image has no commands (it must end with END)");
  const uint64_t need = kHeaderBytes + uint64_t(h.command_count) * kCommandBytes;
  if (need > available) {
    throw ImageError(fmt::format("{} commands need {} bytes but only {} are available", h.command_count, need,
                                 available));
  }
  return h;
}

Command decode_command(const uint8_t* b, uint32_t index) {
  const RawCommand raw = load_command(b);
  if (!known_opcode(raw.op)) {
    throw ImageError(decode_error_message(DecodeError::UnknownOpcode, raw, index, kImageVersion, index + 1));
  }
  return {static_cast<Opcode>(raw.op), raw.a, raw.b, raw.c};
}

const char* opcode_name(Opcode op) {
  switch (op) {
    case Opcode::Nop: return "NOP";
    case Opcode::Write32: return "WRITE32";
    case Opcode::Poll32: return "POLL32";
    case Opcode::Expect32: return "EXPECT32";
    case Opcode::Wait: return "WAIT";
    case Opcode::Loop: return "LOOP";
    case Opcode::End: return "END";
  }
  return "?";
}

std::string disassemble(const Command& c) {
  switch (c.op) {
    case Opcode::Write32: return fmt::format("WRITE32  [0x{:08x}] <- 0x{:08x}", c.a, c.b);
    case Opcode::Poll32: return fmt::format("POLL32   [0x{:08x}] & 0x{:08x} == 0x{:08x}", c.a, c.b, c.c);
    case Opcode::Expect32: return fmt::format("EXPECT32 [0x{:08x}] & 0x{:08x} == 0x{:08x}", c.a, c.b, c.c);
    case Opcode::Wait: return fmt::format("WAIT     {} cycles", c.a);
    case Opcode::Loop: return fmt::format("LOOP     back to {}, {} times", c.a, c.b);
    default: return opcode_name(c.op);
  }
}

void validate_program(const std::vector<Command>& cmds, uint16_t version, const AddressCheck& mapped) {
  // The same checks as an image's commands get: the C++ decoder, then the program's.
  std::vector<RawCommand> raw;
  raw.reserve(cmds.size());
  for (const Command& c : cmds) raw.push_back({static_cast<uint32_t>(c.op), c.a, c.b, c.c});
  decode_program(raw, version, mapped);
}

size_t LoopStack::next(const Command& c, size_t index) {
  if (c.op != Opcode::Loop) return index + 1;
  if (!frames_.empty() && frames_.back().loop_index == index) {
    Frame& f = frames_.back();
    if (f.remaining > 0) {
      --f.remaining;
      return c.a;
    }
    frames_.pop_back();
    return index + 1;
  }
  if (c.b <= 1) return index + 1;
  frames_.push_back({index, c.b - 2});
  return c.a;
}

uint64_t executed_length(const std::vector<Command>& cmds) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const auto mul = [](uint64_t x, uint64_t y) { return y != 0 && x > kMax / y ? kMax : x * y; };
  // Backwards: a command runs (product of the iterations of the loops around it) times, the
  // LOOP command itself counted inside its own loop.
  struct Open {
    size_t start;
    uint64_t outer_runs;
  };
  std::vector<Open> open;
  uint64_t runs = 1, total = 0;
  for (size_t k = cmds.size(); k-- > 0;) {
    if (cmds[k].op == Opcode::Loop) {
      open.push_back({cmds[k].a, runs});
      runs = mul(runs, cmds[k].b);
    }
    total = total > kMax - runs ? kMax : total + runs;
    while (!open.empty() && open.back().start >= k) {
      runs = open.back().outer_runs;
      open.pop_back();
    }
  }
  return total;
}

std::vector<size_t> trace_execution(const std::vector<Command>& cmds, size_t limit) {
  std::vector<size_t> trace;
  LoopStack loops;
  for (size_t i = 0; i < cmds.size() && trace.size() < limit;) {
    trace.push_back(i);
    if (cmds[i].op == Opcode::End) break;
    i = loops.next(cmds[i], i);
  }
  return trace;
}

ProgramBuilder& ProgramBuilder::nop() {
  commands_.push_back({Opcode::Nop, 0, 0, 0});
  return *this;
}
ProgramBuilder& ProgramBuilder::write32(uint32_t addr, uint32_t value) {
  commands_.push_back({Opcode::Write32, addr, value, 0});
  return *this;
}
ProgramBuilder& ProgramBuilder::poll32(uint32_t addr, uint32_t mask, uint32_t value) {
  commands_.push_back({Opcode::Poll32, addr, mask, value});
  return *this;
}
ProgramBuilder& ProgramBuilder::expect32(uint32_t addr, uint32_t mask, uint32_t value) {
  commands_.push_back({Opcode::Expect32, addr, mask, value});
  return *this;
}
ProgramBuilder& ProgramBuilder::wait(uint32_t cycles) {
  commands_.push_back({Opcode::Wait, cycles, 0, 0});
  return *this;
}
ProgramBuilder& ProgramBuilder::loop(uint32_t body_start, uint32_t iterations) {
  commands_.push_back({Opcode::Loop, body_start, iterations, 0});
  return *this;
}
ProgramBuilder& ProgramBuilder::end() {
  commands_.push_back({Opcode::End, 0, 0, 0});
  return *this;
}

std::vector<uint8_t> ProgramBuilder::image() const {
  std::vector<uint8_t> body;
  for (const auto& c : commands_) {
    store_u32(body, static_cast<uint32_t>(c.op));
    store_u32(body, c.a);
    store_u32(body, c.b);
    store_u32(body, c.c);
  }
  std::vector<uint8_t> out;
  store_u32(out, kImageMagic);
  out.push_back(uint8_t(kImageVersion));
  out.push_back(uint8_t(kImageVersion >> 8));
  out.push_back(uint8_t(kHeaderBytes));
  out.push_back(uint8_t(kHeaderBytes >> 8));
  store_u32(out, static_cast<uint32_t>(commands_.size()));
  store_u32(out, crc_of(body.data(), body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

namespace {

std::vector<Command> parse(const std::vector<uint8_t>& image, const AddressCheck& mapped, const ProgramDecoder& decode,
                           uint16_t* version) {
  const ImageHeader h = parse_header(image.data(), image.size());
  const uint8_t* body = image.data() + kHeaderBytes;
  const uint32_t crc = crc_of(body, uint64_t(h.command_count) * kCommandBytes);
  if (crc != h.crc32) {
    throw ImageError(fmt::format("checksum mismatch: header says 0x{:08x}, commands hash to 0x{:08x}", h.crc32, crc));
  }
  std::vector<RawCommand> raw;
  raw.reserve(h.command_count);
  for (uint32_t i = 0; i < h.command_count; ++i) raw.push_back(load_command(body + uint64_t(i) * kCommandBytes));
  std::vector<Command> cmds = decode_program(raw, h.version, mapped, decode);
  if (version) *version = h.version;
  return cmds;
}

}  // namespace

std::vector<Command> parse_image(const std::vector<uint8_t>& image, const AddressCheck& mapped,
                                 const ProgramDecoder& decode) {
  return parse(image, mapped, decode, nullptr);
}

std::string disassemble_image(const std::vector<uint8_t>& image,
                              const std::function<std::string(const Command&)>& annotate) {
  uint16_t version = 0;
  const auto cmds = parse(image, {}, {}, &version);
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
