// One accelerator tile: input buffer -> DACs -> crossbar arrays -> ADCs -> shift-and-add ->
// output buffer, behind memory-mapped registers and memory windows (spec/regs/tile.h).
//
// Functional numerics come from core/xbar (CrossbarArray); this model adds the
// register interface, buffers, timing and energy. Loosely timed: a START computes the
// whole batch at once and marks the tile busy until the batch's modelled end time, which
// firmware polls through STATUS.BUSY. Within a batch the stages (buffer read, DAC+array
// read, ADC, shift-add, buffer write) are pipelined across vectors; see tile.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

#include "models/base/occupancy.h"
#include "models/base/peripheral.h"
#include "spec/regs/tile.h"
#include "core/xbar/crossbar_array.h"
#include "core/observe/observer.h"
#include "core/nn/mvm_engine.h"
#include "models/shift_add/shift_add_engine.h"

namespace memgan {

struct TileParams {
  int arrays = 1;
  xbar::ArrayGeometry geometry;
  xbar::ConverterParams converters;
  xbar::DeviceParams device;
  int adcs_per_array = 1;
  uint32_t input_buffer_bytes = 65536;
  uint32_t output_buffer_bytes = 65536;
  int buffer_bytes_per_cycle = 32;
  sc_core::sc_time clock_period;
  // latency
  double dac_ns = 1, array_read_ns = 10, adc_ns = 1, row_write_ns = 50;
  int shift_add_cycles = 1, register_access_cycles = 1;
  // energy, pJ
  double dac_pj = 0, adc_pj = 0, shift_add_pj = 0, register_access_pj = 0;
  double in_read_pj_per_byte = 0, in_write_pj_per_byte = 0, out_read_pj_per_byte = 0, out_write_pj_per_byte = 0;
  // leakage, mW
  double in_leak_mw = 0, out_leak_mw = 0, dac_leak_mw = 0, array_leak_mw = 0, adc_leak_mw = 0, shift_add_leak_mw = 0;
  // RTL co-simulation (docs/rtl.md): when set and quantizing, each array's shift-and-add runs in
  // the engine this makes (the Verilated RTL behind its transactor) on the ADC codes.
  ShiftAddFactory shift_add_engine;
  // Training work (run_work): the arrays placed here hold the trainer's cells (adopt_array); its
  // engine reads and pulses them.
  int logical_cols = 1;            // logical weights per array row (training work timing)
  double write_pulse_ns = 50;      // one programming pulse
  double read_pj_per_cell = 0;     // V^2 G_mid t_read: array read energy when the counts carry none
  double columns_per_conversion = 2;  // differential pairs: two bit lines per ADC conversion
};

// A tile's share of one training operation (models/layer_engine): the arrays of the layer placed
// on this tile did `counts` (their share of the layer's events; the trainer's engine computed the
// numbers). rows_reprogrammed / reprogram_pj: rewriting these arrays with the layer's weights
// first (arch.mapping.overflow: reprogram), per array, rows one after another, arrays in parallel.
struct TileWork {
  int first_array = 0, arrays = 0;
  nn::MvmCounts counts;
  int64_t rows_reprogrammed = 0, cells_reprogrammed = 0;
  double reprogram_pj = 0;
};

struct TileCounters {
  int64_t vectors = 0, starts = 0, dac_conversions = 0, adc_conversions = 0, adc_saturations = 0, shift_add_ops = 0,
          array_reads = 0, cells_written = 0, write_pulses = 0, output_saturations = 0;
  int64_t rtl_mismatches = 0;  // RTL shift-and-add outputs that differ from the C++ model's
};

class Tile : public Peripheral {
 public:

  Tile(sc_core::sc_module_name name, const TileParams& params, RunObserver& observer, uint64_t seed);

