// Layer engine: the accelerator's compute cluster seen at layer granularity. Firmware issues
// one training operation (core/train/train_ops.h) per CMD write; the engine runs it on the
// GanTrainer (whose MVM engine holds the crossbar arrays' conductances) and stays busy for the
// time the platform's cost function derives from what the operation did (array reads and
// conversions, pulses, digital work, DRAM bytes, noise samples), booking the energy per
// component. Activations stay inside the engine (its buffers); only the real batches come
// from DRAM, charged by their bytes.
//
// Registers (offsets from the block base):
//   0x00 ID RO "MGLE" | 0x04 STATUS RO bit0 BUSY | 0x08 CMD WO: start an operation
//   0x0C STEPS RO training steps completed | 0x10 OPS RO operations completed
//   0x14 DONE RO: reads as STATUS, but a read while busy stalls the bus until the operation
//        completes (wait states), so firmware waits for an operation with one read instead of
//        thousands of polls
// A CMD write while busy, with an unknown opcode, a layer that does not exist or an operation
// out of order is answered with TLM_GENERIC_ERROR_RESPONSE and the reason (the controller
// stops with a firmware error naming the command).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

#include "models/base/peripheral.h"
#include "models/red_addr_gen/red_addr_gen_source.h"
#include "core/mapping/red_addr_gen.h"
#include "core/observe/observer.h"
#include "core/train/gan_trainer.h"
#include "spec/regs/layer_engine.h"

namespace memgan {

// Time and energy of one operation, energy by component ("arrays", "adc", "digital", ...).
struct OpCost {
  double time_ns = 0;
  std::map<std::string, double> energy_pj;
};

struct LayerEngineParams {
  sc_core::sc_time clock_period;
  int register_access_cycles = 1;
  double register_access_pj = 0;
  double leakage_mw = 0;
  std::map<std::string, double> component_leakage_mw;  // one probe per component
  std::string dataflow;  // for the timeline
  // The dataflow mapper's address generation (pixel_wise scatters): array geometry and the
  // batch, to check the generated sequences against the MVMs each operation counted.
  nn::ArrayShape arrays;
  int batch = 1;
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
  using CostFunction = std::function<OpCost(const train::TrainOp&, const train::OpWork&)>;
  // Host-side observation at EVAL / CHECKPOINT / STEP_END; takes no simulated time.
  using HostHook = std::function<void(const train::TrainOp&, uint64_t t_ps)>;

  LayerEngine(sc_core::sc_module_name name, const LayerEngineParams& params, train::GanTrainer& trainer,
              CostFunction cost, RunObserver& observer);

  void on_host(HostHook hook) { host_ = std::move(hook); }
  // Swaps the RTL address generator in (null: the C++ model alone).
  void use_rtl_addresses(RedAddrGenSource* source) { rtl_addresses_ = source; }
  const AddressStats& address_stats() const { return addresses_; }
  int64_t ops() const { return ops_; }
  const std::map<std::string, double>& energy_by_component() const { return energy_; }
  // Per (model, layer, phase): simulated time and energy, for the report.
  struct PhaseTotals {
    double time_ns = 0, energy_pj = 0;
    int64_t ops = 0;
  };
  const std::map<std::string, PhaseTotals>& phase_totals() const { return phases_; }

 private:
  // An RTL address sequence still running holds every register access until it is done.
  std::string before_register_access(sc_core::sc_time& delay) override;
  std::string start(uint32_t word);
  std::string op_label(const train::TrainOp& op) const;
  std::string generate_addresses(const train::TrainOp& op, const train::OpWork& work);
  void rtl_address_thread();
  void compare_rtl_addresses();

  LayerEngineParams params_;
  train::GanTrainer& trainer_;
  CostFunction cost_;
  BlockProbe probe_;
  Register id_{*this, layer_engine_reg::ID}, status_{*this, layer_engine_reg::STATUS},
      cmd_{*this, layer_engine_reg::CMD}, steps_{*this, layer_engine_reg::STEPS}, ops_reg_{*this, layer_engine_reg::OPS},
      done_{*this, layer_engine_reg::DONE};
  std::map<std::string, std::unique_ptr<BlockProbe>> components_;
  HostHook host_;
  RedAddrGenSource* rtl_addresses_ = nullptr;
  AddressStats addresses_;
  std::vector<mapping::RedStep> model_steps_, rtl_steps_;
  mapping::RedGeometry rtl_geometry_;
  std::string rtl_label_, rtl_error_;
  bool rtl_busy_ = false;
  sc_core::sc_event rtl_request_, rtl_done_;
  int64_t ops_ = 0;
  std::map<std::string, double> energy_;
  std::map<std::string, PhaseTotals> phases_;
  trace::SignalId op_signal_ = ~trace::SignalId{0}, layer_signal_ = ~trace::SignalId{0},
                  step_signal_ = ~trace::SignalId{0};
  timeline::TrackId track_ = 0;
  bool on_timeline_ = false;
};

}  // namespace memgan
