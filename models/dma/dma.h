// DMA engine: a register-programmed 2-D copy (ROWS rows of LEN bytes, with source and
// destination strides) between any two bus addresses, in bursts of `burst_bytes`.
//
// Loosely timed: the copy's data moves when CTRL.START is written, while its time runs on
// from the writer's local time; STATUS.BUSY reads 1 until that copy's end time, which is
// what firmware polls. A transfer that fails (decode error, target error) aborts the copy,
// sets STATUS.ERROR and ERROR, and the START write itself answers an error response.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "core/observe/observer.h"
#include "models/base/peripheral.h"
#include "spec/regs/dma.h"

namespace memgan {

struct DmaParams {
  sc_core::sc_time clock_period;
  int burst_bytes;
  int register_access_cycles;
  double energy_pj_per_byte;
  double register_access_pj;
};

class Dma : public Peripheral {
 public:
  tlm_utils::simple_initiator_socket<Dma> master{"master"};

  Dma(sc_core::sc_module_name name, const DmaParams& params, RunObserver& observer, double leakage_mw);

  uint64_t bytes_moved() const { return bytes_moved_; }
  int64_t transfers() const { return probe_.ops(); }

 private:
  std::string start(const sc_core::sc_time& delay);
  bool move(uint64_t addr, uint8_t* data, uint32_t len, tlm::tlm_command cmd, sc_core::sc_time& t, std::string& why);

  DmaParams params_;
  BlockProbe probe_;
  Register id_{*this, dma_reg::ID}, status_{*this, dma_reg::STATUS}, ctrl_{*this, dma_reg::CTRL},
      error_reg_{*this, dma_reg::ERROR}, src_{*this, dma_reg::SRC}, dst_{*this, dma_reg::DST},
      len_{*this, dma_reg::LEN}, rows_{*this, dma_reg::ROWS}, src_stride_{*this, dma_reg::SRC_STRIDE},
      dst_stride_{*this, dma_reg::DST_STRIDE}, bytes_moved_reg_{*this, dma_reg::BYTES_MOVED};
  uint32_t error_ = dma_reg::kNone;
  bool copying_ = false;  // inside start(): its own writes may not START it again
  uint64_t bytes_moved_ = 0;
  std::vector<uint8_t> burst_;
};

}  // namespace memgan
