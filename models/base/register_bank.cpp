#include "models/base/register_bank.h"

#include <cstring>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

void RegisterBank::add_ro(const std::string& name, uint32_t offset, ReadHandler on_read) {
  regs_.push_back({name, offset, 0, true, false, false, std::move(on_read), {}});
}

void RegisterBank::add_rw(const std::string& name, uint32_t offset, uint32_t reset, WriteHandler on_write) {
  regs_.push_back({name, offset, reset, true, true, true, {}, std::move(on_write)});
}

void RegisterBank::add_wo(const std::string& name, uint32_t offset, WriteHandler on_write) {
  regs_.push_back({name, offset, 0, false, true, false, {}, std::move(on_write)});
}

RegisterBank::Register* RegisterBank::find(uint64_t offset) {
  for (auto& r : regs_) {
    if (r.offset == offset) return &r;
  }
  return nullptr;
}

const RegisterBank::Register* RegisterBank::find(uint64_t offset) const {
  for (const auto& r : regs_) {
    if (r.offset == offset) return &r;
  }
  return nullptr;
}

uint32_t RegisterBank::value(uint32_t offset) const {
  const Register* r = find(offset);
  return r ? r->value : 0;
}

const std::string* RegisterBank::name_at(uint32_t offset) const {
  const Register* r = find(offset);
  return r ? &r->name : nullptr;
}

std::string RegisterBank::access(tlm::tlm_generic_payload& tx, uint64_t offset) {
  if (tx.get_data_length() != 4 || (offset & 3) != 0 || tx.get_byte_enable_ptr() != nullptr) {
    tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return fmt::format("register access at +0x{:x} must be one aligned 32-bit word (got {} bytes)", offset,
                       tx.get_data_length());
  }
  Register* r = find(offset);
  if (!r) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return fmt::format("no register at +0x{:x}", offset);
  }
  uint32_t v = 0;
  if (tx.is_read()) {
    if (!r->readable) {
      tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return fmt::format("register {} is write-only", r->name);
    }
    v = r->on_read ? r->on_read() : r->value;
    std::memcpy(tx.get_data_ptr(), &v, 4);
  } else if (tx.is_write()) {
    if (!r->writable) {
      tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return fmt::format("register {} is read-only", r->name);
    }
    std::memcpy(&v, tx.get_data_ptr(), 4);
    if (r->on_write) {
      std::string why = r->on_write(v);
      if (!why.empty()) {
        tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return fmt::format("{} <- 0x{:x} rejected: {}", r->name, v, why);
      }
    }
    if (r->stores) r->value = v;
  }
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  return {};
}

uint64_t stalling_register_access(const tlm::tlm_generic_payload& tx, sc_core::sc_time& delay,
                                  const sc_core::sc_time& access_time, uint64_t done_offset, uint64_t busy_until_ps) {
  delay += access_time;
  uint64_t done_ps = local_ps(delay);
  if (tx.get_address() == done_offset && tx.is_read() && done_ps < busy_until_ps) {
    delay += sc_core::sc_time(double(busy_until_ps - done_ps), sc_core::SC_PS);
    done_ps = busy_until_ps;
  }
  return done_ps;
}

}  // namespace memgan