  const TileCounters& counters() const { return counters_; }
  // Training: times and books `work` in the earliest gap of the tile's training work at or after
  // `ready_ps`, when its inputs are in (formulas in tile.cpp); returns when it ran.
  struct Span {
    uint64_t start_ps = 0, end_ps = 0;
  };
  Span run_work(const TileWork& work, uint64_t ready_ps);
  uint64_t busy_ps() const { return work_busy_ps_; }  // training work so far
  const xbar::CrossbarArray& array(int i) const { return cells(i); }
  // Training: array i takes over `cells` (a trainer's array placed here, state as it is) and
  // returns where they now live; null, leaving `cells`, when the slot already holds one. Throws
  // std::invalid_argument when their geometry differs from the tile's.
  xbar::CrossbarArray* adopt_array(int i, std::unique_ptr<xbar::CrossbarArray>& cells);
  int arrays() const { return int(arrays_.size()); }
  int adopted_arrays() const { return adopted_; }
  bool holds_trainer_array(int i) const { return arrays_[size_t(i)].adopted; }
  uint32_t input_buffer_bytes() const { return static_cast<uint32_t>(input_buffer_.size()); }
  uint32_t output_buffer_bytes() const { return static_cast<uint32_t>(output_buffer_.size()); }
  int element_bytes() const { return params_.converters.quantize ? 1 : 4; }
  uint32_t weight_pitch() const { return static_cast<uint32_t>(cells(0).logical_cols()); }

 private:
  // What an array is doing, as the trace's `op` signal shows it.
  enum class ArrayOp : int64_t { Idle = 0, Mvm = 1, Program = 2 };
  // Traces `op` and `utilization` (cells of the array driven by the current MVM) over [t0, t1).
  void trace_array_state(int index, uint64_t t0_ps, uint64_t t1_ps, ArrayOp op, double utilization);

  struct ArrayUnit {
    std::unique_ptr<xbar::CrossbarArray> xbar;  // built on first use (cells())
    uint64_t seed = 0;                          // its device variation's seed
    bool adopted = false;                       // holds a trainer's array (adopt_array)
    std::unique_ptr<BlockProbe> array, dac, adc, shift_add, writes;
    int op_signal = -1, utilization_signal = -1;  // trace ids, -1 when not traced
    std::unique_ptr<ShiftAddEngine> rtl_shift_add;  // null: the C++ shift-and-add
  };

  xbar::CrossbarArray& cells(ArrayUnit& unit) const;
  xbar::CrossbarArray& cells(int i) const { return cells(arrays_[size_t(i)]); }

  // Buffers and weight windows, after the registers.
  std::string transport_window(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;
  std::string start_mvm();
  void run_rtl_shift_add(ArrayUnit& unit, uint32_t n, uint32_t row0, uint32_t rows, uint32_t col0, uint32_t cols);
  std::string work_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  std::string buffer_access(tlm::tlm_generic_payload& tx, uint64_t offset, std::vector<uint8_t>& buffer,
                            BlockProbe& probe, double read_pj, double write_pj, sc_core::sc_time& delay);
  std::string weight_access(tlm::tlm_generic_payload& tx, uint64_t offset, sc_core::sc_time& delay);
  uint64_t cycles_ps(double cycles) const;

  TileParams params_;
  mutable std::vector<ArrayUnit> arrays_;
  int adopted_ = 0;  // mutable: the cells are built on first use
  std::vector<uint8_t> input_buffer_, output_buffer_;
  BlockProbe in_probe_, out_probe_;
  // After the buffers' probes: the power log's columns are input, output, registers, arrays.
  Register id_{*this, tile_map::ID}, status_{*this, tile_map::STATUS}, ctrl_{*this, tile_map::CTRL},
      error_reg_{*this, tile_map::ERROR}, array_{*this, tile_map::ARRAY}, in_addr_{*this, tile_map::IN_ADDR},
      out_addr_{*this, tile_map::OUT_ADDR}, num_vectors_{*this, tile_map::NUM_VECTORS}, rows_{*this, tile_map::ROWS},
      cols_{*this, tile_map::COLS}, row0_{*this, tile_map::ROW0}, col0_{*this, tile_map::COL0},
      vectors_done_{*this, tile_map::VECTORS_DONE}, adc_saturations_{*this, tile_map::ADC_SATURATIONS},
      cells_written_{*this, tile_map::CELLS_WRITTEN}, rows_max_{*this, tile_map::ROWS_MAX},
      cols_max_{*this, tile_map::COLS_MAX}, weight_pitch_{*this, tile_map::WEIGHT_PITCH},
      out_lsb_{*this, tile_map::OUT_LSB};
  TileCounters counters_;
  uint32_t error_ = 0;
  std::vector<float> x_, y_;  // staging, reused across STARTs
  std::vector<int16_t> codes_;  // RTL co-simulation staging
  std::vector<int32_t> acc_;
  uint64_t work_busy_ps_ = 0;
  Occupancy work_;  // training work's reservations
  int64_t work_done_ = 0;    // work commands run
  Span last_work_;           // the last one's
};

}  // namespace memgan
