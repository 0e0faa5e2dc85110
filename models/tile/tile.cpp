#include "models/tile/tile.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"
#include "models/base/size_only.h"
#include "core/mapping/cost.h"
#include "core/xbar/adc_codes.h"
#include "spec/isa/tile_work.h"
#include "spec/regs/tile.h"

namespace memgan {

using namespace tile_map;

namespace {
uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint64_t ns_to_ps(double v) { return static_cast<uint64_t>(std::llround(v * 1e3)); }
}  // namespace

// The cells are built when the tile's own MVM path first touches the array: training keeps its
// crossbar state in the trainer, and a 16 x 16 chip of device models would cost memory and
// start-up time for nothing. Built from the array's own seed, they are the same whenever built.
xbar::CrossbarArray& Tile::cells(ArrayUnit& unit) const {
  if (!unit.xbar) unit.xbar = std::make_unique<xbar::CrossbarArray>(params_.geometry, params_.converters, params_.device, unit.seed);
  return *unit.xbar;
}

xbar::CrossbarArray* Tile::adopt_array(int i, std::unique_ptr<xbar::CrossbarArray>& cells) {
  if (i < 0 || i >= int(arrays_.size())) throw std::invalid_argument(fmt::format("{}: no array {}", name(), i));
  ArrayUnit& u = arrays_[size_t(i)];
  if (u.adopted) return nullptr;
  const xbar::ArrayGeometry g = cells->geometry();
  if (g.rows != params_.geometry.rows || g.cols != params_.geometry.cols)
    throw std::invalid_argument(fmt::format("{}: array {} is {} x {}, the trainer's {} x {}", name(), i,
                                            params_.geometry.rows, params_.geometry.cols, g.rows, g.cols));
  u.xbar = std::move(cells);
  u.adopted = true;
  ++adopted_;
  return u.xbar.get();
}

Tile::Tile(sc_core::sc_module_name name, const TileParams& p, RunObserver& observer, uint64_t seed)
    : Peripheral(name, {p.clock_period, p.register_access_cycles, p.register_access_pj}, kRegsSize, observer),
      params_(p),
      input_buffer_(p.input_buffer_bytes, 0),
      output_buffer_(p.output_buffer_bytes, 0),
      in_probe_(observer, std::string(this->name()) + ".input_buffer", p.in_leak_mw),
      out_probe_(observer, std::string(this->name()) + ".output_buffer", p.out_leak_mw) {
  for (int i = 0; i < p.arrays; ++i) {
    ArrayUnit u;
    // Each array draws its own device variation: seed it apart from its neighbours.
    u.seed = seed * 0x9E3779B97F4A7C15ull + uint64_t(i) + 1;
    const std::string base = fmt::format("{}.xbar{}", this->name(), i);
    u.array = std::make_unique<BlockProbe>(observer, base + ".array", p.array_leak_mw);
    u.dac = std::make_unique<BlockProbe>(observer, base + ".dac", p.dac_leak_mw);
    u.adc = std::make_unique<BlockProbe>(observer, base + ".adc", p.adc_leak_mw);
    u.shift_add = std::make_unique<BlockProbe>(observer, base + ".shift_add", p.shift_add_leak_mw);
    u.writes = std::make_unique<BlockProbe>(observer, base + ".writes", 0.0);
    if (auto* vcd = observer.vcd()) {
      if (observer.signals().selected(base + ".op")) {
        static const auto labels = std::make_shared<const trace::EnumLabels>(
            trace::EnumLabels{"array_op", {{0, "idle"}, {1, "mvm"}, {2, "program"}}});
        u.op_signal = static_cast<int>(vcd->add_enum(base + ".op", 2, labels));
      }
      if (observer.signals().selected(base + ".utilization")) {
        u.utilization_signal = static_cast<int>(vcd->add_real(base + ".utilization", 1e-6));
      }
    }
    if (p.shift_add_engine && p.converters.quantize)
      u.rtl_shift_add = p.shift_add_engine(fmt::format("shift_add{}", i).c_str(), i);
    arrays_.push_back(std::move(u));
  }

  using T = const sc_core::sc_time&;
  id_.on_read([](T) { return kIdValue; });
  status_.on_read([this](T) { return (busy() ? kStatusBusy : 0u) | (error_ ? kStatusError : 0u); });
  error_reg_.on_read([this](T) { return error_; });
  vectors_done_.on_read([this](T) { return static_cast<uint32_t>(counters_.vectors); });
  adc_saturations_.on_read([this](T) { return static_cast<uint32_t>(counters_.adc_saturations); });
  cells_written_.on_read([this](T) { return static_cast<uint32_t>(counters_.cells_written); });
  rows_max_.on_read([this](T) { return static_cast<uint32_t>(cells(0).logical_rows()); });
  cols_max_.on_read([this](T) { return weight_pitch(); });
  weight_pitch_.on_read([this](T) { return weight_pitch() * element_bytes(); });
  out_lsb_.on_read([this](T) {
    // IEEE-754 bits of the value of one output count for the configured ROWS.
    const float lsb = params_.converters.quantize
                          ? static_cast<float>(cells(0).adc_lsb(std::max<int>(1, rows_.value())))
                          : 1.0f;
    uint32_t bits;
    std::memcpy(&bits, &lsb, 4);
    return bits;
  });
  ctrl_.on_write([this](uint32_t v, T) -> std::string { return (v & kCtrlStart) ? start_mvm() : std::string(); });
}

// RTL co-simulation: the array's ADC codes go through the RTL shift-and-add, whose sums replace
// the C++ model's y_ (same float conversion and Offset correction as core/xbar); y_ from
// the C++ model is the reference every RTL output is checked against.
void Tile::run_rtl_shift_add(ArrayUnit& unit, uint32_t n, uint32_t row0, uint32_t rows, uint32_t col0,
                             uint32_t cols) {
  const xbar::CrossbarArray& a = cells(unit);
  const int nc = a.input_cycles(), ns = a.weight_slices();
  codes_.resize(uint64_t(n) * nc * ns * cols);
  acc_.resize(uint64_t(n) * cols);
  xbar::mvm_codes(a, x_.data(), static_cast<int>(n), static_cast<int>(row0), static_cast<int>(rows),
                  static_cast<int>(col0), static_cast<int>(cols), codes_.data());
  unit.rtl_shift_add->accumulate(codes_.data(), static_cast<int>(n), nc, ns, static_cast<int>(cols),
                                 params_.converters.dac_bits, params_.converters.cell_bits, acc_.data());
  const double lsb = a.adc_lsb(static_cast<int>(rows));
  const bool offset = params_.converters.encoding == xbar::WeightEncoding::Offset;
  const double bias = std::ldexp(1.0, params_.converters.weight_bits - 1);
  int64_t mismatches = 0;
  for (uint64_t b = 0; b < n; ++b) {
    double x_sum = 0;
    if (offset)
      for (uint64_t k = 0; k < rows; ++k) x_sum += x_[b * rows + k];
    const double correction = offset ? bias * x_sum : 0.0;
    for (uint64_t j = 0; j < cols; ++j) {
      const uint64_t o = b * cols + j;
      const auto y = static_cast<float>(acc_[o] * lsb - correction);
      if (std::memcmp(&y, &y_[o], sizeof y) != 0) ++mismatches;
      y_[o] = y;
    }
  }
  if (mismatches > 0 && counters_.rtl_mismatches == 0)
    SC_REPORT_WARNING("memgan/rtl", fmt::format("{}: {} RTL shift-and-add outputs differ from the C++ model's (first "
                                                "START with a difference; see docs/rtl.md for when codes are exact)",
                                                name(), mismatches)
                                        .c_str());
  counters_.rtl_mismatches += mismatches;
}

void Tile::trace_array_state(int index, uint64_t t0_ps, uint64_t t1_ps, ArrayOp op, double utilization) {
  auto* vcd = observer().vcd();
  const ArrayUnit& u = arrays_[index];
  if (!vcd || t1_ps <= t0_ps) return;
  if (u.op_signal >= 0) {
    vcd->set(static_cast<trace::SignalId>(u.op_signal), t0_ps, static_cast<int64_t>(op));
    vcd->set(static_cast<trace::SignalId>(u.op_signal), t1_ps, static_cast<int64_t>(ArrayOp::Idle));
  }
  if (u.utilization_signal >= 0) {
    const auto id = static_cast<trace::SignalId>(u.utilization_signal);
    vcd->set(id, t0_ps, static_cast<int64_t>(std::llround(std::min(1.0, utilization) * 1e6)));
    vcd->set(id, t1_ps, 0);
  }
}

uint64_t Tile::cycles_ps(double cycles) const { return to_ps(params_.clock_period * cycles); }

std::string Tile::transport_window(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t off = tx.get_address();
  const uint64_t len = tx.get_data_length();
  if (off >= kWorkCommand && off < kWorkDone + 16) return work_access(tx, delay);
  if (off >= kInputBuffer && off + len <= kInputBuffer + input_buffer_.size())
    return buffer_access(tx, off - kInputBuffer, input_buffer_, in_probe_, params_.in_read_pj_per_byte,
                         params_.in_write_pj_per_byte, delay);
  if (off >= kOutputBuffer && off + len <= kOutputBuffer + output_buffer_.size())
    return buffer_access(tx, off - kOutputBuffer, output_buffer_, out_probe_, params_.out_read_pj_per_byte,
                         params_.out_write_pj_per_byte, delay);
  if (off >= kWeights && off < kWeights + kWeightWindow * arrays_.size()) return weight_access(tx, off - kWeights, delay);
  tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  return fmt::format("nothing at tile offset 0x{:x} (+{} bytes)", off, len);
}

// Training work from the operation scheduler: a command written to kWorkCommand runs on the
// datapath from its arrival (Tile::run_work: the earliest gap, commands need not come in time
// order); a read of kWorkDone completes when the last command written has (the response is held
// until then) and returns how many have run and how long the last one took.
std::string Tile::work_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t off = tx.get_address(), len = tx.get_data_length();
  if (tx.is_write() && off == kWorkCommand && len == tile_work::kBytes) {
    std::string why;
    const tile_work::Command c = tile_work::decode(tx.get_data_ptr(), why);
    if (why.empty() && int(c.first_array) + int(c.arrays) > int(arrays_.size()))
      why = fmt::format("work command: arrays [{}, {}) beyond the tile's {}", c.first_array,
                        int(c.first_array) + int(c.arrays), arrays_.size());
    if (!why.empty()) {
      tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return why;
    }
    delay += params_.clock_period * double(ceil_div(len, params_.buffer_bytes_per_cycle));
    TileWork w;
    w.first_array = c.first_array;
    w.arrays = c.arrays;
    nn::MvmCounts& k = w.counts;
    k.logical_mvms = c.logical_mvms;
    k.array_reads = c.array_reads;
    k.dac_conversions = c.dac_conversions;
    k.adc_conversions = c.adc_conversions;
    k.adc_saturations = c.adc_saturations;
    k.inputs_applied = c.inputs_applied;
    k.outputs = c.outputs;
    k.partial_sum_adds = c.digital_adds;  // the adds behind the ADCs, whatever they merge
    k.weights_programmed = c.weights_programmed;
    k.cells_written = c.cells_written;
    k.write_pulses = c.write_pulses;
    k.array_energy_pj = c.array_energy_pj;
    k.write_energy_pj = c.write_energy_pj;
    w.rows_reprogrammed = c.rows_reprogrammed;
    w.cells_reprogrammed = c.cells_reprogrammed;
    w.reprogram_pj = c.reprogram_pj;
    const Span s = run_work(w, local_ps(delay));
    ++work_done_;
    last_work_ = s;
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return {};
  }
  if (tx.is_read() && off == kWorkDone && len == 16) {
    const uint64_t t = local_ps(delay);
    if (last_work_.end_ps > t) delay += ps(last_work_.end_ps - t);
    const uint64_t record[2] = {uint64_t(work_done_), last_work_.end_ps - last_work_.start_ps};
    std::memcpy(tx.get_data_ptr(), record, 16);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return {};
  }
  tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
  return fmt::format("work window: {} of {} bytes at +0x{:x}; write one {}-byte command at +0x{:x}, read 16 bytes "
                     "at +0x{:x}",
                     tx.is_read() ? "read" : "write", len, off, tile_work::kBytes, kWorkCommand, kWorkDone);
}

