// A tile's work command: what the layer engine (the operation scheduler) writes to a tile's
// work window (spec/regs/tile.h, kWorkCommand) for the tile's share of one training operation:
// which of its arrays, and the events they run (array reads, DAC and ADC conversions,
// shift-and-adds, programming). The tile times and books them (models/tile, Tile::run_work) and
// reads of kWorkDone complete when it is done. The numbers themselves are the trainer's (the
// arrays' cells the tile holds); the command carries what the datapath does with them.
//
// Layout, 136 bytes, little-endian (docs/architecture.md, "Tile work commands"):
//   u32 magic 'TWK1' (0x314B5754) | u16 first_array | u16 arrays
//   i64 x 13: logical_mvms, array_reads, dac_conversions, adc_conversions, adc_saturations,
//             inputs_applied, outputs, digital_adds, weights_programmed, cells_written,
//             write_pulses, rows_reprogrammed, cells_reprogrammed
//   f64 x 3:  array_energy_pj, write_energy_pj, reprogram_pj
// decode_tile_work() rejects a command naming the field that is wrong: bad magic, no arrays, a
// negative count, a negative or non-finite energy.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace memgan::tile_work {

constexpr uint32_t kMagic = 0x314B5754;  // "TWK1"
constexpr int kCounts = 13, kEnergies = 3;
constexpr uint32_t kBytes = 8 + 8 * kCounts + 8 * kEnergies;  // 136

struct Command {
  uint16_t first_array = 0, arrays = 0;
  int64_t logical_mvms = 0, array_reads = 0, dac_conversions = 0, adc_conversions = 0, adc_saturations = 0,
          inputs_applied = 0, outputs = 0, digital_adds = 0, weights_programmed = 0, cells_written = 0,
          write_pulses = 0, rows_reprogrammed = 0, cells_reprogrammed = 0;
  double array_energy_pj = 0, write_energy_pj = 0, reprogram_pj = 0;
};

namespace detail {
// The counts and energies in layout order, with their names (for errors).
template <typename C>
auto counts(C& c) {
  return std::array<decltype(&c.logical_mvms), kCounts>{
      &c.logical_mvms,   &c.array_reads, &c.dac_conversions,    &c.adc_conversions, &c.adc_saturations,
      &c.inputs_applied, &c.outputs,     &c.digital_adds,       &c.weights_programmed, &c.cells_written,
      &c.write_pulses,   &c.rows_reprogrammed, &c.cells_reprogrammed};
}
template <typename C>
auto energies(C& c) {
  return std::array<decltype(&c.array_energy_pj), kEnergies>{&c.array_energy_pj, &c.write_energy_pj, &c.reprogram_pj};
}
constexpr const char* kCountNames[kCounts] = {
    "logical_mvms",   "array_reads", "dac_conversions", "adc_conversions",   "adc_saturations",
    "inputs_applied", "outputs",     "digital_adds",    "weights_programmed", "cells_written",
    "write_pulses",   "rows_reprogrammed", "cells_reprogrammed"};
constexpr const char* kEnergyNames[kEnergies] = {"array_energy_pj", "write_energy_pj", "reprogram_pj"};
}  // namespace detail

inline std::array<uint8_t, kBytes> encode(const Command& c) {
  std::array<uint8_t, kBytes> b{};
  std::memcpy(&b[0], &kMagic, 4);
  std::memcpy(&b[4], &c.first_array, 2);
  std::memcpy(&b[6], &c.arrays, 2);
  size_t at = 8;
  for (const int64_t* v : detail::counts(c)) std::memcpy(&b[at], v, 8), at += 8;
  for (const double* v : detail::energies(c)) std::memcpy(&b[at], v, 8), at += 8;
  return b;
}

// The command in `bytes` (kBytes of them), or "" in `why` and the command; on error `why` names
// the field and its value.
inline Command decode(const uint8_t* bytes, std::string& why) {
  Command c;
  why.clear();
  uint32_t magic = 0;
  std::memcpy(&magic, bytes, 4);
  if (magic != kMagic) {
    why = fmt::format("work command: magic 0x{:08x}, expected 0x{:08x} 'TWK1'", magic, kMagic);
    return c;
  }
  std::memcpy(&c.first_array, bytes + 4, 2);
  std::memcpy(&c.arrays, bytes + 6, 2);
  if (c.arrays == 0) {
    why = "work command: arrays is 0 (a command runs on at least one array)";
    return c;
  }
  size_t at = 8;
  int i = 0;
  for (int64_t* v : detail::counts(c)) {
    std::memcpy(v, bytes + at, 8);
    at += 8;
    if (*v < 0 && why.empty()) why = fmt::format("work command: {} is negative ({})", detail::kCountNames[i], *v);
    ++i;
  }
  i = 0;
  for (double* v : detail::energies(c)) {
    std::memcpy(v, bytes + at, 8);
    at += 8;
    if (!(std::isfinite(*v) && *v >= 0) && why.empty())
      why = fmt::format("work command: {} is {} (a finite energy >= 0, pJ)", detail::kEnergyNames[i], *v);
    ++i;
  }
  return c;
}

}  // namespace memgan::tile_work
