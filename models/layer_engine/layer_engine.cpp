#include "models/layer_engine/layer_engine.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"
#include "models/bus/interconnect.h"
#include "models/digital_unit/digital_unit.h"
#include "models/dram/dram.h"
#include "models/noise/noise_block.h"
#include "models/tile/tile.h"
#include "spec/isa/tile_work.h"
#include "spec/memory_map.h"
#include "spec/regs/digital_unit.h"
#include "spec/regs/noise.h"
#include "spec/regs/tile.h"

namespace memgan {

using namespace layer_engine_reg;

namespace {

// The integer share of `total` of the arrays (before, upto] out of `all` (cumulative counts):
// the shares of consecutive ranges add up to `total` exactly.
int64_t share_of(int64_t total, int64_t before, int64_t upto, int64_t all) {
  if (all <= 0) return 0;
  // floor(total * c / all) without overflow: total = q * all + r, and r * c < all * c is small.
  const auto at = [&](int64_t c) { return (total / all) * c + (total % all) * c / all; };
  return at(upto) - at(before);
}

nn::MvmCounts split_counts(const nn::MvmCounts& c, int64_t before, int64_t upto, int64_t all) {
  nn::MvmCounts s;
  const auto i = [&](int64_t v) { return share_of(v, before, upto, all); };
  const double f = all > 0 ? double(upto - before) / double(all) : 0.0;
  s.logical_mvms = i(c.logical_mvms);
  s.array_reads = i(c.array_reads);
  s.dac_conversions = i(c.dac_conversions);
  s.adc_conversions = i(c.adc_conversions);
  s.adc_saturations = i(c.adc_saturations);
  s.inputs_applied = i(c.inputs_applied);
  s.inputs_nonzero = i(c.inputs_nonzero);
  s.outputs = i(c.outputs);
  s.partial_sum_adds = i(c.partial_sum_adds);
  s.overlap_adds = i(c.overlap_adds);
  s.bias_adds = i(c.bias_adds);
  s.outputs_discarded = i(c.outputs_discarded);
  s.weights_programmed = i(c.weights_programmed);
  s.cells_written = i(c.cells_written);
  s.write_pulses = i(c.write_pulses);
  s.array_energy_pj = c.array_energy_pj * f;
  s.write_energy_pj = c.write_energy_pj * f;
  return s;
}

// Part of an operation's work: the events of samples (before, upto] of `all`.
train::OpWork split_work(const train::OpWork& w, int64_t before, int64_t upto, int64_t all) {
  train::OpWork s;
  s.arrays = split_counts(w.arrays, before, upto, all);
  s.parallel_arrays = w.parallel_arrays;
  s.digital_ops = share_of(w.digital_ops, before, upto, all);
  s.digital_macs = share_of(w.digital_macs, before, upto, all);
  s.dram_bytes = share_of(w.dram_bytes, before, upto, all);
  s.noise_samples = share_of(w.noise_samples, before, upto, all);
  return s;
}

// Per layer of `m`: whether it needs the whole batch at once (batch norm's statistics).
std::vector<bool> batch_coupling(const train::OpExecutor& executor, train::Model m) {
  std::vector<bool> coupled;
  for (int l = 0; l < executor.layer_count(m); ++l)
    coupled.push_back(executor.layer_spec(m, l).type == mapping::LayerType::BatchNorm);
  return coupled;
}

const char* model_key(train::Model m) { return m == train::Model::Generator ? "generator" : "discriminator"; }

}  // namespace

// The critical path of one operation so far: where it stands, and how much of it was computing
// and moving data on its own (the rest is waiting for a shared resource).
struct LayerEngine::Chain {
  uint64_t t = 0;
  uint64_t compute_ps = 0, movement_ps = 0;
};

LayerEngine::LayerEngine(sc_core::sc_module_name name, const LayerEngineParams& params, train::OpExecutor& executor,
                         const ChipBlocks& chip, RunObserver& observer)
    : Peripheral(name, {params.clock_period, params.register_access_cycles, params.register_access_pj}, kSize,
                 observer),
      params_(params),
      executor_(executor),
      chip_(chip),
      probe_(observer, this->name(), params.leakage_mw, true, false),
      mapper_probe_(observer, std::string(this->name()) + ".mapper", params.mapper_leakage_mw, true, false),
      readiness_(executor.layer_count(train::Model::Generator), executor.layer_count(train::Model::Discriminator),
                 std::max(1, params.micro_batches), batch_coupling(executor, train::Model::Generator),
                 batch_coupling(executor, train::Model::Discriminator)) {
  SC_HAS_PROCESS(LayerEngine);
  SC_THREAD(rtl_address_thread);
  const auto& pl = params_.placement;
  for (const train::Model m : {train::Model::Generator, train::Model::Discriminator}) {
    auto& index = layer_placement_[int(m)];
    for (int l = 0; l < executor_.layer_count(m); ++l) {
      index.push_back(-1);
      weight_count_[int(m)].push_back(executor_.on_arrays(m, l) ? executor_.weight_count(m, l) : 0);
      if (!executor_.on_arrays(m, l)) continue;
      const std::string& layer = executor_.layer_spec(m, l).name;
      for (size_t k = 0; k < pl.layers.size(); ++k)
        if (pl.layers[k].model == model_key(m) && pl.layers[k].name == layer) index.back() = int(k);
      if (index.back() < 0)
        throw std::invalid_argument(fmt::format("layer engine: no placement for {}.{}", model_key(m), layer));
      for (const auto& t : pl.layers[size_t(index.back())].tiles)
        if (t.tile >= int(chip_.tiles.size()))
          throw std::invalid_argument(fmt::format("layer engine: {}.{} is placed on tile {} of {}", model_key(m),
                                                  layer, t.tile, chip_.tiles.size()));
    }
  }
  // Residency group 0 is programmed before the run (the initial weights); later groups are
  // written when their layers run.
  resident_.assign(size_t(pl.arrays_available()), -1);
  for (size_t k = 0; k < pl.layers.size(); ++k)
    if (pl.layers[k].group == 0)
      for (const auto& s : pl.layers[k].slots) resident_[size_t(s.tile * pl.arrays_per_tile + s.array)] = int(k);
  if (auto* vcd = observer.vcd()) {
    const std::string base = this->name();
    // op: the opcode (train_ops.h numbering), layer: model * 256 + layer index.
    if (observer.signals().selected(base + ".op")) {
      auto labels = std::make_shared<trace::EnumLabels>();
      labels->name = "train_op";
      labels->values.push_back({0, "idle"});
      for (int v = int(train::TrainOpcode::Latent); v <= int(train::TrainOpcode::Checkpoint); ++v)
        labels->values.push_back({uint64_t(v), train::opcode_name(train::TrainOpcode(v))});
      op_signal_ = vcd->add_enum(base + ".op", 8, std::move(labels));
    }
    if (observer.signals().selected(base + ".layer")) layer_signal_ = vcd->add_int(base + ".layer", 16);
    if (observer.signals().selected(base + ".in_flight")) in_flight_signal_ = vcd->add_int(base + ".in_flight", 16);
    if (observer.signals().selected(base + ".step")) step_signal_ = vcd->add_int(base + ".step", 32);
  }
  if (observer.timeline()) on_timeline_ = true;
  mover_tx_.set_extension(&size_only_);
  image_bytes_ = 1;
  for (int d : executor_.layer_spec(train::Model::Discriminator, 0).input) image_bytes_ *= d;
  for (size_t i = 0; i < chip_.tiles.size(); ++i) step_chart_.lanes.push_back(fmt::format("tile {}", i));
  step_chart_.lanes.push_back("digital unit");
  step_chart_.lanes.push_back("noise");
  id_.on_read([](const sc_core::sc_time&) { return kIdValue; });
  status_.on_read([this](const sc_core::sc_time&) { return busy() ? kStatusBusy : 0u; });
  cmd_.on_write([this](uint32_t v, const sc_core::sc_time&) { return start(v); });
  steps_.on_read([this](const sc_core::sc_time&) { return static_cast<uint32_t>(executor_.steps_done()); });
  ops_reg_.on_read([this](const sc_core::sc_time&) { return static_cast<uint32_t>(ops_); });
  done_.on_read([this](const sc_core::sc_time&) { return busy() ? kStatusBusy : 0u; });
  done_.stall_while_busy();
}

const char* const LayerEngine::kStepChartKinds[6] = {"forward G", "forward D", "backward-data", "backward-weight",
                                                     "update", "latent, real batch, loss"};

void LayerEngine::chart(int lane, uint64_t start_ps, uint64_t end_ps) {
  if (end_ps > start_ps)
    step_chart_.spans.push_back({lane, chart_label_, chart_kind_, chart_part_, chart_parts_, start_ps, end_ps});
}

LayerEngine::~LayerEngine() { mover_tx_.clear_extension(&size_only_); }  // not the payload's to free

std::string LayerEngine::restore_residency(const std::vector<int>& resident) {
  if (resident.size() != resident_.size())
    return fmt::format("{} slots, the chip has {}", resident.size(), resident_.size());
  const int layers = int(params_.placement.layers.size());
  for (size_t i = 0; i < resident.size(); ++i)
    if (resident[i] < -1 || resident[i] >= layers)
      return fmt::format("slot {} holds layer {}, the placement has {}", i, resident[i], layers);
  resident_ = resident;
  return {};
}

std::string LayerEngine::op_label(const train::TrainOp& op) const {
  if (!train::is_layer_op(op.opcode)) return train::describe(op);
  return fmt::format("{} {}.{}", train::opcode_name(op.opcode), op.model == train::Model::Generator ? "G" : "D",
                     executor_.layer_spec(op.model, op.layer).name);
}

const mapping::LayerPlacement& LayerEngine::placement_of(const train::TrainOp& op) const {
  return params_.placement.layers[size_t(layer_placement_[int(op.model)][op.layer])];
}

int64_t LayerEngine::tensor_bytes(const std::vector<int>& per_sample, int element_bytes, int samples) {
  int64_t n = int64_t(samples) * element_bytes;
  for (int d : per_sample) n *= d;
  return n;
}

uint64_t LayerEngine::scratch(uint64_t bytes) {
  const uint64_t size = std::max<uint64_t>(1, params_.dram_scratch_bytes);
  bytes = std::min(bytes, size);
  if (scratch_cursor_ + bytes > size) scratch_cursor_ = 0;
  const uint64_t at = params_.dram_scratch_base + scratch_cursor_;
  scratch_cursor_ += bytes;
  return at;
}

// `bytes` as bus transactions of at most `window` bytes at `base` (a buffer window, or DRAM
// scratch when window is 0), one after another on the chain. An error response is a model bug
// (the engine addresses only what the SoC maps), reported as std::logic_error.
void LayerEngine::transact(tlm::tlm_command cmd, uint64_t base, uint64_t window, int64_t bytes, Chain& chain,
                           PhaseTotals& phase) {
  const bool to_dram = window == 0;
  const uint64_t chunk_max = to_dram ? std::max<uint64_t>(1, params_.dram_scratch_bytes) : window;
  for (int64_t left = bytes; left > 0;) {
    const uint64_t len = std::min<uint64_t>(uint64_t(left), chunk_max);
    if (staging_.size() < len) staging_.resize(len);
    bus_access(mover_tx_, cmd, to_dram ? scratch(len) : base, staging_.data(), len, chain, phase);
    left -= int64_t(len);
  }
}

// One transaction from the DMA port at the chain's time (through `tx`, whose extensions it
// keeps); the chain moves to its end, the part not spent waiting for the bus or DRAM counted
// as movement.
void LayerEngine::bus_access(tlm::tlm_generic_payload& tx, tlm::tlm_command cmd, uint64_t addr, uint8_t* data,
                             uint64_t len, Chain& chain, PhaseTotals& phase) {
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(data);
  tx.set_data_length(static_cast<unsigned>(len));
  tx.set_streaming_width(static_cast<unsigned>(len));
  tx.set_byte_enable_ptr(nullptr);
  tx.set_dmi_allowed(false);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  const uint64_t bus_wait0 = chip_.bus ? chip_.bus->wait_ps() : 0, dram_wait0 = chip_.dram ? chip_.dram->wait_ps() : 0;
  const uint64_t bus_busy0 = chip_.bus ? chip_.bus->busy_ps() : 0, dram_busy0 = chip_.dram ? chip_.dram->busy_ps() : 0;
  sc_core::sc_time delay = ps(chain.t) - sc_core::sc_time_stamp();
  mover->b_transport(tx, delay);
  if (tx.is_response_error())
    throw std::logic_error(fmt::format("{}: DMA port {} 0x{:08x} +{}: {}", name(), tx.is_read() ? "read" : "write",
                                       tx.get_address(), tx.get_data_length(), tx.get_response_string()));
  const uint64_t end = local_ps(delay);
  const uint64_t waited = (chip_.bus ? chip_.bus->wait_ps() - bus_wait0 : 0) +
                          (chip_.dram ? chip_.dram->wait_ps() - dram_wait0 : 0);
  const uint64_t took = end - chain.t;
  chain.movement_ps += took - std::min(took, waited);
  chain.t = end;
  if (chip_.bus) phase.busy_ns["bus"] += double(chip_.bus->busy_ps() - bus_busy0) * 1e-3;
  if (chip_.dram) phase.busy_ns["dram"] += double(chip_.dram->busy_ps() - dram_busy0) * 1e-3;
}

// Real images s0 .. s1 - 1 of the batch, one DMA gather each: from the data set in DRAM into
// the digital unit's buffer, carrying their bytes. Those bytes are the batch the trainer gets
// (deliver_real, once the last part is in). In timing mode no images are drawn: the same
// transfers, from the first images of the set.
void LayerEngine::fetch_real(int64_t s0, int64_t s1, Chain& chain, PhaseTotals& phase) {
  const std::vector<int>& index = executor_.real_indices();
  const uint64_t du_base = memory_map::kDigitalUnitBase + digital_unit_reg::kBuffer;
  const uint64_t du_window = chip_.digital ? std::max<uint64_t>(1, chip_.digital->buffer_bytes()) : 1;
  real_pixels_.resize(size_t(params_.batch) * size_t(image_bytes_));
  const auto access = [&](tlm::tlm_command cmd, uint64_t addr, uint8_t* data, uint64_t len) {
    bus_access(data_tx_, cmd, addr, data, len, chain, phase);
  };
  for (int64_t k = s0; k < s1; ++k) {
    const uint64_t image = index.empty() ? uint64_t(k) : uint64_t(index[size_t(k)]);
    uint8_t* at = real_pixels_.data() + k * image_bytes_;
    for (int64_t off = 0; off < image_bytes_;) {
      const uint64_t len = std::min<uint64_t>(uint64_t(image_bytes_ - off), du_window);
      access(tlm::TLM_READ_COMMAND, params_.dram_data_base + image * uint64_t(image_bytes_) + uint64_t(off), at + off,
             len);
      access(tlm::TLM_WRITE_COMMAND, du_base, at + off, len);
      off += int64_t(len);
    }
  }
  if (s1 == params_.batch && !index.empty()) executor_.deliver_real(real_pixels_.data(), int64_t(real_pixels_.size()));
}

// The tile's share as a work command over the bus (spec/isa/tile_work.h), then a read of its
// kWorkDone, which completes when the tile has done it: the chain waits for the tile, and
// the tile's own time counts as compute.
LayerEngine::TileSpan LayerEngine::dispatch(int tile, const TileWork& w, Chain& chain, PhaseTotals& phase) {
  tile_work::Command c;
  c.first_array = uint16_t(w.first_array);
  c.arrays = uint16_t(w.arrays);
  const nn::MvmCounts& k = w.counts;
  c.logical_mvms = k.logical_mvms;
  c.array_reads = k.array_reads;
  c.dac_conversions = k.dac_conversions;
  c.adc_conversions = k.adc_conversions;
  c.adc_saturations = k.adc_saturations;
  c.inputs_applied = k.inputs_applied;
  c.outputs = k.outputs;
  c.digital_adds = k.digital_adds();
  c.weights_programmed = k.weights_programmed;
  c.cells_written = k.cells_written;
  c.write_pulses = k.write_pulses;
  c.rows_reprogrammed = w.rows_reprogrammed;
  c.cells_reprogrammed = w.cells_reprogrammed;
  c.array_energy_pj = k.array_energy_pj;
  c.write_energy_pj = k.write_energy_pj;
  c.reprogram_pj = w.reprogram_pj;
  auto bytes = tile_work::encode(c);
  const uint64_t base = memory_map::tile_base(tile);
  bus_access(data_tx_, tlm::TLM_WRITE_COMMAND, base + tile_map::kWorkCommand, bytes.data(), tile_work::kBytes, chain,
             phase);
  uint64_t record[2] = {0, 0};
  Chain done = chain;
  bus_access(data_tx_, tlm::TLM_READ_COMMAND, base + tile_map::kWorkDone, reinterpret_cast<uint8_t*>(record), 16, done,
             phase);
  const uint64_t took = record[1];
  // The completion read returns when the tile is done (or its own beats are, if later).
  chain.compute_ps += took;
  chain.movement_ps += done.t - chain.t > took ? done.t - chain.t - took : 0;
  const TileSpan s{done.t - std::min(took, done.t - chain.t), done.t};
  chain.t = done.t;
  return s;
}

// Source to destination through the DMA port: read a chunk, write it, chunks of the smaller window.
void LayerEngine::move(uint64_t src, uint64_t src_window, uint64_t dst, uint64_t dst_window, int64_t bytes,
                       Chain& chain, PhaseTotals& phase) {
  const uint64_t chunk = std::min(src_window ? src_window : UINT64_MAX, dst_window ? dst_window : UINT64_MAX);
  for (int64_t left = bytes; left > 0;) {
    const int64_t len = int64_t(std::min<uint64_t>(uint64_t(left), chunk));
    transact(tlm::TLM_READ_COMMAND, src, src_window, len, chain, phase);
    transact(tlm::TLM_WRITE_COMMAND, dst, dst_window, len, chain, phase);
    left -= len;
  }
}

// The part of a tensor that does not fit its buffer is written to DRAM and read back.
void LayerEngine::spill_round_trip(int64_t bytes, Chain& chain, PhaseTotals& phase) {
  if (bytes <= 0) return;
  transact(tlm::TLM_WRITE_COMMAND, 0, 0, bytes, chain, phase);
  transact(tlm::TLM_READ_COMMAND, 0, 0, bytes, chain, phase);
}

int64_t LayerEngine::digital_excess(int64_t operand_bytes) const {
  return chip_.digital ? std::max<int64_t>(0, operand_bytes - int64_t(chip_.digital->buffer_bytes())) : 0;
}

void LayerEngine::play_digital(int64_t spill_bytes, int64_t ops, int64_t macs, uint64_t t0, Chain& chain,
                               PhaseTotals& phase) {
  if (!chip_.digital || ops + macs == 0) return;
  chain.t = std::max(chain.t, t0);
  spill_round_trip(spill_bytes, chain, phase);
  const DigitalUnit::Span s = chip_.digital->run(ops, macs, chain.t);
  chart(int(chip_.tiles.size()), s.start_ps, s.end_ps);
  chain.compute_ps += s.end_ps - s.start_ps;
  phase.busy_ns["digital_unit"] += double(s.end_ps - s.start_ps) * 1e-3;
  chain.t = s.end_ps;
}

// A crossbar layer's array work: per tile of its placement, inputs from the digital unit's
// buffer into the tile's input buffer, the tile's share of the events, outputs back; tiles in
// parallel (their transfers contend on the bus and DRAM). `critical` becomes the chain that
// ends last.
void LayerEngine::play_arrays(const train::TrainOp& op, const train::OpWork& work, int samples, uint64_t t0,
                              Chain& critical, uint64_t& end, PhaseTotals& phase) {
  const mapping::LayerPlacement& lp = placement_of(op);
  const mapping::LayerSpec& spec = executor_.layer_spec(op.model, op.layer);
  const bool update = op.opcode == train::TrainOpcode::Update;
  const bool backward = op.opcode == train::TrainOpcode::BackwardData;
  const int pl_index = layer_placement_[int(op.model)][op.layer];
  // Arrays holding another layer's weights are rewritten first (reprogram overflow).
  bool resident = true;
  for (const auto& s : lp.slots)
    resident = resident && resident_[size_t(s.tile * params_.placement.arrays_per_tile + s.array)] == pl_index;
  int64_t weights = 0;
  if (!resident) {
    weights = weight_count_[int(op.model)][op.layer];
    for (const auto& s : lp.slots) resident_[size_t(s.tile * params_.placement.arrays_per_tile + s.array)] = pl_index;
    arrays_reprogrammed_ += lp.arrays;
  }
  const int64_t du_window = chip_.digital ? int64_t(chip_.digital->buffer_bytes()) : 0;
  const uint64_t du_base = memory_map::kDigitalUnitBase + digital_unit_reg::kBuffer;
  // Inputs and outputs of the operation (update: one pulse count per weight in, nothing out).
  int64_t in_bytes = 0, out_bytes = 0;
  if (update) {
    in_bytes = weight_count_[int(op.model)][op.layer];
  } else {
    in_bytes = tensor_bytes(backward ? spec.output : spec.input, params_.input_bytes, samples);
    out_bytes = tensor_bytes(backward ? spec.input : spec.output, 4, samples);
  }
  int64_t before = 0;
  const int64_t all = lp.arrays;
  for (const auto& share : lp.tiles) {
    Tile& tile = *chip_.tiles[size_t(share.tile)];
    const uint64_t tile_base = memory_map::tile_base(share.tile);
    Chain chain;
    chain.t = t0;
    const int64_t upto = before + share.arrays;
    TileWork tw;
    tw.first_array = share.first_array;
    tw.arrays = share.arrays;
    tw.counts = split_counts(work.arrays, before, upto, all);
    if (weights > 0) {
      // The layer's weights (one byte per slice) from DRAM into the tile's write port.
      const int64_t w = share_of(weights, before, upto, all);
      move(0, 0, tile_base + tile_map::kInputBuffer, tile.input_buffer_bytes(), w * params_.arrays.slices, chain,
           phase);
      tw.rows_reprogrammed = params_.array_rows;
      tw.cells_reprogrammed = w * params_.arrays.slices;
      tw.reprogram_pj = double(w) * params_.reprogram_pj_per_weight;
    }
    const int64_t in = share_of(in_bytes, before, upto, all);
    spill_round_trip(in - int64_t(tile.input_buffer_bytes()), chain, phase);
    move(du_base, uint64_t(du_window), tile_base + tile_map::kInputBuffer, tile.input_buffer_bytes(), in, chain,
         phase);
    const TileSpan s = dispatch(share.tile, tw, chain, phase);
    chart(share.tile, s.start_ps, s.end_ps);
    phase.busy_ns["tiles"] += double(s.end_ps - s.start_ps) * 1e-3;
    chain.t = s.end_ps;
    const int64_t out = share_of(out_bytes, before, upto, all);
    spill_round_trip(out - int64_t(tile.output_buffer_bytes()), chain, phase);
    move(tile_base + tile_map::kOutputBuffer, tile.output_buffer_bytes(), du_base, uint64_t(du_window), out, chain,
         phase);
    if (chain.t >= end) {
      end = chain.t;
      critical = chain;
    }
    before = upto;
  }
}

OpTiming LayerEngine::play(const train::TrainOp& op, const train::OpWork& work, int64_t s0, int64_t s1,
                           uint64_t t0, PhaseTotals& phase) {
  const int samples = int(s1 - s0);
  using train::TrainOpcode;
  const double energy0 = observer().ledger().total_dynamic_pj();
  Chain critical;
  critical.t = t0;
  uint64_t end = t0;
  const bool layer_op = train::is_layer_op(op.opcode);
  const bool arrays = layer_op && executor_.on_arrays(op.model, op.layer) && op.opcode != TrainOpcode::BackwardWeight;
  const uint64_t clock = to_ps(params_.clock_period);
  const uint64_t du_base = memory_map::kDigitalUnitBase + digital_unit_reg::kBuffer;
  const uint64_t du_window = chip_.digital ? chip_.digital->buffer_bytes() : 0;
  if (arrays) {
    // The optimizer's moments and deltas first (digital unit), then the pulses.
    if (op.opcode == TrainOpcode::Update) {
      play_digital(0, work.digital_ops, work.digital_macs, t0, critical, phase);
      end = critical.t;
      const Chain digital = critical;
      play_arrays(op, work, samples, critical.t, critical, end, phase);
      critical.compute_ps += digital.compute_ps;
      critical.movement_ps += digital.movement_ps;
    } else {
      play_arrays(op, work, samples, t0, critical, end, phase);
      // The forward input is kept in DRAM for the weight gradient, alongside the array work.
      if (op.opcode == TrainOpcode::Forward) {
        Chain keep;
        keep.t = t0;
        transact(tlm::TLM_WRITE_COMMAND, 0, 0, tensor_bytes(executor_.layer_spec(op.model, op.layer).input, 4, samples), keep,
                 phase);
        if (keep.t > end) {
          critical.movement_ps += keep.t - end;
          end = keep.t;
        }
      }
    }
    // The mapper's addresses run ahead of the arrays; it bounds the operation when slower.
    const uint64_t mapper_ps = uint64_t(work.arrays.logical_mvms) * uint64_t(params_.mapper_cycles_per_mvm) * clock;
    if (work.arrays.logical_mvms > 0) {
      mapper_probe_.activity(t0, t0 + mapper_ps, double(work.arrays.logical_mvms) * params_.mapper_pj_per_mvm,
                             work.arrays.logical_mvms);
      phase.busy_ns["mapper"] += double(mapper_ps) * 1e-3;
      if (t0 + mapper_ps > end) {
        critical.compute_ps += t0 + mapper_ps - end;
        end = t0 + mapper_ps;
      }
    }
  } else {
    switch (op.opcode) {
      case TrainOpcode::Latent:
        if (chip_.noise && work.noise_samples > 0) {
          const uint64_t e = chip_.noise->draw_latents(work.noise_samples, params_.noise_pairs, t0);
          chart(int(chip_.tiles.size()) + 1, t0, e);
          critical.compute_ps += e - t0;
          phase.busy_ns["noise"] += double(e - t0) * 1e-3;
          critical.t = e;
          move(memory_map::kNoiseBase + noise_reg::kWindow, params_.noise_window_bytes, du_base, du_window,
               work.noise_samples * 4, critical, phase);
        }
        break;
      case TrainOpcode::LoadReal:
        critical.t = t0;
        fetch_real(s0, s1, critical, phase);
        break;
      case TrainOpcode::BackwardWeight: {
        // The kept forward input comes back from DRAM; the output gradient is in the buffer.
        critical.t = t0;
        const int64_t in = tensor_bytes(executor_.layer_spec(op.model, op.layer).input, 4, samples);
        move(0, 0, du_base, du_window, in, critical, phase);
        play_digital(digital_excess(in + tensor_bytes(executor_.layer_spec(op.model, op.layer).output, 4, samples)),
                     work.digital_ops,
                     work.digital_macs, t0, critical, phase);
        break;
      }
      default: {
        int64_t spill = 0;
        if (layer_op) {
          const auto& spec = executor_.layer_spec(op.model, op.layer);
          const auto& operand = op.opcode == TrainOpcode::BackwardData ? spec.output : spec.input;
          // Batch norm holds the whole batch (its statistics): a part pays its share of that excess.
          spill = spec.type == mapping::LayerType::BatchNorm
                      ? share_of(digital_excess(tensor_bytes(operand, 4, params_.batch)), s0, s1, params_.batch)
                      : digital_excess(tensor_bytes(operand, 4, samples));
        }
        play_digital(spill, work.digital_ops, work.digital_macs, t0, critical, phase);
        break;
      }
    }
    end = std::max(end, critical.t);
  }
  OpTiming t;
  t.time_ns = double(end - t0) * 1e-3;
  t.compute_ns = double(critical.compute_ps) * 1e-3;
  t.movement_ns = std::min(t.time_ns - t.compute_ns, double(critical.movement_ps) * 1e-3);
  t.stall_ns = std::max(0.0, t.time_ns - t.compute_ns - t.movement_ns);
  t.energy_pj = observer().ledger().total_dynamic_pj() - energy0;
  return t;
}

std::string LayerEngine::start(uint32_t word) {
  if (busy()) return "CMD written while busy (poll STATUS.BUSY first)";
  const auto op = train::decode_train_op(word);
  if (!op) return fmt::format("CMD 0x{:08x} is not a training operation (opcode, model or argument unknown)", word);
  train::OpWork work;
  try {
    work = executor_.execute(*op);
  } catch (const std::exception& e) {
    return e.what();
  }
  // Queued, not waited for: the operation starts once its data is ready (train::OpReadiness)
  // and the blocks it uses are free; the CMD returns at once. STEP_END, EVAL and CHECKPOINT are
  // barriers: they start when everything issued before has finished, and hold DONE until then.
  using train::TrainOpcode;
  const uint64_t issued = access_ps();
  const bool barrier =
      op->opcode == TrainOpcode::Eval || op->opcode == TrainOpcode::Checkpoint || op->opcode == TrainOpcode::StepEnd;
  const int parts = readiness_.parts(*op);
  // Part p's samples: [p m, min(B, (p + 1) m)) with m = ceil(B / M), and their share of the work.
  const int64_t part_samples = (int64_t(params_.batch) + parts - 1) / parts;
  const auto samples_before = [&](int p) { return std::min<int64_t>(params_.batch, p * part_samples); };
  uint64_t t0 = issued;
  try {
    t0 = std::max(issued, readiness_.ready(*op, 0));
  } catch (const std::out_of_range& e) {
    return e.what();
  }
  if (!barrier && !step_open_) {
    step_open_ = true;
    step_start_ps_ = t0;
  }
  if (std::string why = generate_addresses(*op, work); !why.empty()) return why;
  if (barrier && host_) host_(*op, t0);
  const bool layer_op = train::is_layer_op(op->opcode);
  const std::string label = op_label(*op);
  auto& phase = phases_[layer_op ? label : train::opcode_name(op->opcode)];
  const auto tile_events = [this] {
    std::array<int64_t, 4> e{};
    for (const Tile* t : chip_.tiles) {
      e[0] += t->counters().array_reads;
      e[1] += t->counters().dac_conversions;
      e[2] += t->counters().adc_conversions;
      e[3] += t->counters().write_pulses;
    }
    return e;
  };
  const auto events0 = tile_events();
  chart_label_ = int(step_chart_.labels.size());
  step_chart_.labels.push_back(label);
  switch (op->opcode) {
    case TrainOpcode::Forward: chart_kind_ = op->model == train::Model::Generator ? 0 : 1; break;
    case TrainOpcode::BackwardData: chart_kind_ = 2; break;
    case TrainOpcode::BackwardWeight: chart_kind_ = 3; break;
    case TrainOpcode::Update: chart_kind_ = 4; break;
    default: chart_kind_ = 5;
  }
  chart_parts_ = parts;
  // The parts, each when its own samples are ready; the operation spans the first start to the
  // last end, its split is the parts' own (scaled to the span where parts overlap each other).
  OpTiming timing;
  uint64_t t1 = t0;
  double compute_ns = 0, movement_ns = 0;
  try {
    for (int p = 0; p < parts; ++p) {
      const uint64_t start = p == 0 ? t0 : std::max(issued, readiness_.ready(*op, p));
      const int64_t s0 = samples_before(p), s1 = samples_before(p + 1);
      const train::OpWork part_work = parts == 1 ? work : split_work(work, s0, s1, params_.batch);
      chart_part_ = p;
      const OpTiming part = play(*op, part_work, s0, s1, start, phase);
      if (parts == 1) timing = part;
      else timing.energy_pj += part.energy_pj;
      const uint64_t end = start + static_cast<uint64_t>(std::llround(part.time_ns * 1e3));
      readiness_.done(*op, p, end);
      t0 = std::min(t0, start);
      t1 = std::max(t1, end);
      compute_ns += part.compute_ns;
      movement_ns += part.movement_ns;
      if (on_timeline_ && end > start)
        record_timeline(*op, parts == 1 ? label : fmt::format("{} [{}/{}]", label, p + 1, parts), start, end, part,
                        part_work.arrays.logical_mvms);
    }
  } catch (const std::logic_error& e) {
    return e.what();
  }
  if (parts > 1) {
    timing.time_ns = double(t1 - t0) * 1e-3;
    const double own = compute_ns + movement_ns;
    const double scale = own > timing.time_ns && own > 0 ? timing.time_ns / own : 1.0;
    timing.compute_ns = compute_ns * scale;
    timing.movement_ns = std::min(timing.time_ns - timing.compute_ns, movement_ns * scale);
    timing.stall_ns = std::max(0.0, timing.time_ns - timing.compute_ns - timing.movement_ns);
  }
  const auto events1 = tile_events();
  phase.array_reads += events1[0] - events0[0];
  phase.dac_conversions += events1[1] - events0[1];
  phase.adc_conversions += events1[2] - events0[2];
  phase.write_pulses += events1[3] - events0[3];
  set_busy_until(barrier ? t0 : issued);
  // The run's clock advances by whole steps: from the step's first operation to its barrier
  // (the same in a run resumed at the step boundary, where every block is idle).
  if (op->opcode == TrainOpcode::StepEnd && step_open_) {
    timing.advance_ns = double(t0 - step_start_ps_) * 1e-3;
    step_open_ = false;
    step_chart_.step = executor_.steps_done() - 1;
    step_chart_.start_ps = step_start_ps_;
    step_chart_.end_ps = t0;
    last_step_ = step_chart_;
    step_chart_.labels.clear();
    step_chart_.spans.clear();
  } else if (barrier) {  // EVAL, CHECKPOINT: not part of a step's chart
    step_chart_.labels.pop_back();
  }
  probe_.activity(t0, std::max(t1, t0 + 1), 0.0);
  ++ops_;
  phase.time_ns += timing.time_ns;
  phase.compute_ns += timing.compute_ns;
  phase.movement_ns += timing.movement_ns;
  phase.stall_ns += timing.stall_ns;
  phase.energy_pj += timing.energy_pj;
  ++phase.ops;
  if (op_hook_) op_hook_(*op, timing);
  if (auto* vcd = observer().vcd(); vcd && t1 > t0) {
    // Operations overlap: `op` is the last one started, `in_flight` how many run.
    if (op_signal_ != ~trace::SignalId{0}) vcd->set(op_signal_, t0, int64_t(op->opcode));
    if (in_flight_signal_ != ~trace::SignalId{0}) {
      vcd->add(in_flight_signal_, t0, 1);
      vcd->add(in_flight_signal_, t1, -1);
    }
    if (layer_signal_ != ~trace::SignalId{0}) vcd->set(layer_signal_, t0, int64_t(op->model) * 256 + op->layer);
    if (step_signal_ != ~trace::SignalId{0}) vcd->set(step_signal_, t0, executor_.steps_done());
  }
  return {};
}

// One timeline event per operation (per part with micro-batches), on the first lane free at t0.
void LayerEngine::record_timeline(const train::TrainOp& op, const std::string& label, uint64_t t0, uint64_t t1,
                                  const OpTiming& timing, int64_t mvms) {
  const bool layer_op = train::is_layer_op(op.opcode);
  timeline::Args args = {{"step", executor_.steps_done()}, {"phase", std::string(train::opcode_name(op.opcode))},
                         {"model", std::string(train::model_name(op.model))},
                         {"mvms", mvms}, {"energy_pJ", timing.energy_pj},
                         {"compute_ns", timing.compute_ns}, {"movement_ns", timing.movement_ns},
                         {"stall_ns", timing.stall_ns}};
  if (layer_op) {
    const auto& spec = executor_.layer_spec(op.model, op.layer);
    args.push_back({"layer", spec.name});
    args.push_back({"type", std::string(mapping::layer_type_name(spec.type))});
    if (spec.type == mapping::LayerType::ConvTranspose2d || spec.type == mapping::LayerType::Conv2d)
      args.push_back({"dataflow", params_.dataflow});
  }
  size_t lane = 0;
  while (lane < lane_end_.size() && lane_end_[lane] > t0) ++lane;
  if (lane == lane_end_.size()) {
    lane_end_.push_back(0);
    lane_track_.push_back(observer().timeline()->track("layer_engine", fmt::format("operations {}", lane)));
  }
  lane_end_[lane] = t1;
  observer().timeline()->complete(lane_track_[lane], label, t0, t1, args);
}

// The mapper generates the addressing of every pixel_wise scatter (ConvTranspose2d forward,
// Conv2d backward-data) at run time; its time is part of the operation's cost (mapper cycles per
// MVM). Here the sequence itself is produced and checked: its length x batch must be the MVMs the
// operation ran, and an RTL generator must match the C++ model step for step.
std::string LayerEngine::generate_addresses(const train::TrainOp& op, const train::OpWork& work) {
  if (params_.dataflow != "pixel_wise") return {};
  const bool backward_data = op.opcode == train::TrainOpcode::BackwardData;
  if (op.opcode != train::TrainOpcode::Forward && !backward_data) return {};
  const auto g = mapping::red_scatter_geometry(executor_.layer_spec(op.model, op.layer), backward_data, params_.arrays);
  if (!g) return {};
  // A layer's sequence depends on its geometry alone: the C++ model walks it once per layer
  // and pass, every operation after that uses (and the RTL is checked against) the same steps.
  auto [it, fresh] = address_cache_.try_emplace({int(op.model), int(op.layer), backward_data});
  if (fresh)
    for (mapping::RedAddressWalker walk(*g); !walk.finished(); walk.advance()) it->second.push_back(walk.step());
  const std::vector<mapping::RedStep>& model_steps = it->second;
  ++addresses_.sequences;
  addresses_.steps += int64_t(model_steps.size());
  const int64_t mvms_per_sample = int64_t(g->h) * g->w;
  if (mvms_per_sample * params_.batch != work.arrays.logical_mvms) ++addresses_.mvm_mismatches;
  if (!rtl_addresses_) return {};
  // The RTL runs in the engine's own thread, in parallel with the operations (its clocks are the
  // mapper's, part of the operation's time), one queued sequence after another; it never holds
  // the controller, so a run with the RTL swapped in times exactly as one without.
  rtl_queue_.push_back({*g, op_label(op), model_steps});
  rtl_request_.notify(sc_core::SC_ZERO_TIME);
  return {};
}

void LayerEngine::rtl_address_thread() {
  for (;;) {
    if (rtl_queue_.empty()) sc_core::wait(rtl_request_);
    while (!rtl_queue_.empty()) {
      RtlSequence seq = std::move(rtl_queue_.front());
      rtl_queue_.pop_front();
      try {
        addresses_.rtl_clocks += int64_t(rtl_addresses_->generate(seq.geometry, rtl_steps_));
        compare_rtl_addresses(seq);
      } catch (const std::exception& e) {
        if (rtl_error_.empty()) rtl_error_ = e.what();
      }
    }
  }
}

void LayerEngine::compare_rtl_addresses(const RtlSequence& seq) {
  const std::vector<mapping::RedStep>& model = seq.model_steps;
  int64_t differ = std::abs(int64_t(rtl_steps_.size()) - int64_t(model.size()));
  size_t first_bad = SIZE_MAX;
  for (size_t i = 0; i < std::min(rtl_steps_.size(), model.size()); ++i) {
    if (rtl_steps_[i] == model[i]) continue;
    ++differ;
    first_bad = std::min(first_bad, i);
  }
  if (differ > 0 && addresses_.rtl_mismatches == 0) {
    const std::string where =
        first_bad == SIZE_MAX ? fmt::format("{} steps instead of {}", rtl_steps_.size(), model.size())
                              : fmt::format("step {}: RTL {}, model {}", first_bad, describe(rtl_steps_[first_bad]),
                                            describe(model[first_bad]));
    SC_REPORT_WARNING("memgan/rtl", fmt::format("{}: red_addr_gen RTL differs from the C++ model ({}): {}", name(),
                                                seq.label, where).c_str());
  }
  addresses_.rtl_mismatches += differ;
}

// Called at every register access: reports the first error of the RTL address thread (the
// RTL itself never holds the initiator; it runs alongside, see generate_addresses).
std::string LayerEngine::before_register_access(sc_core::sc_time&) {
  std::string why;
  why.swap(rtl_error_);
  return why;
}

}  // namespace memgan
