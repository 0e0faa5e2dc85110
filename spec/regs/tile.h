// Tile: address layout inside one tile's 64 MiB region and its register map
// (docs/architecture.md, "Tile").
#pragma once

#include <cstdint>

#include "spec/regs/register_spec.h"

namespace memgan::tile_map {

constexpr uint64_t kRegs = 0x0000'0000, kRegsSize = 0x1000;
constexpr uint64_t kWorkCommand = 0x0008'0000;    // training: one work command (spec/isa/tile_work.h), WO
constexpr uint64_t kWorkDone = 0x0008'0100;       // 16 bytes RO: u64 commands done, u64 last one's ps; stalls
constexpr uint64_t kInputBuffer = 0x0010'0000;    // up to 1 MiB
constexpr uint64_t kOutputBuffer = 0x0020'0000;   // up to 1 MiB
constexpr uint64_t kWeights = 0x0100'0000;        // one window per array
constexpr uint64_t kWeightWindow = 0x0020'0000;   // 2 MiB per array
constexpr uint64_t kTileSpan = 0x0400'0000;       // 64 MiB per tile
constexpr int kMaxArrays = 16;
constexpr uint64_t kMaxBufferBytes = 0x0010'0000;

// Registers (32-bit, offsets from the tile base).
constexpr uint32_t kId = 0x000, kStatus = 0x004, kCtrl = 0x008, kError = 0x00C, kArray = 0x010, kInAddr = 0x014,
                   kOutAddr = 0x018, kNumVectors = 0x01C, kRows = 0x020, kCols = 0x024, kRow0 = 0x028, kCol0 = 0x02C,
                   kVectorsDone = 0x030, kAdcSaturations = 0x034, kCellsWritten = 0x038, kRowsMax = 0x040,
                   kColsMax = 0x044, kWeightPitch = 0x048, kOutLsb = 0x04C;
constexpr uint32_t kIdValue = 0x58425431;  // "XBT1"
constexpr uint32_t kStatusBusy = 1u << 0, kStatusError = 1u << 1;
constexpr uint32_t kCtrlStart = 1u << 0;
enum ErrorCode : uint32_t {
  kNone = 0,
  kBadArray = 1,
  kBadShape = 2,
  kInputOutOfBuffer = 3,
  kOutputOutOfBuffer = 4,
  kStartWhileBusy = 5,
  kBadWeight = 6,
};


using spec::Access;
constexpr spec::RegisterSpec ID{"ID", kId, Access::ReadOnly}, STATUS{"STATUS", kStatus, Access::ReadOnly},
    CTRL{"CTRL", kCtrl, Access::WriteOnly}, ERROR{"ERROR", kError, Access::ReadOnly},
    ARRAY{"ARRAY", kArray, Access::ReadWrite}, IN_ADDR{"IN_ADDR", kInAddr, Access::ReadWrite},
    OUT_ADDR{"OUT_ADDR", kOutAddr, Access::ReadWrite}, NUM_VECTORS{"NUM_VECTORS", kNumVectors, Access::ReadWrite, 1},
    ROWS{"ROWS", kRows, Access::ReadWrite}, COLS{"COLS", kCols, Access::ReadWrite},
    ROW0{"ROW0", kRow0, Access::ReadWrite}, COL0{"COL0", kCol0, Access::ReadWrite},
    VECTORS_DONE{"VECTORS_DONE", kVectorsDone, Access::ReadOnly},
    ADC_SATURATIONS{"ADC_SATURATIONS", kAdcSaturations, Access::ReadOnly},
    CELLS_WRITTEN{"CELLS_WRITTEN", kCellsWritten, Access::ReadOnly}, ROWS_MAX{"ROWS_MAX", kRowsMax, Access::ReadOnly},
    COLS_MAX{"COLS_MAX", kColsMax, Access::ReadOnly}, WEIGHT_PITCH{"WEIGHT_PITCH", kWeightPitch, Access::ReadOnly},
    OUT_LSB{"OUT_LSB", kOutLsb, Access::ReadOnly};
constexpr spec::RegisterSpec kRegisters[] = {ID,   STATUS, CTRL, ERROR,        ARRAY,           IN_ADDR,
                                             OUT_ADDR, NUM_VECTORS, ROWS, COLS, ROW0, COL0, VECTORS_DONE,
                                             ADC_SATURATIONS, CELLS_WRITTEN, ROWS_MAX, COLS_MAX, WEIGHT_PITCH,
                                             OUT_LSB};

}  // namespace memgan::tile_map
