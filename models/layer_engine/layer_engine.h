// Layer engine: the training cluster's controller. Firmware issues one training operation
// (core/train/train_ops.h) per CMD write; the engine has its executor run it (the GanTrainer,
// whose MVM engine computes the arrays' results, bit-identical to the analog model; or, in
// train.mode timing, the TimingExecutor's closed-form counts) and then plays the operation
// on the chip's blocks, which take its time and energy:
//   - crossbar work (forward, backward-data, pulse updates) on the tiles that hold the layer's
//     arrays (mapping::ChipPlacement), each tile its share of the counted events (Tile::run_work),
//     tiles in parallel; with arch.mapping.overflow: reprogram, arrays holding another layer are
//     rewritten first (weights from DRAM, row by row);
//   - element-wise layers, losses, weight gradients and the optimizer on the digital unit;
//   - latent batches on the noise block;
//   - data movement as bus transactions from the engine's DMA port (`mover`): the digital unit's
//     buffer to the tiles' input buffers and back from their output buffers, real batches and the
//     activations kept for backward-weight through DRAM, and a DRAM round trip for the part of a
//     tensor that does not fit the buffer it goes to. The bus and DRAM reserve their bandwidth
//     (models/base/occupancy.h), so transfers of parallel tiles contend.
// The dataflow mapper's address generation runs alongside (cycles_per_mvm per MVM; its pixel_wise
// sequences are generated and checked, RTL or C++). Per operation the engine splits the time
// into compute, data movement and stalls (waiting for a shared resource) on its critical path.
//
// Operations are queued, not waited for: each starts when its data is ready
// (core/train/op_readiness.h: backward-weight beside backward-data, the discriminator's real
// pass beside the generator's forward, updates of different layers together) and the blocks
// it uses have a free gap; STEP_END, EVAL and CHECKPOINT are barriers. The run's time advances
// by each step's span, from its first operation to its barrier.
//
// With M = ceil(batch / arch.scheduler.micro_batch) > 1 an operation along the batch is played as M parts, each
// on its samples' share of the work and starting when its own samples are ready, so a layer's
// part p runs while the layer before works on part p + 1 (tiles of different layers at once,
// transfers of one part beside the compute of another); the numerics still run on the whole batch.
//
// Registers (offsets from the block base):
//   0x00 ID RO "MGLE" | 0x04 STATUS RO bit0 BUSY | 0x08 CMD WO: start an operation
//   0x0C STEPS RO training steps completed | 0x10 OPS RO operations completed
//   0x14 DONE RO: reads as STATUS, but a read while busy stalls the bus until the operation
//        completes (wait states), so firmware waits with one read instead of thousands of polls.
//        Busy: after a barrier (STEP_END, EVAL, CHECKPOINT) until everything before it is done;
//        any other CMD is queued at once
// A CMD write while busy, with an unknown opcode, a layer that does not exist or an operation
// out of order is answered with TLM_GENERIC_ERROR_RESPONSE and the reason (the controller
// stops with a firmware error naming the command).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <systemc>
#include <tlm>

#include <tlm_utils/simple_initiator_socket.h>

#include "core/mapping/placement.h"
#include "models/base/peripheral.h"
#include "models/base/size_only.h"
#include "models/red_addr_gen/red_addr_gen_source.h"
#include "core/mapping/red_addr_gen.h"
#include "core/observe/observer.h"
#include "core/train/op_executor.h"
#include "core/train/op_readiness.h"
#include "spec/regs/layer_engine.h"

