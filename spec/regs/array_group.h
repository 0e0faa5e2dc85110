// Register map of one array group of the operation scheduler (memgan compare; docs/architecture.md,
// "Array group"): CMD starts an operation of the group's schedule, DONE stalls until it ends.
#pragma once

#include <cstdint>

#include "spec/regs/register_spec.h"

namespace memgan::array_group_reg {
constexpr uint32_t kId = 0x00, kStatus = 0x04, kCmd = 0x08, kDone = 0x0C, kOps = 0x10;
constexpr uint32_t kIdValue = 0x4741474D;  // "MGAG"
constexpr uint32_t kStatusBusy = 1u << 0;
constexpr uint64_t kSize = 0x1000;

using spec::Access;
constexpr spec::RegisterSpec ID{"ID", kId, Access::ReadOnly}, STATUS{"STATUS", kStatus, Access::ReadOnly},
    CMD{"CMD", kCmd, Access::WriteOnly}, DONE{"DONE", kDone, Access::ReadOnly}, OPS{"OPS", kOps, Access::ReadOnly};
constexpr spec::RegisterSpec kRegisters[] = {ID, STATUS, CMD, DONE, OPS};
}  // namespace memgan::array_group_reg
