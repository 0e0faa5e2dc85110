#include "models/digital_unit/digital_unit.h"

#include <cstring>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"
#include "models/base/size_only.h"

namespace memgan {

using namespace digital_unit_reg;

DigitalUnit::DigitalUnit(sc_core::sc_module_name name, const DigitalUnitParams& p, RunObserver& observer)
    : Peripheral(name, {p.clock_period, p.register_access_cycles, p.register_access_pj}, kRegsSize, observer),
      params_(p),
      probe_(observer, this->name(), p.leakage_mw),
      buffer_probe_(observer, std::string(this->name()) + ".buffer", p.buffer_leakage_mw, true, false),
      buffer_(p.buffer_bytes, 0) {
  using T = const sc_core::sc_time&;
  id_.on_read([](T) { return kIdValue; });
  status_.on_read([this](T) { return busy() ? kStatusBusy : 0u; });
  lanes_.on_read([this](T) { return static_cast<uint32_t>(params_.lanes); });
  buffer_bytes_.on_read([this](T) { return params_.buffer_bytes; });
  ops_.on_read([this](T) { return static_cast<uint32_t>(jobs_); });
}

DigitalUnit::Span DigitalUnit::run(int64_t ops, int64_t macs, uint64_t ready_ps) {
  const uint64_t work = uint64_t(ops + macs);
  if (work == 0) return {ready_ps, ready_ps};
  const uint64_t clocks = (work + uint64_t(params_.lanes) - 1) / uint64_t(params_.lanes);
  const uint64_t duration = clocks * to_ps(params_.clock_period);
  datapath_.retire_before(to_ps(sc_core::sc_time_stamp()));
  const uint64_t start = datapath_.reserve(ready_ps, duration);
  const uint64_t end = start + duration;
  set_busy_until(std::max(busy_until_ps(), end));
  probe_.activity(start, end, double(ops) * params_.op_pj + double(macs) * params_.mac_pj, ops + macs);
  ++jobs_;
  return {start, end};
}

std::string DigitalUnit::transport_window(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t off = tx.get_address(), len = tx.get_data_length();
  if (off < kBuffer || off - kBuffer + len > buffer_.size()) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return fmt::format("nothing at offset 0x{:x} (+{} bytes): the operand buffer is [0x{:x}, +{})", off, len, kBuffer,
                       buffer_.size());
  }
  uint8_t* at = &buffer_[off - kBuffer];
  if (!carries_data(tx)) {
  } else if (tx.is_read()) {
    std::memcpy(tx.get_data_ptr(), at, len);
  } else if (tx.is_write()) {
    std::memcpy(at, tx.get_data_ptr(), len);
  }
  const uint64_t t0 = local_ps(delay);
  delay += params_.clock_period * double((len + params_.buffer_bytes_per_cycle - 1) / params_.buffer_bytes_per_cycle);
  buffer_probe_.activity(t0, local_ps(delay), double(len) * params_.buffer_pj_per_byte);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  return {};
}

}  // namespace memgan
