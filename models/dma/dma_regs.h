// DMA register map, shared by the model and the firmware that programs it.
#pragma once

#include <cstdint>

namespace memgan::dma_reg {
constexpr uint32_t kId = 0x00, kStatus = 0x04, kCtrl = 0x08, kError = 0x0C, kSrc = 0x10, kDst = 0x14, kLen = 0x18,
                   kRows = 0x1C, kSrcStride = 0x20, kDstStride = 0x24, kBytesMoved = 0x28;
constexpr uint32_t kIdValue = 0x444D4131;  // "DMA1"
constexpr uint32_t kStatusBusy = 1u << 0, kStatusError = 1u << 1;
constexpr uint32_t kCtrlStart = 1u << 0;
enum ErrorCode : uint32_t { kNone = 0, kReadFailed = 1, kWriteFailed = 2, kBadLength = 3, kStartWhileBusy = 4 };
}  // namespace memgan::dma_reg
