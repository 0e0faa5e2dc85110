#include "models/base/peripheral.h"

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

Register::Register(Peripheral& owner, const spec::RegisterSpec& spec) : spec_(spec), value_(spec.reset) {
  owner.add(*this);
}

Peripheral::Peripheral(sc_core::sc_module_name name, const RegisterTiming& timing, uint64_t register_window_bytes,
                       RunObserver& observer, std::string probe_name)
    : sc_module(name),
      timing_(timing),
      window_bytes_(register_window_bytes),
      observer_(observer),
      probe_name_(probe_name.empty() ? std::string(this->name()) : std::move(probe_name)),
      log_(this->name()),
      by_offset_(register_window_bytes / 4, nullptr) {
  socket.register_b_transport(this, &Peripheral::b_transport);
}

void Peripheral::add(Register& reg) {
  const uint32_t off = reg.spec().offset;
  if (off % 4 != 0 || off >= window_bytes_ || by_offset_[off / 4] != nullptr)
    throw std::logic_error(fmt::format("{}: register {} at 0x{:x} is unaligned, outside the {}-byte window or taken",
                                       name(), reg.name(), off, window_bytes_));
  if (!reg_probe_) reg_probe_ = std::make_unique<BlockProbe>(observer_, probe_name_ + ".regs", 0.0, false);
  by_offset_[off / 4] = &reg;
  registers_.push_back(&reg);
}

std::string Peripheral::transport_window(tlm::tlm_generic_payload& tx, sc_core::sc_time&) {
  tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  return fmt::format("no register at offset 0x{:x}", tx.get_address());
}

std::string Peripheral::before_register_access(sc_core::sc_time&) { return {}; }

void Peripheral::fault(const std::string& message, uint64_t t_ps) {
  observer_.fault(name(), message, t_ps);
  log_.warning(message);
}

void Peripheral::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t issued_ps = local_ps(delay);
  std::string why;
  if (tx.get_byte_enable_ptr() != nullptr) {
    tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    why = "byte enables are not supported";
  } else if (tx.get_address() < window_bytes_) {
    why = register_access(tx, delay);
  } else {
    why = transport_window(tx, delay);
  }
  if (!why.empty()) fault(why, issued_ps);
}

std::string Peripheral::register_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t off = tx.get_address();
  const uint64_t t0 = local_ps(delay);
  std::string why = before_register_access(delay);
  delay += timing_.clock_period * double(timing_.register_access_cycles);
  access_ps_ = local_ps(delay);
  Register* reg = (off % 4 == 0) ? by_offset_[off / 4] : nullptr;
  if (reg && reg->stalls_ && tx.is_read() && access_ps_ < busy_until_ps_) {
    delay += sc_core::sc_time(double(busy_until_ps_ - access_ps_), sc_core::SC_PS);
    access_ps_ = busy_until_ps_;
  }
  if (!why.empty()) {
    tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  } else if (tx.get_data_length() != 4 || off % 4 != 0) {
    tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    why = fmt::format("register access at +0x{:x} must be one aligned 32-bit word (got {} bytes)", off,
                      tx.get_data_length());
  } else if (!reg) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    why = fmt::format("no register at +0x{:x}", off);
  } else {
    why = serve(*reg, tx, delay);
  }
  if (reg_probe_) reg_probe_->activity(t0, local_ps(delay), timing_.register_access_pj);
  return why;
}

std::string Peripheral::serve(Register& reg, tlm::tlm_generic_payload& tx, const sc_core::sc_time& delay) {
  const spec::Access access = reg.spec().access;
  uint32_t v = 0;
  if (tx.is_read()) {
    if (access == spec::Access::WriteOnly) {
      tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return fmt::format("register {} is write-only", reg.name());
    }
    v = reg.read_ ? reg.read_(delay) : reg.value_;
    std::memcpy(tx.get_data_ptr(), &v, 4);
  } else if (tx.is_write()) {
    if (access == spec::Access::ReadOnly) {
      tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return fmt::format("register {} is read-only", reg.name());
    }
    std::memcpy(&v, tx.get_data_ptr(), 4);
    if (reg.write_) {
      const std::string why = reg.write_(v, delay);
      if (!why.empty()) {
        tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return fmt::format("{} <- 0x{:x} rejected: {}", reg.name(), v, why);
      }
    }
    if (access == spec::Access::ReadWrite) reg.value_ = v;
  }
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  return {};
}

}  // namespace memgan