std::string Tile::buffer_access(tlm::tlm_generic_payload& tx, uint64_t offset, std::vector<uint8_t>& buffer,
                                BlockProbe& probe, double read_pj, double write_pj, sc_core::sc_time& delay) {
  const uint64_t len = tx.get_data_length();
  const uint64_t t0 = local_ps(delay);
  if (!carries_data(tx)) {
  } else if (tx.is_read()) {
    std::memcpy(tx.get_data_ptr(), &buffer[offset], len);
  } else if (tx.is_write()) {
    std::memcpy(&buffer[offset], tx.get_data_ptr(), len);
  }
  delay += params_.clock_period * double(ceil_div(len, params_.buffer_bytes_per_cycle));
  probe.activity(t0, local_ps(delay), double(len) * (tx.is_read() ? read_pj : write_pj));
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  return {};
}

std::string Tile::weight_access(tlm::tlm_generic_payload& tx, uint64_t offset, sc_core::sc_time& delay) {
  const int index = static_cast<int>(offset / kWeightWindow);
  const uint64_t in_window = offset % kWeightWindow;
  ArrayUnit& unit = arrays_[index];
  const uint64_t elem = element_bytes();
  const uint64_t pitch = weight_pitch();
  const uint64_t len = tx.get_data_length();
  const uint64_t first = in_window / elem, count = len / elem;
  if (in_window % elem || len % elem || first + count > uint64_t(cells(unit).logical_rows()) * pitch) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return fmt::format("weight window of array {}: access [+0x{:x}, +{}) is misaligned or outside {} rows x {} "
                       "columns of {}-byte weights",
                       index, in_window, len, cells(unit).logical_rows(), pitch, elem);
  }
  const uint8_t* data = tx.get_data_ptr();
  if (tx.is_read()) {
    // Read-verify port: the weight the array holds now, as firmware would see it.
    for (uint64_t e = 0; e < count; ++e) {
      const float w = cells(unit).weight(static_cast<int>((first + e) / pitch), static_cast<int>((first + e) % pitch));
      if (elem == 1) {
        tx.get_data_ptr()[e] = static_cast<uint8_t>(static_cast<int8_t>(std::lround(w)));
      } else {
        std::memcpy(tx.get_data_ptr() + 4 * e, &w, 4);
      }
    }
    delay += params_.clock_period * double(ceil_div(len, params_.buffer_bytes_per_cycle));
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return {};
  }
  // Program row segment by row segment (write-and-verify, one row at a time).
  std::vector<float> w(count);
  for (uint64_t e = 0; e < count; ++e) {
    if (elem == 1) w[e] = static_cast<float>(static_cast<int8_t>(data[e]));
    else std::memcpy(&w[e], data + 4 * e, 4);
  }
  xbar::ProgramStats total;
  try {
    for (uint64_t e = 0; e < count;) {
      const uint64_t row = (first + e) / pitch, col = (first + e) % pitch;
      const uint64_t n = std::min<uint64_t>(count - e, pitch - col);
      const auto s = cells(unit).program_weights(static_cast<int>(row), static_cast<int>(col), 1, static_cast<int>(n),
                                                &w[e], static_cast<std::ptrdiff_t>(n));
      total.cells_written += s.cells_written;
      total.pulses += s.pulses;
      total.rows_written += s.rows_written;
      total.write_energy_pj += s.write_energy_pj;
      e += n;
    }
  } catch (const std::invalid_argument& e) {
    error_ = kBadWeight;
    tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return fmt::format("array {}: {}", index, e.what());
  }
  // The write port takes the data once the previous programming has finished; the
  // programming itself runs on while the initiator continues (posted write).
  const uint64_t t = local_ps(delay);
  const uint64_t start = std::max(t, busy_until_ps());
  const uint64_t duration = ns_to_ps(params_.row_write_ns * double(total.rows_written));
  set_busy_until(start + duration);
  delay += ps(start - t) + params_.clock_period * double(ceil_div(len, params_.buffer_bytes_per_cycle));
  // Pulse energy is V^2 G t of each programmed cell (core/xbar).
  unit.writes->activity(start, busy_until_ps(), total.write_energy_pj, total.cells_written);
  trace_array_state(index, start, busy_until_ps(), ArrayOp::Program, 0.0);
  counters_.cells_written += total.cells_written;
  counters_.write_pulses += total.pulses;
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  return {};
}

