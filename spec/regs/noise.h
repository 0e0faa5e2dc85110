// Noise block (device TRNG) register map (docs/architecture.md, "Noise block").
#pragma once

#include <cstdint>

#include "spec/regs/register_spec.h"

namespace memgan::noise_reg {
constexpr uint32_t kId = 0x00, kStatus = 0x04, kCtrl = 0x08, kError = 0x0C, kMode = 0x10, kCount = 0x14,
                   kSamples = 0x18;
constexpr uint32_t kIdValue = 0x31474E52;  // "RNG1"
constexpr uint32_t kStatusBusy = 1u << 0, kStatusError = 1u << 1, kCtrlStart = 1u << 0;
constexpr uint32_t kModeUniform = 0, kModeGaussian = 1;
constexpr uint64_t kWindow = 0x1000;  // the sample window (float32, read-only) starts here

using spec::Access;
constexpr spec::RegisterSpec ID{"ID", kId, Access::ReadOnly}, STATUS{"STATUS", kStatus, Access::ReadOnly},
    CTRL{"CTRL", kCtrl, Access::WriteOnly}, ERROR{"ERROR", kError, Access::ReadOnly},
    MODE{"MODE", kMode, Access::ReadWrite, kModeGaussian}, COUNT{"COUNT", kCount, Access::ReadWrite},
    SAMPLES{"SAMPLES", kSamples, Access::ReadOnly};
constexpr spec::RegisterSpec kRegisters[] = {ID, STATUS, CTRL, ERROR, MODE, COUNT, SAMPLES};
}  // namespace memgan::noise_reg