namespace memgan {

class Tile;
struct TileWork;
class DigitalUnit;
class NoiseBlock;
class Interconnect;
class Dram;

// The blocks the engine plays operations on (the SoC's own).
struct ChipBlocks {
  std::vector<Tile*> tiles;
  DigitalUnit* digital = nullptr;
  NoiseBlock* noise = nullptr;
  Interconnect* bus = nullptr;  // for its contention counters
  Dram* dram = nullptr;
};

// Time of one operation on its critical path, and its dynamic energy. advance_ns: how far the
// run's clock moves with it (a STEP_END: the step's span; otherwise 0, operations overlap).
struct OpTiming {
  double time_ns = 0, compute_ns = 0, movement_ns = 0, stall_ns = 0, energy_pj = 0;
  double advance_ns = 0;
};

struct LayerEngineParams {
  sc_core::sc_time clock_period;
  int register_access_cycles = 1;
  double register_access_pj = 0;
  double leakage_mw = 0, mapper_leakage_mw = 0;
  std::string dataflow;  // for the timeline
  mapping::ChipPlacement placement;
  int mapper_cycles_per_mvm = 1;
  double mapper_pj_per_mvm = 0;
  int noise_pairs = 1;
  uint64_t noise_window_bytes = 4;  // the noise block's sample window
  int input_bytes = 1;   // per input element in a tile's input buffer (1 quantized, else 4)
  int array_rows = 128;  // physical rows: a reprogrammed array is written row by row
  double reprogram_pj_per_weight = 0;  // all slices of one weight, written from mid-range on average
  uint64_t dram_scratch_base = 0, dram_scratch_bytes = 0;  // kept activations, spills
  uint64_t dram_data_base = 0;  // the data set: 8-bit real images, one after another
  // The dataflow mapper's address generation (pixel_wise scatters): array geometry and the
  // batch, to check the generated sequences against the MVMs each operation counted.
  nn::ArrayShape arrays;
  int batch = 1;
  // Parts each operation along the batch runs as, pipelined across layers (op_readiness.h):
  // micro-batches of ceil(batch / micro_batches) samples, the last one the rest.
  int micro_batches = 1;
};

// The pixel_wise scatters' address sequences the mapper generated (C++ model, or the RTL when
// swapped in, checked step by step against the model).
struct AddressStats {
  int64_t sequences = 0;       // one per scatter operation (one sample's sequence; samples repeat it)
  int64_t steps = 0;           // MVM addresses generated
  int64_t rtl_clocks = 0;      // clocks the RTL took (0 without it)
  int64_t rtl_mismatches = 0;  // RTL steps that differ from the model's (or are missing / extra)
  int64_t mvm_mismatches = 0;  // sequences whose length x batch differs from the operation's MVMs
};

class LayerEngine : public Peripheral {
 public:
  tlm_utils::simple_initiator_socket<LayerEngine> mover{"mover"};  // the cluster's DMA port
  // Host-side observation at EVAL / CHECKPOINT / STEP_END; takes no simulated time.
  using HostHook = std::function<void(const train::TrainOp&, uint64_t t_ps)>;
  // Every operation's timing, once played.
  using OpHook = std::function<void(const train::TrainOp&, const OpTiming&)>;

  // Throws std::invalid_argument when the placement lacks one of the trainer's crossbar layers
  // or names a tile the chip does not have.
  LayerEngine(sc_core::sc_module_name name, const LayerEngineParams& params, train::OpExecutor& executor,
              const ChipBlocks& chip, RunObserver& observer);

  ~LayerEngine() override;

  void on_host(HostHook hook) { host_ = std::move(hook); }
  void on_op(OpHook hook) { op_hook_ = std::move(hook); }
  // Swaps the RTL address generator in (null: the C++ model alone).
  void use_rtl_addresses(RedAddrGenSource* source) { rtl_addresses_ = source; }
  const AddressStats& address_stats() const { return addresses_; }
  int64_t ops() const { return ops_; }
  // Per (model, layer, phase): simulated time, its split and energy, and the busy time of each
  // resource the phase used (the largest names its bottleneck), for the report.
  struct PhaseTotals {
    double time_ns = 0, compute_ns = 0, movement_ns = 0, stall_ns = 0, energy_pj = 0;
    int64_t ops = 0;
    std::map<std::string, double> busy_ns;  // tiles, digital_unit, noise, bus, dram, mapper
    // Events the tiles counted for this phase (all their arrays together).
    int64_t array_reads = 0, dac_conversions = 0, adc_conversions = 0, write_pulses = 0;
  };
  int64_t arrays_reprogrammed() const { return arrays_reprogrammed_; }
  // Per slot (tile * arrays_per_tile + array), the placement layer its arrays hold now (-1:
  // none): a checkpoint keeps it, a resumed run restores it ("" or why it does not fit).
  const std::vector<int>& residency() const { return resident_; }
  std::string restore_residency(const std::vector<int>& resident);
  const mapping::ChipPlacement& placement() const { return params_.placement; }
  const std::map<std::string, PhaseTotals>& phase_totals() const { return phases_; }
  // The last training step completed, as busy spans per block (tiles, digital unit, noise
  // block): what report.html draws as one step on the chip.
  struct StepChart {
    int64_t step = -1;  // steps done before it (-1: no step completed yet)
    uint64_t start_ps = 0, end_ps = 0;
    std::vector<std::string> lanes;   // "tile 0" ... , "digital unit", "noise"
    std::vector<std::string> labels;  // operation labels
    struct Span {
      int lane = 0, label = 0, kind = 0, part = 0, parts = 1;
      uint64_t start_ps = 0, end_ps = 0;
    };
    std::vector<Span> spans;
  };
  static const char* const kStepChartKinds[6];  // by Span::kind
  const StepChart& last_step_chart() const { return last_step_; }

