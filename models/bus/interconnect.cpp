#include "models/bus/interconnect.h"

#include <cstring>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

Interconnect::Interconnect(sc_core::sc_module_name name, const InterconnectParams& params, RunObserver& observer,
                           double leakage_mw)
    : sc_module(name), timing_(params), observer_(observer), probe_(observer, this->name(), leakage_mw),
      log_(this->name()) {
  initiators.register_b_transport(this, &Interconnect::b_transport);
  initiators.register_transport_dbg(this, &Interconnect::transport_dbg);
}

void Interconnect::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t addr = tx.get_address();
  const auto region = map_.decode(addr, tx.get_data_length());
  if (!region) {
    ++decode_errors_;
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    const std::string why = fmt::format("no target at 0x{:08x} (+{} bytes)", addr, tx.get_data_length());
    observer_.fault(name(), why, local_ps(delay));
    log_.warning(why);
    if (timing_.log_transactions) log_transaction(tx, sc_core::sc_time_stamp() + delay, delay, "-");
    return;
  }
  // Arbitration and routing are pipelined; the data beats hold the bus, so a transfer waits
  // for the beats of every other one that reserved it first.
  const uint64_t t0 = local_ps(delay);
  const uint64_t beats = (uint64_t(tx.get_data_length()) + timing_.width_bytes - 1) / timing_.width_bytes;
  const uint64_t clock = to_ps(timing_.clock_period);
  occupancy_.retire_before(to_ps(sc_core::sc_time_stamp()));
  const uint64_t start = occupancy_.reserve(t0 + clock * uint64_t(timing_.latency_cycles), clock * beats);
  const uint64_t end = start + clock * beats;
  wait_ps_ += start - t0 - clock * uint64_t(timing_.latency_cycles);
  probe_.activity(t0, end, timing_.energy_pj_per_byte * tx.get_data_length());

  // Cut-through: the target sees the data from the first beat (a burst streams into DRAM while
  // it crosses the bus); the transfer ends when both the beats and the target are done.
  delay = ps(start) - sc_core::sc_time_stamp();
  tx.set_address(addr - region->base);
  targets[region->port]->b_transport(tx, delay);
  tx.set_address(addr);  // initiators see their own address again, as the standard requires
  if (local_ps(delay) < end) delay = ps(end) - sc_core::sc_time_stamp();
  if (timing_.log_transactions) log_transaction(tx, ps(t0), delay, region->name);
}

void Interconnect::log_transaction(const tlm::tlm_generic_payload& tx, const sc_core::sc_time& start,
                                   const sc_core::sc_time& delay, const std::string& target) const {
  const char* cmd = tx.is_read() ? "RD" : tx.is_write() ? "WR" : "IG";
  std::string word;
  if (tx.get_data_length() >= 4 && tx.get_data_ptr()) {
    uint32_t v = 0;
    std::memcpy(&v, tx.get_data_ptr(), 4);
    word = fmt::format(" 0x{:08x}{}", v, tx.get_data_length() > 4 ? ".." : "");
  }
  log_.trace(start, fmt::format("{} 0x{:08x} [{}]{} {} {} until {:.6f} us", cmd, tx.get_address(), tx.get_data_length(),
                                word, target, tx.get_response_string(),
                                (sc_core::sc_time_stamp() + delay).to_seconds() * 1e6));
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
