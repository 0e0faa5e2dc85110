// The accelerator's controller: at reset it loads the program image from DRAM (boot
// address 0) over the bus, checks header and checksum, decodes every command (its command
// decoder: the C++ model, or the RTL, arch.rtl.cmd_decoder), checks loops and that every
// register address is mapped, then executes the commands (LOOP jumps back), driving the
// accelerator only through memory-mapped registers, as firmware would.
// Loosely timed with a quantum keeper; it is the run's only thread of control.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "models/bus/address_map.h"
#include "models/cmd_decoder/cmd_decoder_engine.h"
#include "core/observe/observer.h"
#include "spec/isa/cmd_decoder.h"

namespace memgan {

struct ControllerParams {
  sc_core::sc_time clock_period;
  int cycles_per_command;
  int fetch_bytes;
  int poll_interval_cycles;
  sc_core::sc_time poll_timeout;
  double command_pj;
};

class Controller : public sc_core::sc_module {
 public:
  enum class Outcome { NotRun, Completed, FirmwareError, Interrupted };

  tlm_utils::simple_initiator_socket<Controller> master{"master"};

  // Builds the controller's command decoder as a child module named `name` (RTL co-simulation,
  // arch.rtl.cmd_decoder: rtl); without one the C++ model decodes, taking no simulated time.
  using DecoderFactory = std::function<std::unique_ptr<CmdDecoderEngine>(const char* name)>;

  Controller(sc_core::sc_module_name name, const ControllerParams& timing, uint64_t boot_address,
             uint64_t image_limit_bytes, const AddressMap* address_map, RunObserver& observer, double leakage_mw,
             const DecoderFactory& decoder = {});

  Outcome outcome() const { return outcome_; }
  const std::string& error() const { return error_; }
  sc_core::sc_time end_time() const { return end_time_; }
  int64_t commands_executed() const { return commands_executed_; }
  int64_t polls() const { return polls_; }
  // Called after every command with (commands done, commands the program executes in all,
  // loops expanded; known at boot).
  void on_progress(std::function<void(int64_t, int64_t)> callback) { progress_ = std::move(callback); }

 private:
  void run();
  void boot(std::vector<firmware::Command>& program);
  void execute(const firmware::Command& cmd, size_t index);
  uint32_t read32(uint32_t addr);
  void write32(uint32_t addr, uint32_t value);
  void transfer(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, uint32_t len);
  std::string describe(uint64_t addr) const;
  std::string context() const;  // what is running, for error messages
  void account(uint64_t t0_ps);

  ControllerParams timing_;
  uint64_t boot_address_;
  uint64_t image_limit_;
  const AddressMap* address_map_;
  RunObserver& observer_;
  BlockProbe probe_;
  tlm_utils::tlm_quantumkeeper qk_;
  Outcome outcome_ = Outcome::NotRun;
  std::string error_;
  sc_core::sc_time end_time_;
  int64_t commands_executed_ = 0;
  int64_t polls_ = 0;
  bool advance_pending_ = false;  // synced in a transfer; the observer may advance after account()
  std::function<void(int64_t, int64_t)> progress_;
  std::unique_ptr<CmdDecoderEngine> decoder_;  // null: the C++ model (spec/isa/cmd_decoder.h)
  // The command running (nullptr while booting); messages are formatted only on errors.
  const firmware::Command* current_ = nullptr;
  size_t current_index_ = 0;
};

}  // namespace memgan