std::string Tile::start_mvm() {
  if (busy()) {
    error_ = kStartWhileBusy;
    return "START while the tile is busy (poll STATUS.BUSY first)";
  }
  const uint32_t index = array_.value();
  if (index >= arrays_.size()) {
    error_ = kBadArray;
    return fmt::format("ARRAY = {} but the tile has {} arrays", index, arrays_.size());
  }
  ArrayUnit& unit = arrays_[index];
  const uint32_t rows = rows_.value(), cols = cols_.value();
  const uint32_t row0 = row0_.value(), col0 = col0_.value();
  const uint32_t n = num_vectors_.value();
  const uint64_t max_rows = cells(unit).logical_rows(), max_cols = cells(unit).logical_cols();
  if (rows == 0 || cols == 0 || n == 0 || uint64_t(row0) + rows > max_rows || uint64_t(col0) + cols > max_cols) {
    error_ = kBadShape;
    return fmt::format("ROWS {} at ROW0 {}, COLS {} at COL0 {}, NUM_VECTORS {}: need non-zero sizes within the "
                       "array's {} rows x {} columns",
                       rows, row0, cols, col0, n, max_rows, max_cols);
  }
  const uint64_t elem = element_bytes();
  const uint64_t in_addr = in_addr_.value(), out_addr = out_addr_.value();
  const uint64_t in_bytes = uint64_t(n) * rows * elem, out_bytes = uint64_t(n) * cols * 4;
  if (in_addr + in_bytes > input_buffer_.size()) {
    error_ = kInputOutOfBuffer;
    return fmt::format("inputs [IN_ADDR 0x{:x}, +{}) overrun the {}-byte input buffer", in_addr, in_bytes,
                       input_buffer_.size());
  }
  if (out_addr + out_bytes > output_buffer_.size()) {
    error_ = kOutputOutOfBuffer;
    return fmt::format("outputs [OUT_ADDR 0x{:x}, +{}) overrun the {}-byte output buffer", out_addr, out_bytes,
                       output_buffer_.size());
  }
  error_ = kNone;

  // Functional result.
  x_.resize(uint64_t(n) * rows);
  y_.resize(uint64_t(n) * cols);
  const uint8_t* in = &input_buffer_[in_addr];
  if (elem == 1) {
    for (uint64_t i = 0; i < x_.size(); ++i) x_[i] = static_cast<float>(static_cast<int8_t>(in[i]));
  } else {
    std::memcpy(x_.data(), in, x_.size() * 4);
  }
  xbar::MvmStats st;
  cells(unit).mvm(x_.data(), static_cast<int>(n), static_cast<int>(row0), static_cast<int>(rows),
                 static_cast<int>(col0), static_cast<int>(cols), y_.data(), &st);
  if (unit.rtl_shift_add) run_rtl_shift_add(unit, n, row0, rows, col0, cols);
  uint8_t* out = &output_buffer_[out_addr];
  if (params_.converters.quantize) {
    // The shift-and-add unit's register holds whole ADC counts; OUT_LSB gives their value.
    const double lsb = cells(unit).adc_lsb(static_cast<int>(rows));
    for (uint64_t i = 0; i < y_.size(); ++i) {
      double counts = std::nearbyint(double(y_[i]) / lsb);
      if (counts > std::numeric_limits<int32_t>::max() || counts < std::numeric_limits<int32_t>::min()) {
        ++counters_.output_saturations;
        counts = std::clamp<double>(counts, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
      }
      const auto v = static_cast<int32_t>(counts);
      std::memcpy(out + 4 * i, &v, 4);
    }
  } else {
    std::memcpy(out, y_.data(), y_.size() * 4);
  }

  // Timing: per-vector stage times, pipelined across the batch.
  const int nc = cells(unit).input_cycles();
  const uint64_t conversions_per_cycle = st.adc_conversions / std::max<int64_t>(1, int64_t(n) * nc);
  const uint64_t t_conv = ns_to_ps(params_.adc_ns) * ceil_div(conversions_per_cycle, params_.adcs_per_array);
  const uint64_t t_analog = ns_to_ps(params_.dac_ns + params_.array_read_ns);
  const uint64_t t_xbar = uint64_t(nc) * std::max(t_analog, t_conv);  // sample-and-hold overlaps read and convert
  const uint64_t t_in = cycles_ps(double(ceil_div(uint64_t(rows) * elem, params_.buffer_bytes_per_cycle)));
  const uint64_t t_out = cycles_ps(double(ceil_div(uint64_t(cols) * 4, params_.buffer_bytes_per_cycle)));
  const uint64_t t_sa = cycles_ps(params_.shift_add_cycles);
  const uint64_t bottleneck = std::max({t_in, t_xbar, t_out});
  const uint64_t start = access_ps();
  const uint64_t end = start + t_in + t_xbar + t_sa + t_out + uint64_t(n - 1) * bottleneck;
  set_busy_until(end);

  in_probe_.activity(start, end, double(in_bytes) * params_.in_read_pj_per_byte, n);
  // Share of the array's cells the batch drives: active rows x the columns of the active outputs.
  const double used_cols = double(cols) * (cells(unit).geometry().cols / double(std::max(1, cells(unit).logical_cols())));
  trace_array_state(static_cast<int>(index), start, end, ArrayOp::Mvm,
                    double(rows) * used_cols / (double(cells(unit).geometry().rows) * cells(unit).geometry().cols));
  unit.dac->activity(start, end, double(st.dac_conversions) * params_.dac_pj, st.dac_conversions);
  unit.array->activity(start, end, st.array_energy_pj, st.array_reads);
  unit.adc->activity(start, end, double(st.adc_conversions) * params_.adc_pj, st.adc_conversions);
  unit.shift_add->activity(start, end, double(st.shift_add_ops) * params_.shift_add_pj, st.shift_add_ops);
  out_probe_.activity(start, end, double(out_bytes) * params_.out_write_pj_per_byte, n);

  counters_.starts += 1;
  counters_.vectors += n;
  counters_.dac_conversions += st.dac_conversions;
  counters_.adc_conversions += st.adc_conversions;
  counters_.adc_saturations += st.adc_saturations;
  counters_.shift_add_ops += st.shift_add_ops;
  counters_.array_reads += st.array_reads;
  return {};
}

// Training work of the layer's arrays on this tile, in lock step: mapping::lock_step_ns (the
// closed form memgan compare uses too) on the tile's own share, plus rows_reprogrammed *
// row_write_ns for a rewrite.
// Energy per event from the tile's tables, shared evenly by the arrays doing the work; the input
// buffer is read once per input element applied, the output buffer written once per output.
Tile::Span Tile::run_work(const TileWork& w, uint64_t ready_ps) {
  const nn::MvmCounts& c = w.counts;
  const int64_t n = std::max(1, w.arrays);
  const double conv_per_read = c.array_reads ? double(c.adc_conversions) / double(c.array_reads) : 0;
  mapping::ArrayTiming timing;
  timing.dac_ns = params_.dac_ns;
  timing.array_read_ns = params_.array_read_ns;
  timing.adc_ns = params_.adc_ns;
  timing.adcs_per_array = params_.adcs_per_array;
  timing.clock_ns = params_.clock_period.to_seconds() * 1e9;
  timing.row_write_ns = params_.row_write_ns;
  timing.write_pulse_ns = params_.write_pulse_ns;
  timing.logical_cols = params_.logical_cols;
  const double time_ns = mapping::lock_step_ns(c, n, timing) + double(w.rows_reprogrammed) * params_.row_write_ns;
  // Operations are issued as their data gets ready, not in time order: the tile's datapath takes
  // the earliest gap that fits (and waits for any MVM batch firmware started).
  const uint64_t duration = ns_to_ps(time_ns);
  work_.retire_before(to_ps(sc_core::sc_time_stamp()));
  const uint64_t start = work_.reserve(std::max(ready_ps, busy_until_ps()), duration);
  const uint64_t end = start + duration;
  work_busy_ps_ += duration;

  const double array_pj = c.array_energy_pj > 0 ? c.array_energy_pj
                                                : double(c.dac_conversions) * 0.5 * conv_per_read *
                                                      params_.columns_per_conversion * params_.read_pj_per_cell;
  const int elem = element_bytes();
  const double share = 1.0 / double(n);
  const bool programs = c.write_pulses > 0 || w.rows_reprogrammed > 0;
  for (int i = w.first_array; i < w.first_array + w.arrays; ++i) {
    ArrayUnit& u = arrays_[static_cast<size_t>(i)];
    if (c.array_reads > 0) {
      u.array->activity(start, end, array_pj * share, c.array_reads / n);
      u.dac->activity(start, end, double(c.dac_conversions) * params_.dac_pj * share, c.dac_conversions / n);
      u.adc->activity(start, end, double(c.adc_conversions) * params_.adc_pj * share, c.adc_conversions / n);
    }
    if (c.digital_adds() > 0)
      u.shift_add->activity(start, end, double(c.digital_adds()) * params_.shift_add_pj * share, c.digital_adds() / n);
    if (programs)
      u.writes->activity(start, end, (c.write_energy_pj + w.reprogram_pj) * share,
                         (c.cells_written + w.cells_reprogrammed) / n);
    trace_array_state(i, start, end, programs ? ArrayOp::Program : ArrayOp::Mvm, c.array_reads > 0 ? 1.0 : 0.0);
  }
  if (c.inputs_applied > 0)
    in_probe_.activity(start, end, double(c.inputs_applied) * elem * params_.in_read_pj_per_byte, c.logical_mvms);
  if (c.outputs > 0) out_probe_.activity(start, end, double(c.outputs) * 4 * params_.out_write_pj_per_byte, c.logical_mvms);

  counters_.vectors += c.logical_mvms;
  counters_.dac_conversions += c.dac_conversions;
  counters_.adc_conversions += c.adc_conversions;
  counters_.adc_saturations += c.adc_saturations;
  counters_.shift_add_ops += c.digital_adds();
  counters_.array_reads += c.array_reads;
  counters_.cells_written += c.cells_written + w.cells_reprogrammed;
  counters_.write_pulses += c.write_pulses;
  return {start, end};
}

}  // namespace memgan
