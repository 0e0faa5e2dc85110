// Digital unit: the chip's FP32 datapath for everything that is not a crossbar MVM in training
// (batch norm, activations, losses, weight-gradient outer products, optimizer moments). It has
// `lanes` FP32 units and an operand buffer on the bus (window at kBuffer); the training cluster
// (models/layer_engine) streams operands into the buffer over the bus and starts work on it.
//
// Timing: `ops + macs` operations on `lanes` units, one per lane per clock, one job at a time
// (a job waits for the previous one). Energy: ops x op_pj + macs x mac_pj, booked on the
// "digital_unit" probe; buffer bytes at buffer_pj_per_byte on "digital_unit.buffer".
//
// Registers (spec/regs/digital_unit.h): ID, STATUS (BUSY), LANES, BUFFER_BYTES, OPS.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>

#include "core/observe/observer.h"
#include "models/base/occupancy.h"
#include "models/base/peripheral.h"
#include "spec/regs/digital_unit.h"

namespace memgan {

struct DigitalUnitParams {
  sc_core::sc_time clock_period;
  int register_access_cycles = 1;
  double register_access_pj = 0;
  int lanes = 64;
  uint32_t buffer_bytes = 256 * 1024;
  int buffer_bytes_per_cycle = 32;
  double op_pj = 0, mac_pj = 0, buffer_pj_per_byte = 0;
  double leakage_mw = 0, buffer_leakage_mw = 0;
};

class DigitalUnit : public Peripheral {
 public:
  DigitalUnit(sc_core::sc_module_name name, const DigitalUnitParams& params, RunObserver& observer);

  struct Span {
    uint64_t start_ps = 0, end_ps = 0;
  };
  // Runs `ops` element-wise operations and `macs` multiply-accumulates once its operands are
  // in the buffer at `ready_ps`; returns when it ran (after any earlier job).
  Span run(int64_t ops, int64_t macs, uint64_t ready_ps);
  uint32_t buffer_bytes() const { return params_.buffer_bytes; }
  int64_t jobs() const { return jobs_; }
  uint64_t busy_ps() const { return datapath_.busy_ps(); }

 private:
  std::string transport_window(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;

  DigitalUnitParams params_;
  BlockProbe probe_, buffer_probe_;
  Register id_{*this, digital_unit_reg::ID}, status_{*this, digital_unit_reg::STATUS},
      lanes_{*this, digital_unit_reg::LANES}, buffer_bytes_{*this, digital_unit_reg::BUFFER_BYTES},
      ops_{*this, digital_unit_reg::OPS};
  std::vector<uint8_t> buffer_;
  Occupancy datapath_;
  int64_t jobs_ = 0;
};

}  // namespace memgan
