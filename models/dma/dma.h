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
#include <tlm_utils/simple_target_socket.h>

#include "models/base/register_bank.h"
#include "spec/regs/dma.h"
#include "core/observe/observer.h"

namespace memgan {


struct DmaParams {
  sc_core::sc_time clock_period;
  int burst_bytes;
  int register_access_cycles;
  double energy_pj_per_byte;
  double register_access_pj;
};

class Dma : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Dma> regs{"regs"};
  tlm_utils::simple_initiator_socket<Dma> master{"master"};

  Dma(sc_core::sc_module_name name, const DmaParams& timing, RunObserver& observer, double leakage_mw);

  uint64_t bytes_moved() const { return bytes_moved_; }
  int64_t transfers() const { return probe_.ops(); }

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  std::string start(sc_core::sc_time& delay);
  bool move(uint64_t addr, uint8_t* data, uint32_t len, tlm::tlm_command cmd, sc_core::sc_time& t, std::string& why);

  DmaParams timing_;
  RunObserver& observer_;
  BlockProbe probe_;
  BlockProbe reg_probe_;
  RegisterBank bank_;
  uint64_t access_ps_ = 0;   // local time of the register access being served
  uint64_t busy_until_ps_ = 0;
  uint32_t error_ = dma_reg::kNone;
  uint64_t bytes_moved_ = 0;
  sc_core::sc_time* pending_delay_ = nullptr;
  std::vector<uint8_t> burst_;
};

}  // namespace memgan
