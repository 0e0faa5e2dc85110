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
//
// spec/ is the hardware-software contract: header-only, so the models, the firmware and the
// tools all compile the same definitions (below the declarations).

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <zlib.h>

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

// Encodes commands into an image of the current version (header, CRC-32, commands). No
// checks: parse_image (cmd_decoder.h) validates, and tests build malformed images with it.
std::vector<uint8_t> encode_image(const std::vector<Command>& commands);

// Parses and checks a header: magic, version, header size, and that the commands fit in
// `available_bytes` (bytes from the image start to the end of memory). Throws ImageError.
ImageHeader parse_header(const uint8_t* bytes, uint64_t available_bytes);
// Decodes one command; throws ImageError naming the index for an unknown opcode.
const char* opcode_name(Opcode op);
std::string disassemble(const Command& cmd);

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

// ---- Definitions

namespace detail {

inline uint32_t load_u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint16_t load_u16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
inline void store_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

inline uint32_t crc_of(const uint8_t* p, uint64_t n) {
  return static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), p, static_cast<uInt>(n)));
}

}  // namespace detail

inline ImageHeader parse_header(const uint8_t* b, uint64_t available) {
  if (available < kHeaderBytes) {
    throw ImageError(fmt::format("image of {} bytes is shorter than its {}-byte header", available, kHeaderBytes));
  }
  ImageHeader h{detail::load_u32(b), detail::load_u16(b + 4), detail::load_u16(b + 6), detail::load_u32(b + 8),
                detail::load_u32(b + 12)};
  // Each message ends with the header bytes it is about (the layout above).
  if (h.magic != kImageMagic) {
    throw ImageError(fmt::format("bad magic 0x{:08x} (expected 0x{:08x} 'MGPI'): not a memgan program image (bytes 0..3)",
                                 h.magic,
                                 kImageMagic));
  }
  if (h.version < kOldestImageVersion || h.version > kImageVersion) {
    throw ImageError(fmt::format("image version {} is not supported (this controller runs versions {} to {}; bytes 4..5)",
                                 h.version, kOldestImageVersion, kImageVersion));
  }
  if (h.header_bytes != kHeaderBytes) {
    throw ImageError(fmt::format("header size {} (expected {}; bytes 6..7)", h.header_bytes, kHeaderBytes));
  }
  if (h.command_count == 0) throw ImageError("image has no commands (it must end with END; bytes 8..11)");
  const uint64_t need = kHeaderBytes + uint64_t(h.command_count) * kCommandBytes;
  if (need > available) {
    throw ImageError(fmt::format("{} commands need {} bytes but only {} are available (count at bytes 8..11)",
                                 h.command_count, need,
                                 available));
  }
  return h;
}


inline const char* opcode_name(Opcode op) {
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

inline std::string disassemble(const Command& c) {
  switch (c.op) {
    case Opcode::Write32: return fmt::format("WRITE32  [0x{:08x}] <- 0x{:08x}", c.a, c.b);
    case Opcode::Poll32: return fmt::format("POLL32   [0x{:08x}] & 0x{:08x} == 0x{:08x}", c.a, c.b, c.c);
    case Opcode::Expect32: return fmt::format("EXPECT32 [0x{:08x}] & 0x{:08x} == 0x{:08x}", c.a, c.b, c.c);
    case Opcode::Wait: return fmt::format("WAIT     {} cycles", c.a);
    case Opcode::Loop: return fmt::format("LOOP     back to {}, {} times", c.a, c.b);
    default: return opcode_name(c.op);
  }
}


inline size_t LoopStack::next(const Command& c, size_t index) {
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

inline uint64_t executed_length(const std::vector<Command>& cmds) {
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

inline std::vector<size_t> trace_execution(const std::vector<Command>& cmds, size_t limit) {
  std::vector<size_t> trace;
  LoopStack loops;
  for (size_t i = 0; i < cmds.size() && trace.size() < limit;) {
    trace.push_back(i);
    if (cmds[i].op == Opcode::End) break;
    i = loops.next(cmds[i], i);
  }
  return trace;
}


inline std::vector<uint8_t> encode_image(const std::vector<Command>& commands) {
  std::vector<uint8_t> body;
  for (const auto& c : commands) {
    detail::store_u32(body, static_cast<uint32_t>(c.op));
    detail::store_u32(body, c.a);
    detail::store_u32(body, c.b);
    detail::store_u32(body, c.c);
  }
  std::vector<uint8_t> out;
  detail::store_u32(out, kImageMagic);
  out.push_back(uint8_t(kImageVersion));
  out.push_back(uint8_t(kImageVersion >> 8));
  out.push_back(uint8_t(kHeaderBytes));
  out.push_back(uint8_t(kHeaderBytes >> 8));
  detail::store_u32(out, static_cast<uint32_t>(commands.size()));
  detail::store_u32(out, detail::crc_of(body.data(), body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace memgan::firmware