 private:
  // Reports an error of the RTL address thread at the next register access.
  std::string before_register_access(sc_core::sc_time& delay) override;
  std::string start(uint32_t word);
  std::string op_label(const train::TrainOp& op) const;
  void record_timeline(const train::TrainOp& op, const std::string& label, uint64_t t0, uint64_t t1,
                       const OpTiming& timing, int64_t mvms);
  struct Transfer;
  struct Chain;
  // One part of an operation: samples [s0, s1) of the batch (all of it for a one-part
  // operation) and their share of the work.
  OpTiming play(const train::TrainOp& op, const train::OpWork& work, int64_t s0, int64_t s1, uint64_t t0,
                PhaseTotals& phase);
  void play_arrays(const train::TrainOp& op, const train::OpWork& work, int samples, uint64_t t0, Chain& critical,
                   uint64_t& end, PhaseTotals& phase);
  // The digital unit's work after a DRAM round trip of `spill_bytes` (its operands' excess over
  // its buffer, digital_excess).
  void play_digital(int64_t spill_bytes, int64_t ops, int64_t macs, uint64_t t0, Chain& chain, PhaseTotals& phase);
  int64_t digital_excess(int64_t operand_bytes) const;
  // Bus transactions from the DMA port, each at most `chunk` bytes; the chain's time advances.
  void transact(tlm::tlm_command cmd, uint64_t base, uint64_t window, int64_t bytes, Chain& chain, PhaseTotals& phase);
  void move(uint64_t src, uint64_t src_window, uint64_t dst, uint64_t dst_window, int64_t bytes, Chain& chain,
            PhaseTotals& phase);
  void spill_round_trip(int64_t bytes, Chain& chain, PhaseTotals& phase);
  void bus_access(tlm::tlm_generic_payload& tx, tlm::tlm_command cmd, uint64_t addr, uint8_t* data, uint64_t len,
                  Chain& chain, PhaseTotals& phase);
  struct TileSpan {
    uint64_t start_ps = 0, end_ps = 0;
  };
  TileSpan dispatch(int tile, const TileWork& work, Chain& chain, PhaseTotals& phase);
  uint64_t scratch(uint64_t bytes);  // next DRAM scratch address for `bytes`
  static int64_t tensor_bytes(const std::vector<int>& per_sample, int element_bytes, int samples);
  const mapping::LayerPlacement& placement_of(const train::TrainOp& op) const;
  std::string generate_addresses(const train::TrainOp& op, const train::OpWork& work);
  void rtl_address_thread();
  struct RtlSequence {
    mapping::RedGeometry geometry;
    std::string label;
    std::vector<mapping::RedStep> model_steps;
  };
  void compare_rtl_addresses(const RtlSequence& seq);

  LayerEngineParams params_;
  train::OpExecutor& executor_;
  ChipBlocks chip_;
  BlockProbe probe_, mapper_probe_;
  Register id_{*this, layer_engine_reg::ID}, status_{*this, layer_engine_reg::STATUS},
      cmd_{*this, layer_engine_reg::CMD}, steps_{*this, layer_engine_reg::STEPS}, ops_reg_{*this, layer_engine_reg::OPS},
      done_{*this, layer_engine_reg::DONE};
  HostHook host_;
  OpHook op_hook_;
  std::vector<int> layer_placement_[2];  // per model, per layer: index into params_.placement.layers, -1
  train::OpReadiness readiness_;
  bool step_open_ = false;
  uint64_t step_start_ps_ = 0;
  std::vector<uint64_t> lane_end_;           // timeline lanes of overlapping operations
  std::vector<timeline::TrackId> lane_track_;
  std::vector<int64_t> weight_count_[2];  // per model, per layer on arrays
  std::vector<int> resident_;            // per slot: the placement layer its arrays hold now
  int64_t arrays_reprogrammed_ = 0;
  uint64_t scratch_cursor_ = 0;
  std::vector<uint8_t> staging_;         // the DMA port's data buffer
  std::vector<uint8_t> real_pixels_;     // the real batch as the DMA fetched it from DRAM
  int64_t image_bytes_ = 0;              // one real image (the discriminator's input, 8-bit)
  tlm::tlm_generic_payload data_tx_;     // transfers that carry their bytes (real images, work commands)
  void fetch_real(int64_t s0, int64_t s1, Chain& chain, PhaseTotals& phase);
  // One payload for every transfer of the DMA port, marked size-only (its tensors' values stay
  // with the trainer, so the targets copy nothing).
  tlm::tlm_generic_payload mover_tx_;
  SizeOnlyTransfer size_only_;
  RedAddrGenSource* rtl_addresses_ = nullptr;
  AddressStats addresses_;
  std::map<std::tuple<int, int, bool>, std::vector<mapping::RedStep>> address_cache_;  // (model, layer, backward)
  std::vector<mapping::RedStep> rtl_steps_;
  std::deque<RtlSequence> rtl_queue_;  // sequences the RTL has still to generate
  std::string rtl_error_;
  sc_core::sc_event rtl_request_;
  int64_t ops_ = 0;
  std::map<std::string, PhaseTotals> phases_;
  StepChart step_chart_, last_step_;  // the step being played, the last one done
  int chart_label_ = 0, chart_kind_ = 0, chart_part_ = 0, chart_parts_ = 1;  // of the part being played
  void chart(int lane, uint64_t start_ps, uint64_t end_ps);
  trace::SignalId op_signal_ = ~trace::SignalId{0}, layer_signal_ = ~trace::SignalId{0},
                  step_signal_ = ~trace::SignalId{0}, in_flight_signal_ = ~trace::SignalId{0};
  bool on_timeline_ = false;
};

}  // namespace memgan
