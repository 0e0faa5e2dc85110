#include "models/bus/interconnect.h"

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

Interconnect::Interconnect(sc_core::sc_module_name name, const InterconnectParams& timing, RunObserver& observer,
                           double leakage_mw)
    : sc_module(name), timing_(timing), observer_(observer), probe_(observer, this->name(), leakage_mw) {
  initiators.register_b_transport(this, &Interconnect::b_transport);
  initiators.register_transport_dbg(this, &Interconnect::transport_dbg);
}

void Interconnect::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t addr = tx.get_address();
  const auto region = map_.decode(addr, tx.get_data_length());
  if (!region) {
    ++decode_errors_;
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    observer_.fault(name(), fmt::format("no target at 0x{:08x} (+{} bytes)", addr, tx.get_data_length()));
    return;
  }
  const uint64_t t0 = local_ps(delay);
  const unsigned beats = (tx.get_data_length() + timing_.width_bytes - 1) / timing_.width_bytes;
  delay += timing_.clock_period * double(timing_.latency_cycles + beats);
  probe_.activity(t0, local_ps(delay), timing_.energy_pj_per_byte * tx.get_data_length());

  tx.set_address(addr - region->base);
  targets[region->port]->b_transport(tx, delay);
  tx.set_address(addr);  // initiators see their own address again, as the standard requires
}

unsigned int Interconnect::transport_dbg(int, tlm::tlm_generic_payload& tx) {
  const uint64_t addr = tx.get_address();
  const auto region = map_.decode(addr, tx.get_data_length());
  if (!region) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  tx.set_address(addr - region->base);
  const unsigned int n = targets[region->port]->transport_dbg(tx);
  tx.set_address(addr);
  return n;
}

}  // namespace memgan
