#include "models/dram/dram.h"

#include <cstring>
#include <new>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"
#include "models/base/size_only.h"

namespace memgan {

Dram::Dram(sc_core::sc_module_name name, uint64_t size_bytes, const DramParams& timing, RunObserver& observer,
           double leakage_mw)
    : sc_module(name),
      memory_(static_cast<uint8_t*>(std::calloc(size_bytes ? size_bytes : 1, 1))),
      size_(size_bytes),
      timing_(timing),
      observer_(observer),
      probe_(observer, this->name(), leakage_mw),
      log_(this->name()) {
  if (!memory_) throw std::bad_alloc();
  socket.register_b_transport(this, &Dram::b_transport);
  socket.register_transport_dbg(this, &Dram::transport_dbg);
}

void Dram::fault(const std::string& why, const sc_core::sc_time& delay) {
  observer_.fault(name(), why, local_ps(delay));
  log_.warning(why);
}

void Dram::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t addr = tx.get_address();
  const uint64_t len = tx.get_data_length();
  if (addr >= size_ || len > size_ - addr) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    fault(fmt::format("access [0x{:x}, +{}) beyond the {}-byte memory", addr, len, size_), delay);
    return;
  }
  if (tx.get_byte_enable_ptr() != nullptr) {
    tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    fault("byte enables are not supported", delay);
    return;
  }
  const uint64_t t0 = local_ps(delay);
  double energy = 0;
  const bool copy = carries_data(tx);
  if (tx.is_read()) {
    if (copy) std::memcpy(tx.get_data_ptr(), memory_.get() + addr, len);
    bytes_read_ += len;
    energy = timing_.read_pj_per_byte * double(len);
  } else if (tx.is_write()) {
    if (copy) std::memcpy(memory_.get() + addr, tx.get_data_ptr(), len);
    bytes_written_ += len;
    energy = timing_.write_pj_per_byte * double(len);
  }
  // The access latency is pipelined across requests; the data transfer holds the channel, so
  // concurrent requests share the bandwidth.
  const uint64_t transfer = to_ps(ns(double(len) / timing_.bandwidth_bytes_per_ns));
  occupancy_.retire_before(to_ps(sc_core::sc_time_stamp()));
  const uint64_t ready = t0 + to_ps(timing_.latency);
  const uint64_t start = occupancy_.reserve(ready, transfer);
  wait_ps_ += start - ready;
  delay = ps(start + transfer) - sc_core::sc_time_stamp();
  probe_.activity(t0, start + transfer, energy);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Dram::transport_dbg(tlm::tlm_generic_payload& tx) {
  const uint64_t addr = tx.get_address();
  if (addr >= size_) return 0;
  const uint64_t len = std::min<uint64_t>(tx.get_data_length(), size_ - addr);
  if (tx.is_read()) std::memcpy(tx.get_data_ptr(), memory_.get() + addr, len);
  else if (tx.is_write()) std::memcpy(memory_.get() + addr, tx.get_data_ptr(), len);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  return static_cast<unsigned int>(len);
}

}  // namespace memgan
