// Logging through SystemC's report handler, VCML-style: one line per message,
//   [W 1.234567 us] soc.tile0: message
// (level letter, simulated time, hierarchical name). The level comes from the config
// (simulation.log_level) or the command line (--log-level); reports from SystemC itself and
// from any SC_REPORT_* go through the same handler.
#pragma once

#include <string>

#include <systemc>

namespace memgan {

enum class LogLevel { Error = 0, Warning = 1, Info = 2, Debug = 3 };

// "error" | "warning" | "info" | "debug"; throws std::invalid_argument naming the choices.
LogLevel parse_log_level(const std::string& text);

// Installs the handler (idempotent) and sets the level; messages above it are dropped.
void set_log_level(LogLevel level);
LogLevel log_level();

// A block's logger: its hierarchical name is the report's message type.
class Logger {
 public:
  explicit Logger(std::string name) : name_(std::move(name)) {}
  bool enabled(LogLevel level) const { return level <= log_level(); }
  void error(const std::string& message) const;
  void warning(const std::string& message) const;
  void info(const std::string& message) const;
  void debug(const std::string& message) const;
  // A line of a trace the user switched on (e.g. simulation.log_transactions): printed at any
  // level, marked T, at local time `t` (the initiator's time, not the kernel's).
  void trace(const sc_core::sc_time& t, const std::string& message) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// The one-line form of a report, as the handler prints it (for tests and file sinks).
std::string format_report(const sc_core::sc_report& report);

}  // namespace memgan
