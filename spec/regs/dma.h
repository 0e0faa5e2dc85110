// DMA register map (docs/architecture.md, "DMA"), shared by the model and the firmware that
// programs it.
#pragma once

#include <cstdint>

#include "spec/regs/register_spec.h"

namespace memgan::dma_reg {
constexpr uint32_t kId = 0x00, kStatus = 0x04, kCtrl = 0x08, kError = 0x0C, kSrc = 0x10, kDst = 0x14, kLen = 0x18,
                   kRows = 0x1C, kSrcStride = 0x20, kDstStride = 0x24, kBytesMoved = 0x28;
constexpr uint64_t kSize = 0x1000;
constexpr uint32_t kIdValue = 0x444D4131;  // "DMA1"
constexpr uint32_t kStatusBusy = 1u << 0, kStatusError = 1u << 1;
constexpr uint32_t kCtrlStart = 1u << 0;
constexpr uint64_t kMaxCopyBytes = uint64_t(1) << 30;  // ROWS x LEN of one START (the largest DRAM)
enum ErrorCode : uint32_t { kNone = 0, kReadFailed = 1, kWriteFailed = 2, kBadLength = 3, kStartWhileBusy = 4 };

using spec::Access;
constexpr spec::RegisterSpec ID{"ID", kId, Access::ReadOnly}, STATUS{"STATUS", kStatus, Access::ReadOnly},
    CTRL{"CTRL", kCtrl, Access::WriteOnly}, ERROR{"ERROR", kError, Access::ReadOnly},
    SRC{"SRC", kSrc, Access::ReadWrite}, DST{"DST", kDst, Access::ReadWrite}, LEN{"LEN", kLen, Access::ReadWrite},
    ROWS{"ROWS", kRows, Access::ReadWrite, 1}, SRC_STRIDE{"SRC_STRIDE", kSrcStride, Access::ReadWrite},
    DST_STRIDE{"DST_STRIDE", kDstStride, Access::ReadWrite},
    BYTES_MOVED{"BYTES_MOVED", kBytesMoved, Access::ReadOnly};
constexpr spec::RegisterSpec kRegisters[] = {ID,   STATUS, CTRL,       ERROR,      SRC,        DST,
                                             LEN,  ROWS,   SRC_STRIDE, DST_STRIDE, BYTES_MOVED};
}  // namespace memgan::dma_reg
