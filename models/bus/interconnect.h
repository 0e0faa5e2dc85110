// Loosely-timed TLM-2.0 interconnect: decodes addresses through an AddressMap, forwards to
// the target with the address made region-relative, and annotates arbitration plus
// transfer time. A decode miss answers TLM_ADDRESS_ERROR_RESPONSE. Contention: the data beats
// of a transfer reserve the bus (models/base/occupancy.h), so concurrent initiators share its
// width: a transfer that finds the bus reserved waits for the gap (counted in wait_ps). The
// target is called at the first data beat (cut-through: a burst streams into DRAM while it
// crosses the bus), and the transfer ends when both its beats and the target are done.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "models/bus/address_map.h"
#include "core/observe/observer.h"
#include "models/base/log.h"
#include "models/base/occupancy.h"

namespace memgan {

struct InterconnectParams {
  sc_core::sc_time clock_period;
  int width_bytes;
  int latency_cycles;
  double energy_pj_per_byte;
  // One log line per transaction (simulation.log_transactions): command, address, size,
  // first word, target, response, local start and end time.
  bool log_transactions = false;
};

class Interconnect : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Interconnect> initiators{"initiators"};
  tlm_utils::multi_passthrough_initiator_socket<Interconnect> targets{"targets"};

  Interconnect(sc_core::sc_module_name name, const InterconnectParams& params, RunObserver& observer,
               double leakage_mw);

  // Maps [base, base+size) to the target bound to `targets` port `port`.
  void map(const std::string& region, uint64_t base, uint64_t size, int port) { map_.add(region, base, size, port); }
  const AddressMap& address_map() const { return map_; }
  int64_t transactions() const { return probe_.ops(); }
  int64_t decode_errors() const { return decode_errors_; }
  uint64_t busy_ps() const { return occupancy_.busy_ps(); }  // data beats reserved so far
  uint64_t wait_ps() const { return wait_ps_; }              // time transfers waited for the bus

 private:
  void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& tx);
  void log_transaction(const tlm::tlm_generic_payload& tx, const sc_core::sc_time& start,
                       const sc_core::sc_time& delay, const std::string& target) const;

  InterconnectParams timing_;
  RunObserver& observer_;
  BlockProbe probe_;
  Logger log_;
  AddressMap map_;
  int64_t decode_errors_ = 0;
  Occupancy occupancy_;
  uint64_t wait_ps_ = 0;
};

}  // namespace memgan
