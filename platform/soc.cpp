#include "platform/soc.h"

#include "models/base/log.h"

#include <fmt/format.h>

#include "platform/network_cost.h"
#include "spec/memory_map.h"
#ifdef MEMGAN_WITH_RTL
#include "models/cmd_decoder/cmd_decoder_transactor.h"
#include "models/red_addr_gen/red_addr_gen_transactor.h"
#include "models/shift_add/shift_add_transactor.h"
#endif

namespace memgan {

namespace {
sc_core::sc_time clock_period(const config::Config& c) { return sc_core::sc_time(1e3 / c.arch.clock_mhz, sc_core::SC_NS); }
}  // namespace

xbar::DeviceParams Soc::device_params(const config::Config& c) {
  const auto& d = c.device;
  xbar::DeviceParams p;
  p.g_min_us = d.g_min_us;
  p.g_max_us = d.g_max_us;
  p.levels = d.levels;
  p.read_voltage_v = d.read_voltage_v;
  p.read_time_ns = c.latency.array_read_ns;
  p.program_sigma = d.program_sigma;
  p.read_noise_sigma = d.read_noise_sigma;
  p.stuck_on_rate = d.stuck_on_rate;
  p.stuck_off_rate = d.stuck_off_rate;
  p.pulse.pulses_full_range = d.pulse.pulses_full_range;
  p.pulse.nonlinearity_ltp = d.pulse.nonlinearity_ltp;
  p.pulse.nonlinearity_ltd = d.pulse.nonlinearity_ltd;
  p.pulse.c2c_sigma = d.pulse.c2c_sigma;
  p.endurance_writes = d.endurance_writes;
  p.write_voltage_v = d.write_voltage_v;
  p.write_pulse_ns = d.write_pulse_ns;
  return p;
}

TileParams Soc::tile_params(const config::Config& c) {
  const auto& a = c.arch;
  const auto& e = c.energy;
  const auto& t = c.latency;
  TileParams p;
  p.arrays = a.arrays_per_tile;
  p.geometry = {a.array.rows, a.array.cols};
  p.converters.quantize = a.quantize;
  p.converters.cell_bits = a.cell_bits;
  p.converters.weight_bits = a.weight_bits;
  p.converters.input_bits = a.input_bits;
  p.converters.dac_bits = a.dac_bits;
  p.converters.adc_bits = a.adc.bits;
  p.converters.adc_full_scale = a.adc.full_scale;
  p.converters.encoding =
      a.weight_encoding == "differential" ? xbar::WeightEncoding::Differential : xbar::WeightEncoding::Offset;
  p.device = device_params(c);
  p.adcs_per_array = a.adc.per_array;
  p.input_buffer_bytes = static_cast<uint32_t>(a.buffers.input_kib) * 1024;
  p.output_buffer_bytes = static_cast<uint32_t>(a.buffers.output_kib) * 1024;
  p.buffer_bytes_per_cycle = a.buffers.bytes_per_cycle;
  p.clock_period = clock_period(c);
  p.dac_ns = t.dac_ns;
  p.array_read_ns = t.array_read_ns;
  p.adc_ns = t.adc_ns;
  p.row_write_ns = t.row_write_ns;
  p.shift_add_cycles = t.shift_add_cycles;
  p.register_access_cycles = t.register_access_cycles;
  p.dac_pj = e.dac_conversion_pj;
  p.adc_pj = e.adc_conversion_pj;
  p.shift_add_pj = e.shift_add_pj;
  p.register_access_pj = e.register_access_pj;
  p.in_read_pj_per_byte = e.input_buffer_read_pj_per_byte;
  p.in_write_pj_per_byte = e.input_buffer_write_pj_per_byte;
  p.out_read_pj_per_byte = e.output_buffer_read_pj_per_byte;
  p.out_write_pj_per_byte = e.output_buffer_write_pj_per_byte;
  p.in_leak_mw = e.leakage.input_buffer_mw;
  p.out_leak_mw = e.leakage.output_buffer_mw;
  p.dac_leak_mw = e.leakage.dac_mw;
  p.array_leak_mw = e.leakage.array_mw;
  p.adc_leak_mw = e.leakage.adc_mw;
  p.shift_add_leak_mw = e.leakage.shift_add_mw;
  // Training work on the arrays the trainer's engine holds (Tile::run_work).
  p.logical_cols = mapping::array_shape(arch_spec(c)).cols;
  p.write_pulse_ns = c.device.write_pulse_ns;
  const double g_mid_us = 0.5 * (c.device.g_min_us + c.device.g_max_us);
  // V^2 [V^2] * G [uS] * t [ns] = 1e-15 J = 1e-3 pJ.
  p.read_pj_per_cell = c.device.read_voltage_v * c.device.read_voltage_v * g_mid_us * t.array_read_ns * 1e-3;
  p.columns_per_conversion = a.weight_encoding == "differential" ? 2.0 : 1.0;
  return p;
}

Soc::Soc(sc_core::sc_module_name name, const config::Config& c, RunObserver& observer, const LayerEngineSetup* training)
    : sc_module(name) {
  const auto& a = c.arch;
  const auto& e = c.energy;
  const sc_core::sc_time clk = clock_period(c);
  set_log_level(parse_log_level(c.simulation.log_level));

  bus_ = std::make_unique<Interconnect>(
      "bus",
      InterconnectParams{clk, a.bus.width_bytes, a.bus.latency_cycles, e.bus_pj_per_byte,
                         c.simulation.log_transactions},
      observer, e.leakage.bus_mw);
  dram_ = std::make_unique<Dram>(
      "dram", uint64_t(a.dram.size_mib) << 20,
      DramParams{sc_core::sc_time(a.dram.latency_ns, sc_core::SC_NS), a.dram.bandwidth_gbps, e.dram_read_pj_per_byte,
                 e.dram_write_pj_per_byte},
      observer, e.leakage.dram_mw);
  dma_ = std::make_unique<Dma>(
      "dma", DmaParams{clk, a.dma.burst_bytes, c.latency.register_access_cycles, e.dma_pj_per_byte, e.register_access_pj},
      observer, e.leakage.dma_mw);
  xbar::DeviceParams noise_cells = device_params(c);
  noise_cells.read_noise_sigma = a.noise.read_noise_sigma;
  noise_ = std::make_unique<NoiseBlock>(
      "noise",
      NoiseParams{clk, c.latency.register_access_cycles, a.noise.sample_ns, e.noise_sample_pj, e.register_access_pj,
                  static_cast<uint32_t>(a.noise.buffer_samples)},
      noise_cells, xbar::NoiseSourceParams{a.noise.pairs, a.noise.calibrate},
      uint64_t(c.simulation.seed) * 0x2545F4914F6CDD1Dull + 0x4E015E, observer, e.leakage.noise_mw);
  TileParams tp = tile_params(c);
#ifdef MEMGAN_WITH_RTL
  if (a.rtl.shift_add == "rtl") {
    tp.shift_add_engine = [this, clk, &observer](const char* block, int) {
      auto t = std::make_unique<rtl::ShiftAddTransactor>(block, clk, &observer);
      rtl_shift_add_.push_back(t.get());
      return std::unique_ptr<ShiftAddEngine>(std::move(t));
    };
  }
#endif
  for (int i = 0; i < a.tiles; ++i) {
    tiles_.push_back(std::make_unique<Tile>(fmt::format("tile{}", i).c_str(), tp, observer,
                                            uint64_t(c.simulation.seed) * 1000003ull + uint64_t(i)));
  }
  if (training) {
    DigitalUnitParams dp;
    dp.clock_period = clk;
    dp.register_access_cycles = c.latency.register_access_cycles;
    dp.register_access_pj = e.register_access_pj;
    dp.lanes = a.digital.lanes;
    dp.buffer_bytes = static_cast<uint32_t>(a.digital.buffer_kib) * 1024u;
    dp.buffer_bytes_per_cycle = a.buffers.bytes_per_cycle;
    dp.op_pj = e.digital_op_pj;
    dp.mac_pj = e.digital_mac_pj;
    dp.buffer_pj_per_byte = e.input_buffer_write_pj_per_byte;
    dp.leakage_mw = e.leakage.digital_mw;
    digital_ = std::make_unique<DigitalUnit>("digital_unit", dp, observer);
    ChipBlocks chip;
    for (auto& t : tiles_) chip.tiles.push_back(t.get());
    chip.digital = digital_.get();
    chip.noise = noise_.get();
    chip.bus = bus_.get();
    chip.dram = dram_.get();
    LayerEngineParams lp = training->params;
    lp.noise_window_bytes = uint64_t(a.noise.buffer_samples) * 4;
    // DRAM above the program and the data set (train_run lays it out; else the upper half):
    // kept activations, spilled tensors.
    if (lp.dram_scratch_bytes == 0) {
      lp.dram_scratch_base = dram_->size() / 2;
      lp.dram_scratch_bytes = dram_->size() - lp.dram_scratch_base;
    }
    layer_engine_ = std::make_unique<LayerEngine>("layer_engine", lp, *training->executor, chip, observer);
#ifdef MEMGAN_WITH_RTL
    if (a.rtl.red_addr_gen == "rtl") {
      auto t = std::make_unique<rtl::RedAddrGenTransactor>("mapper", clk, &observer);
      rtl_red_addr_gen_ = t.get();
      layer_engine_->use_rtl_addresses(t.get());
      rtl_red_addr_gen_owner_ = std::move(t);
    }
#endif
  }
  Controller::DecoderFactory decoder;
#ifdef MEMGAN_WITH_RTL
  if (a.rtl.cmd_decoder == "rtl") {
    decoder = [this, clk, &observer](const char* block) {
      auto t = std::make_unique<rtl::CmdDecoderTransactor>(block, clk, &observer);
      rtl_cmd_decoder_ = t.get();
      return std::unique_ptr<CmdDecoderEngine>(std::move(t));
    };
  }
#endif
  controller_ = std::make_unique<Controller>(
      "controller",
      ControllerParams{clk, a.controller.cycles_per_command, a.controller.fetch_bytes, a.controller.poll_interval_cycles,
                       sc_core::sc_time(a.controller.poll_timeout_us, sc_core::SC_US), e.controller_command_pj},
      memory_map::kBootAddress, memory_map::kDramBase + dram_->size(), &bus_->address_map(), observer,
      e.leakage.controller_mw, decoder);

  // Initiators.
  controller_->master.bind(bus_->initiators);
  dma_->master.bind(bus_->initiators);
  if (layer_engine_) layer_engine_->mover.bind(bus_->initiators);
  // Targets, in port order.
  int port = 0;
  bus_->targets.bind(dram_->socket);
  bus_->map("dram", memory_map::kDramBase, dram_->size(), port++);
  bus_->targets.bind(dma_->socket);
  bus_->map("dma", memory_map::kDmaBase, memory_map::kDmaSize, port++);
  bus_->targets.bind(noise_->socket);
  bus_->map("noise", memory_map::kNoiseBase, memory_map::kNoiseSize, port++);
  for (int i = 0; i < a.tiles; ++i) {
    bus_->targets.bind(tiles_[i]->socket);
    bus_->map(fmt::format("tile{}", i), memory_map::tile_base(i), tile_map::kTileSpan, port++);
  }
  if (layer_engine_) {
    bus_->targets.bind(layer_engine_->socket);
    bus_->map("layer_engine", memory_map::kLayerEngineBase, memory_map::kLayerEngineSize, port++);
    bus_->targets.bind(digital_->socket);
    bus_->map("digital_unit", memory_map::kDigitalUnitBase, memory_map::kDigitalUnitSize, port++);
  }
}

Soc::~Soc() = default;

bool Soc::rtl_available() {
#ifdef MEMGAN_WITH_RTL
  return true;
#else
  return false;
#endif
}

}  // namespace memgan
