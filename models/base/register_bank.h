// Memory-mapped 32-bit registers declared by name, offset and reset value, with read and
// write callbacks (the VCML / NVDLA habit: register behaviour stays out of the datapath).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <tlm>

namespace memgan {

class RegisterBank {
 public:
  // A write handler returns an empty string to accept, or why the value is rejected.
  using WriteHandler = std::function<std::string(uint32_t value)>;
  using ReadHandler = std::function<uint32_t()>;

  // Read-only register whose value comes from `on_read`.
  void add_ro(const std::string& name, uint32_t offset, ReadHandler on_read);
  // Read-write register that stores what is written; `on_write` may veto or act on it.
  void add_rw(const std::string& name, uint32_t offset, uint32_t reset, WriteHandler on_write = {});
  // Write-only command register (reads as 0).
  void add_wo(const std::string& name, uint32_t offset, WriteHandler on_write);

  uint32_t value(uint32_t offset) const;
  const std::string* name_at(uint32_t offset) const;

  // Serves one access at `offset` (relative to the bank). On failure sets the payload's
  // response status and returns the reason.
  std::string access(tlm::tlm_generic_payload& tx, uint64_t offset);

 private:
  struct Register {
    std::string name;
    uint32_t offset;
    uint32_t value;
    bool readable, writable, stores;
    ReadHandler on_read;
    WriteHandler on_write;
  };
  Register* find(uint64_t offset);
  const Register* find(uint64_t offset) const;
  std::vector<Register> regs_;
};

// Timing of one access to the registers of a block that runs long operations and has a
// stalling DONE register (the layer engine, the scheduler's array groups): `delay` grows by
// `access_time`, and a read of `done_offset` while the block is busy until `busy_until_ps`
// holds the initiator until then (wait states, instead of a poll storm). Returns the local
// time at which the access completes, ps.
uint64_t stalling_register_access(const tlm::tlm_generic_payload& tx, sc_core::sc_time& delay,
                                  const sc_core::sc_time& access_time, uint64_t done_offset, uint64_t busy_until_ps);

}  // namespace memgan
