// The base of every register-bearing block (the VCML ladder, flattened to one rung): an
// sc_module with a TLM target socket, a register file declared from the block's table in
// spec/regs/, register-access timing and energy, the busy state that STATUS / DONE report, the
// stalling DONE read, and a logger. A block derives from it, declares its registers as named
// members (`Register ctrl_{*this, dma_reg::CTRL};`) and gives them on_read / on_write callbacks;
// register behaviour stays out of the datapath.
//
// Timing of one register access: the initiator's delay grows by register_access_cycles clocks.
// A read of a register marked stall_while_busy() while the block is busy holds the initiator
// until the block is idle (wait states), so firmware waits for a long operation with one read
// instead of a poll storm. Accesses beyond the register window go to transport_window().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "core/observe/observer.h"
#include "models/base/log.h"
#include "spec/regs/register_spec.h"

namespace memgan {

class Peripheral;

// Clock and per-access cost of a block's register file.
struct RegisterTiming {
  sc_core::sc_time clock_period;
  int register_access_cycles = 1;
  double register_access_pj = 0;
};

// One 32-bit register, its name, offset, access and reset value from the spec table.
class Register {
 public:
  // `delay` is the initiator's annotated delay at the access (the register timing included).
  using ReadHandler = std::function<uint32_t(const sc_core::sc_time& delay)>;
  // Returns "" to accept the value, or why it is rejected (an error response, and a fault).
  using WriteHandler = std::function<std::string(uint32_t value, const sc_core::sc_time& delay)>;

  Register(Peripheral& owner, const spec::RegisterSpec& spec);
  Register(const Register&) = delete;
  Register& operator=(const Register&) = delete;

  // RO registers read through `on_read`; RW registers store what is written after `on_write`
  // accepted it; WO registers are commands served by `on_write`.
  void on_read(ReadHandler handler) { read_ = std::move(handler); }
  void on_write(WriteHandler handler) { write_ = std::move(handler); }
  // A read while the owner is busy stalls until it is idle (a DONE register).
  void stall_while_busy() { stalls_ = true; }

  uint32_t value() const { return value_; }
  const spec::RegisterSpec& spec() const { return spec_; }
  const char* name() const { return spec_.name; }

 private:
  friend class Peripheral;
  const spec::RegisterSpec& spec_;
  uint32_t value_;
  bool stalls_ = false;
  ReadHandler read_;
  WriteHandler write_;
};

class Peripheral : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Peripheral> socket{"socket"};

  // The registers are the offsets below `register_window_bytes`. `probe_name` names the
  // register file's energy probe (`<probe_name>.regs`; default: the module's name).
  Peripheral(sc_core::sc_module_name name, const RegisterTiming& timing, uint64_t register_window_bytes,
             RunObserver& observer, std::string probe_name = {});

  // The registers in declaration order (tests compare them with the spec table).
  const std::vector<const Register*>& registers() const { return registers_; }
  const Logger& log() const { return log_; }

 protected:
  // Serves an access beyond the register window (buffers, sample windows, weight windows).
  // Returns "" or why it failed, with the payload's response status set. Default: no such address.
  virtual std::string transport_window(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  // Runs before every register access; a non-empty result fails it (generic error response).
  virtual std::string before_register_access(sc_core::sc_time& delay);

  // Busy until `t_ps` (the end of the operation just started); STATUS.BUSY and DONE follow it.
  void set_busy_until(uint64_t t_ps) { busy_until_ps_ = t_ps; }
  uint64_t busy_until_ps() const { return busy_until_ps_; }
  // The local time of the register access being served (after its timing), ps.
  uint64_t access_ps() const { return access_ps_; }
  bool busy() const { return access_ps_ < busy_until_ps_; }

  RunObserver& observer() { return observer_; }
  // Records a rejected access: the fault list (block, and the initiator's local time when it
  // issued the access, `t_ps`) and a warning in the log.
  void fault(const std::string& message, uint64_t t_ps);

 private:
  friend class Register;
  void add(Register& reg);
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  std::string register_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  std::string serve(Register& reg, tlm::tlm_generic_payload& tx, const sc_core::sc_time& delay);

  RegisterTiming timing_;
  uint64_t window_bytes_;
  RunObserver& observer_;
  std::string probe_name_;
  Logger log_;
  std::vector<const Register*> registers_;
  std::vector<Register*> by_offset_;  // index offset / 4 (the window is small)
  // Made with the first register, so the block decides where the register file's column
  // falls among its probes in power.csv (declaration order).
  std::unique_ptr<BlockProbe> reg_probe_;
  uint64_t access_ps_ = 0, busy_until_ps_ = 0;
};

}  // namespace memgan
