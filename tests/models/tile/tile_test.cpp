// One tile on its own, on an ideal analog configuration (no converters, ideal device): weights
// programmed through the weight window, an MVM run through the registers and buffers, checked
// against a plain float matrix-vector product.
#include <gtest/gtest.h>
#include <systemc>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "models/base/log.h"
#include "models/tile/tile.h"
#include "spec/isa/tile_work.h"
#include "spec/regs/tile.h"
#include "tests/models/stimulus.h"

using namespace memgan;
using namespace memgan::tile_map;
using memgan::test::Stimulus;

namespace {

constexpr int kArrays = 2, kLogicalRows = 8, kLogicalCols = 8;  // 8 x 16 cells: 8 logical columns (pairs)
constexpr uint32_t kBufferBytes = 4096;

TileParams ideal() {
  TileParams p;
  p.arrays = kArrays;
  p.geometry = {kLogicalRows, 2 * kLogicalCols};
  p.converters.quantize = false;  // float in, float out
  p.input_buffer_bytes = p.output_buffer_bytes = kBufferBytes;
  p.buffer_bytes_per_cycle = 16;
  p.clock_period = ns(1);
  p.register_access_cycles = 1;
  return p;  // DeviceParams' defaults are ideal: no variation, noise or stuck cells
}

struct TileBench : sc_core::sc_module {
  RunObserver obs{1'000'000, nullptr};
  Tile tile{"tile0", ideal(), obs, 7};
  Stimulus cpu;

  TileBench(sc_core::sc_module_name name, Stimulus::Body body) : sc_module(name), cpu("cpu", std::move(body)) {
    set_log_level(LogLevel::Error);
    cpu.socket.bind(tile.socket);
  }
};

uint64_t weight_addr(int array, int row, int col) {
  return kWeights + uint64_t(array) * kWeightWindow + (uint64_t(row) * kLogicalCols + col) * 4;
}

// Polls STATUS until BUSY clears (loosely timed: each poll advances the local time).
void wait_idle(Stimulus& s) {
  for (int i = 0; i < 10000 && (s.read32(kStatus) & kStatusBusy); ++i) s.delay += ns(10);
  ASSERT_EQ(s.read32(kStatus) & kStatusBusy, 0u) << "the tile never went idle";
}

}  // namespace

TEST(Tile, RegisterFileIsTheSpecTable) {
  TileBench b("soc", [](Stimulus&) {});
  test::expect_register_file(b.tile, kRegisters);
  test::run(b.cpu);
}

TEST(Tile, ResetValuesReadBack) {
  TileBench b("soc", [&](Stimulus& s) {
    test::expect_resets_read_back(s, 0, kRegisters, kIdValue);
    EXPECT_EQ(s.read32(kNumVectors), 1u);
    EXPECT_EQ(s.read32(kStatus), 0u);
    EXPECT_EQ(s.read32(kError), uint32_t(kNone));
    EXPECT_EQ(s.read32(kRowsMax), uint32_t(kLogicalRows));
    EXPECT_EQ(s.read32(kColsMax), uint32_t(kLogicalCols));
    EXPECT_EQ(s.read32(kWeightPitch), uint32_t(kLogicalCols * 4)) << "float weights";
    const uint32_t bits = s.read32(kOutLsb);
    float lsb = 0;
    std::memcpy(&lsb, &bits, 4);
    EXPECT_EQ(lsb, 1.0f) << "unquantized outputs are plain floats";
  });
  test::run(b.cpu);
}

