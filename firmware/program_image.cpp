#include "program_image.h"

#include <cstring>

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
  if (h.version != kImageVersion) {
    throw ImageError(fmt::format("image version {} is not supported (this controller runs version {})", h.version,
                                 kImageVersion));
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
  const uint32_t op = load_u32(b);
  switch (static_cast<Opcode>(op)) {
    case Opcode::Nop:
    case Opcode::Write32:
    case Opcode::Poll32:
    case Opcode::Expect32:
    case Opcode::Wait:
    case Opcode::End:
      return {static_cast<Opcode>(op), load_u32(b + 4), load_u32(b + 8), load_u32(b + 12)};
  }
  throw ImageError(fmt::format("command {}: unknown opcode 0x{:02x}", index, op));
}

const char* opcode_name(Opcode op) {
  switch (op) {
    case Opcode::Nop: return "NOP";
    case Opcode::Write32: return "WRITE32";
    case Opcode::Poll32: return "POLL32";
    case Opcode::Expect32: return "EXPECT32";
    case Opcode::Wait: return "WAIT";
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
    default: return opcode_name(c.op);
  }
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

std::vector<Command> parse_image(const std::vector<uint8_t>& image) {
  const ImageHeader h = parse_header(image.data(), image.size());
  const uint8_t* body = image.data() + kHeaderBytes;
  const uint32_t crc = crc_of(body, uint64_t(h.command_count) * kCommandBytes);
  if (crc != h.crc32) {
    throw ImageError(fmt::format("checksum mismatch: header says 0x{:08x}, commands hash to 0x{:08x}", h.crc32, crc));
  }
  std::vector<Command> cmds;
  for (uint32_t i = 0; i < h.command_count; ++i) cmds.push_back(decode_command(body + i * kCommandBytes, i));
  if (cmds.back().op != Opcode::End) throw ImageError("the last command is not END");
  return cmds;
}

std::string disassemble_image(const std::vector<uint8_t>& image) {
  const auto cmds = parse_image(image);
  std::string out = fmt::format("; memgan program image v{}, {} commands\n", kImageVersion, cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    out += fmt::format("{:6}  0x{:06x}  {}\n", i, kHeaderBytes + i * kCommandBytes, disassemble(cmds[i]));
  }
  return out;
}

}  // namespace memgan::firmware
