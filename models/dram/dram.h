// DRAM target: a byte array behind a fixed access latency and a bandwidth, with energy per
// byte read and written. The latency is pipelined across requests; the data transfer reserves
// the channel (models/base/occupancy.h), so concurrent initiators share the bandwidth. Banks,
// rows and refresh are not modelled; background power is the leakage figure.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "core/observe/observer.h"
#include "models/base/log.h"
#include "models/base/occupancy.h"

namespace memgan {

struct DramParams {
  sc_core::sc_time latency;
  double bandwidth_bytes_per_ns;
  double read_pj_per_byte;
  double write_pj_per_byte;
};

class Dram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Dram> socket{"socket"};

  Dram(sc_core::sc_module_name name, uint64_t size_bytes, const DramParams& timing, RunObserver& observer,
       double leakage_mw);

  // Backdoor for the loader and the result checker (no time, no energy).
  uint8_t* data() { return memory_.get(); }
  uint64_t size() const { return size_; }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t busy_ps() const { return occupancy_.busy_ps(); }  // channel time reserved so far
  uint64_t wait_ps() const { return wait_ps_; }              // time requests waited for the channel

 private:
  void fault(const std::string& why, const sc_core::sc_time& delay);
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& tx);

  // calloc'ed: the host's zero pages until written, so a large DRAM costs host memory only for
  // what the run puts there (program, data set; the training's tensor transfers are size-only).
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t[], Free> memory_;
  uint64_t size_ = 0;
  DramParams timing_;
  RunObserver& observer_;
  BlockProbe probe_;
  Logger log_;
  uint64_t bytes_read_ = 0, bytes_written_ = 0;
  Occupancy occupancy_;
  uint64_t wait_ps_ = 0;
};

}  // namespace memgan