TEST(Tile, RejectedAccessesAreFaultsOfTheBlock) {
  TileBench b("soc", [&](Stimulus& s) {
    test::expect_access_rules(s, b.obs, b.tile, 0, VECTORS_DONE, CTRL, 0x03C);
    // Between the register window and the input buffer there is nothing.
    const size_t n = b.obs.faults().size();
    uint32_t v = 0;
    EXPECT_EQ(s.read(0x8000, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    test::expect_fault(b.obs, n, "soc.tile0", "nothing at tile offset 0x8000");
    EXPECT_EQ(s.read(kInputBuffer + kBufferBytes - 2, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "past the buffer";
    EXPECT_EQ(s.read(weight_addr(0, 0, 0) + 2, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "misaligned weight";
    EXPECT_EQ(s.read(weight_addr(0, kLogicalRows, 0), &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "beyond the rows";
    EXPECT_EQ(s.read(kWeights + kArrays * kWeightWindow, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "no array 2";
  });
  test::run(b.cpu);
}

TEST(Tile, RegisterAccessTakesItsCycles) {
  TileBench b("soc", [&](Stimulus& s) { test::expect_register_timing(s, 0, ID, ROWS, ns(1)); });
  test::run(b.cpu);
}

TEST(Tile, MvmMatchesAFloatMatrixVectorProduct) {
  // A 3 x 4 block at (ROW0 1, COL0 2) of array 1, two input vectors.
  constexpr int kR = 3, kC = 4, kN = 2, kFirstRow = 1, kFirstCol = 2, kUsedArray = 1;
  constexpr uint32_t kIn = 0x40, kOut = 0x100;
  const float w[kR][kC] = {{0.5f, -0.25f, 0.75f, -1.0f}, {0.125f, 1.0f, -0.5f, 0.3f}, {-0.8f, 0.0f, 0.6f, -0.1f}};
  const float x[kN][kR] = {{1.0f, -2.0f, 0.5f}, {0.25f, 3.0f, -1.5f}};
  float expect[kN][kC] = {};
  for (int b = 0; b < kN; ++b)
    for (int j = 0; j < kC; ++j)
      for (int i = 0; i < kR; ++i) expect[b][j] += x[b][i] * w[i][j];

  TileBench b("soc", [&](Stimulus& s) {
    for (int i = 0; i < kR; ++i)
      EXPECT_EQ(s.write(weight_addr(kUsedArray, kFirstRow + i, kFirstCol), w[i], kC * 4), tlm::TLM_OK_RESPONSE)
          << "row " << i;
    // One cell of each pair per non-zero weight; the other, like a 0's, stays at g_min (no pulse).
    EXPECT_EQ(s.read32(kCellsWritten), uint32_t(kR * kC) - 1);
    EXPECT_EQ(s.read32(kStatus) & kStatusBusy, kStatusBusy) << "programming runs on after the posted writes";
    // The read-verify port gives the weights back.
    float back[kC];
    EXPECT_EQ(s.read(weight_addr(kUsedArray, kFirstRow + 1, kFirstCol), back, kC * 4), tlm::TLM_OK_RESPONSE);
    for (int j = 0; j < kC; ++j) EXPECT_NEAR(back[j], w[1][j], 1e-6) << j;
    wait_idle(s);

    EXPECT_EQ(s.write(kInputBuffer + kIn, x, sizeof x), tlm::TLM_OK_RESPONSE);
    s.set(kArray, kUsedArray);
    s.set(kInAddr, kIn);
    s.set(kOutAddr, kOut);
    s.set(kNumVectors, kN);
    s.set(kRows, kR);
    s.set(kCols, kC);
    s.set(kRow0, kFirstRow);
    s.set(kCol0, kFirstCol);
    s.set(kCtrl, kCtrlStart);
    EXPECT_EQ(s.read32(kStatus), kStatusBusy);
    wait_idle(s);
    EXPECT_EQ(s.read32(kError), uint32_t(kNone));
    EXPECT_EQ(s.read32(kVectorsDone), uint32_t(kN));

    float y[kN][kC];
    EXPECT_EQ(s.read(kOutputBuffer + kOut, y, sizeof y), tlm::TLM_OK_RESPONSE);
    for (int v = 0; v < kN; ++v)
      for (int j = 0; j < kC; ++j) EXPECT_NEAR(y[v][j], expect[v][j], 1e-5) << "vector " << v << " column " << j;
    // Only the outputs were written.
    uint32_t around[2] = {1, 1};
    EXPECT_EQ(s.read(kOutputBuffer + kOut - 4, &around[0], 4), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.read(kOutputBuffer + kOut + sizeof y, &around[1], 4), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(around[0], 0u);
    EXPECT_EQ(around[1], 0u);

    // Array 0 was never programmed: its product is zero.
    s.set(kArray, 0);
    s.set(kCtrl, kCtrlStart);
    wait_idle(s);
    EXPECT_EQ(s.read(kOutputBuffer + kOut, y, sizeof y), tlm::TLM_OK_RESPONSE);
    for (int v = 0; v < kN; ++v)
      for (int j = 0; j < kC; ++j) EXPECT_EQ(y[v][j], 0.0f);
    EXPECT_EQ(s.read32(kVectorsDone), uint32_t(2 * kN));
  });
  test::run(b.cpu);
  EXPECT_TRUE(b.obs.faults().empty()) << b.obs.last_fault();
  EXPECT_EQ(b.tile.counters().starts, 2);
}

TEST(Tile, BadArrayShapeOrBufferSetsErrorCodes) {
  TileBench b("soc", [&](Stimulus& s) {
    const auto start_fails = [&](uint32_t code, const char* what) {
      const size_t n = b.obs.faults().size();
      s.sync();
      EXPECT_EQ(s.write32(kCtrl, kCtrlStart), tlm::TLM_GENERIC_ERROR_RESPONSE) << what;
      test::expect_fault(b.obs, n, "soc.tile0", what);
      EXPECT_EQ(s.read32(kError), code) << what;
      EXPECT_EQ(s.read32(kStatus), kStatusError) << what << ": nothing started";
    };
    s.set(kRows, 2);
    s.set(kCols, 2);
    s.set(kArray, kArrays);
    start_fails(kBadArray, "ARRAY = 2 but the tile has 2 arrays");
    s.set(kArray, 1);
    s.set(kRow0, kLogicalRows - 1);
    start_fails(kBadShape, "ROWS 2 at ROW0 7");
    s.set(kRow0, 0);
    s.set(kCols, kLogicalCols + 1);
    start_fails(kBadShape, "COLS 9 at COL0 0");
    s.set(kCols, 2);
    s.set(kNumVectors, 0);
    start_fails(kBadShape, "NUM_VECTORS 0");
    s.set(kNumVectors, 1);
    s.set(kInAddr, kBufferBytes - 4);
    start_fails(kInputOutOfBuffer, "overrun the 4096-byte input buffer");
    s.set(kInAddr, 0);
    s.set(kOutAddr, kBufferBytes - 4);
    start_fails(kOutputOutOfBuffer, "overrun the 4096-byte output buffer");
    s.set(kOutAddr, 0);
    // A good START clears ERROR; a START while it runs is kStartWhileBusy.
    s.set(kCtrl, kCtrlStart);
    EXPECT_EQ(s.read32(kError), uint32_t(kNone));
    EXPECT_EQ(s.write32(kCtrl, kCtrlStart), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(s.read32(kError), uint32_t(kStartWhileBusy));
    wait_idle(s);
    // A weight outside [-1, 1] is rejected.
    const float bad = 1.5f;
    s.sync();
    EXPECT_EQ(s.write(weight_addr(0, 0, 0), &bad, 4), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(s.read32(kError), uint32_t(kBadWeight));
    EXPECT_NE(b.obs.last_fault().find("array 0"), std::string::npos) << b.obs.last_fault();
  });
  test::run(b.cpu);
  EXPECT_EQ(b.tile.counters().starts, 1);
}

// Training work (the layer engine's share of a layer operation on this tile's arrays), against
// the hand-computed lock-step closed form and the per-event energy tables.
TEST(Tile, TrainingWorkTakesTheLockStepTimeAndBooksItsArraysEvents) {
  TileParams p = ideal();
  p.dac_ns = 1, p.array_read_ns = 10, p.adc_ns = 1, p.adcs_per_array = 1;
  p.logical_cols = kLogicalCols, p.write_pulse_ns = 50, p.row_write_ns = 50;
  p.dac_pj = 0.5, p.adc_pj = 2, p.shift_add_pj = 0.1, p.in_read_pj_per_byte = 0.25, p.out_write_pj_per_byte = 0.5;
  RunObserver obs{1'000'000, nullptr};
  Tile tile("tile0", p, obs, 7);
  Stimulus cpu("cpu", [&](Stimulus&) {
    TileWork w;
    w.first_array = 0, w.arrays = 2;
    w.counts.array_reads = 10, w.counts.adc_conversions = 80, w.counts.dac_conversions = 40;
    w.counts.partial_sum_adds = 6, w.counts.array_energy_pj = 5, w.counts.inputs_applied = 20, w.counts.outputs = 16;
    w.counts.logical_mvms = 4;
    // t_read = max(1 + 10, ceil(8 conversions per read / 1 ADC) * 1) = 11 ns; 5 reads per array;
    // 6 adds on 2 shift-add units: 3 clocks. 55 + 3 = 58 ns from the ready time.
    const Tile::Span a = tile.run_work(w, 100'000);
    EXPECT_EQ(a.start_ps, 100'000u);
    EXPECT_EQ(a.end_ps, 158'000u);
    // A second share waits for the tile: 32 pulses on one array's 8 columns (4 pulse widths,
    // 200 ns) and 3 rows rewritten (150 ns).
    TileWork u;
    u.first_array = 1, u.arrays = 1;
    u.counts.write_pulses = 32, u.counts.cells_written = 16, u.counts.write_energy_pj = 7;
    u.rows_reprogrammed = 3, u.cells_reprogrammed = 4, u.reprogram_pj = 1;
    const Tile::Span b = tile.run_work(u, 120'000);
    EXPECT_EQ(b.start_ps, 158'000u) << "the tile was busy";
    EXPECT_EQ(b.end_ps, 158'000u + 4 * 50'000 + 150'000);
    EXPECT_EQ(tile.busy_ps(), 58'000u + 350'000u);
    // Issued later but ready earlier (operations are issued as their data gets ready): it takes
    // the free gap before the first share, 1 read per array = 11 ns.
    TileWork early;
    early.first_array = 0, early.arrays = 2;
    early.counts.array_reads = 2;
    const Tile::Span c = tile.run_work(early, 10'000);
    EXPECT_EQ(c.start_ps, 10'000u);
    EXPECT_EQ(c.end_ps, 21'000u);
  });
  cpu.socket.bind(tile.socket);
  test::run(cpu);
  const auto& names = obs.ledger().names();
  const auto pj = [&](const std::string& n) {
    const auto it = std::find(names.begin(), names.end(), n);
    EXPECT_NE(it, names.end()) << n;
    return it == names.end() ? -1.0 : obs.ledger().dynamic_pj(power::ComponentId(it - names.begin()));
  };
  EXPECT_DOUBLE_EQ(pj("tile0.xbar0.adc"), 80.0);  // half of 80 conversions x 2 pJ
  EXPECT_DOUBLE_EQ(pj("tile0.xbar1.adc"), 80.0);
  EXPECT_DOUBLE_EQ(pj("tile0.xbar0.dac"), 10.0);
  EXPECT_DOUBLE_EQ(pj("tile0.xbar0.array"), 2.5) << "the early share drove no DAC: no read energy";
  EXPECT_DOUBLE_EQ(pj("tile0.xbar1.shift_add"), 0.3);
  EXPECT_DOUBLE_EQ(pj("tile0.input_buffer"), 20 * 4 * 0.25);
  EXPECT_DOUBLE_EQ(pj("tile0.output_buffer"), 16 * 4 * 0.5);
  EXPECT_DOUBLE_EQ(pj("tile0.xbar1.writes"), 8.0) << "pulses and the rewrite";
  EXPECT_DOUBLE_EQ(pj("tile0.xbar0.writes"), 0.0);
  EXPECT_EQ(tile.counters().adc_conversions, 80);
  EXPECT_EQ(tile.counters().write_pulses, 32);
  EXPECT_EQ(tile.counters().cells_written, 20);
}


// The operation scheduler's path to the same work: a command written to the work window runs
// from its arrival, and a read of kWorkDone is held until the last command is done. A bad
// command is an error response naming its field, and the tile does nothing.
TEST(Tile, WorkCommandsOverTheBusRunAndCompleteOnTheirDoneRead) {
  TileParams p = ideal();
  p.dac_ns = 1, p.array_read_ns = 10, p.adc_ns = 1, p.adcs_per_array = 1;
  RunObserver obs{1'000'000, nullptr};
  Tile tile("tile0", p, obs, 7);
  Stimulus cpu("cpu", [&](Stimulus& s) {
    tile_work::Command c;
    c.first_array = 0, c.arrays = 2;
    c.array_reads = 10, c.adc_conversions = 80, c.digital_adds = 6;  // 58 ns, as above
    auto bytes = tile_work::encode(c);
    s.delay = ns(100);
    ASSERT_EQ(s.write(kWorkCommand, bytes.data(), tile_work::kBytes), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay, ns(100 + 9)) << "136 bytes taken at the buffer port's 16 per clock, posted";
    uint64_t record[2] = {0, 0};
    ASSERT_EQ(s.read(kWorkDone, record, 16), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay, ns(109 + 58)) << "held until the work is done";
    EXPECT_EQ(record[0], 1u);
    EXPECT_EQ(record[1], 58'000u);
    ASSERT_EQ(s.read(kWorkDone, record, 16), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay, ns(167)) << "done already: no wait";
    // Bad commands.
    c.adc_conversions = -1;
    bytes = tile_work::encode(c);
    EXPECT_EQ(s.write(kWorkCommand, bytes.data(), tile_work::kBytes), tlm::TLM_GENERIC_ERROR_RESPONSE);
    c.adc_conversions = 80, c.first_array = 1;
    bytes = tile_work::encode(c);
    EXPECT_EQ(s.write(kWorkCommand, bytes.data(), tile_work::kBytes), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(s.write(kWorkCommand, bytes.data(), 64), tlm::TLM_COMMAND_ERROR_RESPONSE) << "a partial command";
    ASSERT_EQ(s.read(kWorkDone, record, 16), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(record[0], 1u) << "rejected commands do not run";
  });
  cpu.socket.bind(tile.socket);
  test::run(cpu);
  ASSERT_EQ(obs.faults().size(), 3u);
  EXPECT_NE(obs.faults()[0].message.find("work command: adc_conversions is negative (-1)"), std::string::npos)
      << obs.faults()[0].message;
  EXPECT_NE(obs.faults()[1].message.find("work command: arrays [1, 3) beyond the tile's 2"), std::string::npos)
      << obs.faults()[1].message;
  EXPECT_NE(obs.faults()[2].message.find("write one 136-byte command"), std::string::npos) << obs.faults()[2].message;
  EXPECT_EQ(tile.counters().adc_conversions, 80);
}
