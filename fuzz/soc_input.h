// The input format of fuzz_soc_registers, shared with its regression tests
// (tests/fuzz_regressions/): a byte string parsed into the bus operations it stands for.
//
// A sequence of operations; byte 0 of each: bits 0-2 the kind, bits 3-5 the base the 32-bit
// little-endian offset that follows is added to (absolute, DRAM, DMA, noise, tile 0
// registers, input buffer, output buffer, weights):
//   0 read   offset, size byte (1..64)
//   1 write  offset, size byte (1..64), that many data bytes
//   2 write32 offset, u32 value
//   3 read32 offset
//   4 DMA    u32 src, dst, len, rows, src_stride, dst_stride: the registers, then CTRL.START
//   5 time   u16: the local time advances by that many 10 ns
//   6 ignore offset, size byte: a TLM_IGNORE_COMMAND
//   7 byte-enabled access: offset, size byte, command byte, mask byte
// At most 256 operations; missing bytes at the end read as zero.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include <tlm>

#include "spec/memory_map.h"
#include "spec/regs/dma.h"
#include "spec/regs/tile.h"

namespace memgan::fuzz {

// One bus access (data is the initiator's buffer as sent, byte_enable empty for none), or
// with time_10ns > 0 a step of the local time.
struct SocOp {
  tlm::tlm_command cmd = tlm::TLM_IGNORE_COMMAND;
  uint64_t addr = 0;
  std::vector<uint8_t> data;
  std::vector<uint8_t> byte_enable;
  uint32_t time_10ns = 0;
  bool is_time() const { return data.empty(); }
};

// Whether `op` writes CTRL.START of the DMA.
inline bool writes_dma_start(const SocOp& op) {
  if (op.is_time() || op.cmd != tlm::TLM_WRITE_COMMAND) return false;
  const uint64_t ctrl = memory_map::kDmaBase + dma_reg::kCtrl;
  if (op.addr + op.data.size() <= ctrl || op.addr >= ctrl + 1) return false;
  const size_t i = ctrl - op.addr;
  if (!op.byte_enable.empty() && op.byte_enable[i] == 0) return false;
  return (op.data[i] & dma_reg::kCtrlStart) != 0;
}

inline std::vector<SocOp> parse_soc_input(const uint8_t* p, size_t n) {
  namespace mm = memory_map;
  const auto u8 = [&]() -> uint8_t { return n ? (--n, *p++) : 0; };
  const auto u16 = [&] { return uint16_t(u8() | u8() << 8); };
  const auto u32 = [&] {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(u8()) << (8 * i);
    return v;
  };
  const auto base_of = [](int which) -> uint64_t {
    switch (which) {
      case 1: return mm::kDramBase;
      case 2: return mm::kDmaBase;
      case 3: return mm::kNoiseBase;
      case 4: return mm::tile_base(0) + tile_map::kRegs;
      case 5: return mm::tile_base(0) + tile_map::kInputBuffer;
      case 6: return mm::tile_base(0) + tile_map::kOutputBuffer;
      case 7: return mm::tile_base(0) + tile_map::kWeights;
      default: return 0;
    }
  };
  const auto word = [](tlm::tlm_command cmd, uint64_t addr, uint32_t v) {
    SocOp op;
    op.cmd = cmd;
    op.addr = addr;
    op.data.resize(4);
    std::memcpy(op.data.data(), &v, 4);
    return op;
  };
  std::vector<SocOp> ops;
  int count = 0;
  while (n > 0 && count++ < 256) {
    const uint8_t code = u8();
    const int kind = code & 7;
    const uint64_t base = base_of((code >> 3) & 7);
    SocOp op;
    switch (kind) {
      case 0:
      case 6:
        op.cmd = kind == 0 ? tlm::TLM_READ_COMMAND : tlm::TLM_IGNORE_COMMAND;
        op.addr = base + u32();
        op.data.assign(1 + u8() % 64, 0xA5);
        break;
      case 1:
        op.cmd = tlm::TLM_WRITE_COMMAND;
        op.addr = base + u32();
        op.data.resize(1 + u8() % 64);
        for (auto& b : op.data) b = u8();
        break;
      case 2: {
        const uint64_t addr = base + u32();
        op = word(tlm::TLM_WRITE_COMMAND, addr, u32());
        break;
      }
      case 3:
        op = word(tlm::TLM_READ_COMMAND, base + u32(), 0xA5A5A5A5u);
        break;
      case 4:
        for (uint32_t reg : {dma_reg::kSrc, dma_reg::kDst, dma_reg::kLen, dma_reg::kRows, dma_reg::kSrcStride,
                             dma_reg::kDstStride})
          ops.push_back(word(tlm::TLM_WRITE_COMMAND, mm::kDmaBase + reg, u32()));
        op = word(tlm::TLM_WRITE_COMMAND, mm::kDmaBase + dma_reg::kCtrl, dma_reg::kCtrlStart);
        break;
      case 5:
        op.time_10ns = u16();
        if (op.time_10ns == 0) continue;
        break;
      case 7: {
        op.addr = base + u32();
        const unsigned len = 1 + u8() % 64;
        op.cmd = (u8() & 1) ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND;
        const uint8_t mask = u8();
        op.byte_enable.resize(len);
        for (unsigned i = 0; i < len; ++i) op.byte_enable[i] = ((mask >> (i % 8)) & 1) ? 0xFF : 0x00;
        op.data.assign(len, 0x5A);
        break;
      }
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

}  // namespace memgan::fuzz
