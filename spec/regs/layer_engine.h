// Layer engine register map (docs/architecture.md, "Layer engine"). The CMD word is a training
// operation, encoded as core/train/train_ops.h documents.
#pragma once

#include <cstdint>

#include "spec/regs/register_spec.h"

namespace memgan::layer_engine_reg {
constexpr uint32_t kId = 0x00, kStatus = 0x04, kCmd = 0x08, kSteps = 0x0C, kOps = 0x10, kDone = 0x14;
constexpr uint32_t kIdValue = 0x454C474D;  // "MGLE"
constexpr uint32_t kStatusBusy = 1u << 0;
constexpr uint64_t kSize = 0x1000;

using spec::Access;
constexpr spec::RegisterSpec ID{"ID", kId, Access::ReadOnly}, STATUS{"STATUS", kStatus, Access::ReadOnly},
    CMD{"CMD", kCmd, Access::WriteOnly}, STEPS{"STEPS", kSteps, Access::ReadOnly},
    OPS{"OPS", kOps, Access::ReadOnly}, DONE{"DONE", kDone, Access::ReadOnly};
constexpr spec::RegisterSpec kRegisters[] = {ID, STATUS, CMD, STEPS, OPS, DONE};
}  // namespace memgan::layer_engine_reg
