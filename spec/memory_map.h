// The SoC's physical memory map (32-bit addresses; docs/architecture.md has the table).
#pragma once

#include <cstdint>

#include "spec/regs/tile.h"

namespace memgan::memory_map {

constexpr uint64_t kDramBase = 0x0000'0000;   // up to 1 GiB
constexpr uint64_t kDmaBase = 0x3000'0000, kDmaSize = 0x1000;
constexpr uint64_t kNoiseBase = 0x3100'0000, kNoiseSize = 0x0020'0000;  // registers + sample window
constexpr uint64_t kLayerEngineBase = 0x3200'0000, kLayerEngineSize = 0x1000;  // training (job.kind train)
constexpr uint64_t kDigitalUnitBase = 0x3300'0000, kDigitalUnitSize = 0x0500'0000;  // registers + operand buffer (training)
constexpr uint64_t kTileBase = 0x4000'0000;   // tile i at kTileBase + i * tile_map::kTileSpan
constexpr int kMaxTiles = 16;
constexpr uint64_t kBootAddress = kDramBase;  // the controller loads its program image from here

constexpr uint64_t tile_base(int i) { return kTileBase + uint64_t(i) * tile_map::kTileSpan; }

}  // namespace memgan::memory_map
