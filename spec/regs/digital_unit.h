// Digital unit register map (docs/architecture.md, "Digital unit"): the FP32 datapath of batch
// norm, activations, losses, weight gradients and the optimizer, with its operand buffer.
#pragma once

#include <cstdint>

#include "spec/regs/register_spec.h"

namespace memgan::digital_unit_reg {
constexpr uint32_t kId = 0x00, kStatus = 0x04, kLanes = 0x08, kBufferBytes = 0x0C, kOps = 0x10;
constexpr uint32_t kIdValue = 0x5544474D;  // "MGDU"
constexpr uint32_t kStatusBusy = 1u << 0;
constexpr uint64_t kRegsSize = 0x1000;
constexpr uint64_t kBuffer = 0x1000;  // operand buffer window, arch.digital.buffer_kib bytes

using spec::Access;
constexpr spec::RegisterSpec ID{"ID", kId, Access::ReadOnly}, STATUS{"STATUS", kStatus, Access::ReadOnly},
    LANES{"LANES", kLanes, Access::ReadOnly}, BUFFER_BYTES{"BUFFER_BYTES", kBufferBytes, Access::ReadOnly},
    OPS{"OPS", kOps, Access::ReadOnly};
constexpr spec::RegisterSpec kRegisters[] = {ID, STATUS, LANES, BUFFER_BYTES, OPS};
}  // namespace memgan::digital_unit_reg
