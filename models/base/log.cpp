#include "models/base/log.h"

#include <cstdio>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

namespace memgan {
namespace {

LogLevel g_level = LogLevel::Warning;
bool g_installed = false;

char letter(sc_core::sc_severity s, int verbosity) {
  switch (s) {
    case sc_core::SC_INFO: return verbosity > sc_core::SC_MEDIUM ? 'D' : 'I';
    case sc_core::SC_WARNING: return 'W';
    case sc_core::SC_ERROR: return 'E';
    default: return 'F';
  }
}

LogLevel level_of(const sc_core::sc_report& r) {
  switch (r.get_severity()) {
    case sc_core::SC_INFO: return r.get_verbosity() > sc_core::SC_MEDIUM ? LogLevel::Debug : LogLevel::Info;
    case sc_core::SC_WARNING: return LogLevel::Warning;
    default: return LogLevel::Error;
  }
}

void handler(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  // A report that throws is printed by whoever catches it (the run driver), not twice.
  if ((actions & (sc_core::SC_DISPLAY | sc_core::SC_LOG)) && !(actions & sc_core::SC_THROW) &&
      level_of(report) <= g_level) {
    std::cerr << format_report(report) << '\n';
  }
  // Throwing, stopping and aborting stay SystemC's (an SC_ERROR still throws).
  sc_core::sc_report_handler::default_handler(report, actions & ~(sc_core::SC_DISPLAY | sc_core::SC_LOG));
}

}  // namespace

LogLevel parse_log_level(const std::string& text) {
  if (text == "error") return LogLevel::Error;
  if (text == "warning") return LogLevel::Warning;
  if (text == "info") return LogLevel::Info;
  if (text == "debug") return LogLevel::Debug;
  throw std::invalid_argument(fmt::format("log level '{}' is not one of error, warning, info, debug", text));
}

void set_log_level(LogLevel level) {
  g_level = level;
  if (!g_installed) {
    sc_core::sc_report_handler::set_handler(handler);
    g_installed = true;
  }
  // SystemC drops SC_INFO reports above its verbosity before any handler sees them.
  sc_core::sc_report_handler::set_verbosity_level(level == LogLevel::Debug ? sc_core::SC_DEBUG : sc_core::SC_MEDIUM);
}

LogLevel log_level() { return g_level; }

std::string format_report(const sc_core::sc_report& r) {
  const double us = r.get_time().to_seconds() * 1e6;
  return fmt::format("[{} {:.6f} us] {}: {}", letter(r.get_severity(), r.get_verbosity()), us, r.get_msg_type(),
                     r.get_msg());
}

void Logger::error(const std::string& m) const {
  // A model's error is reported, not thrown: the block answers with an error response.
  sc_core::sc_report_handler::set_actions(name_.c_str(), sc_core::SC_ERROR, sc_core::SC_DISPLAY);
  SC_REPORT_ERROR(name_.c_str(), m.c_str());
}
void Logger::warning(const std::string& m) const {
  if (enabled(LogLevel::Warning)) SC_REPORT_WARNING(name_.c_str(), m.c_str());
}
void Logger::info(const std::string& m) const {
  if (enabled(LogLevel::Info)) SC_REPORT_INFO_VERB(name_.c_str(), m.c_str(), sc_core::SC_MEDIUM);
}
void Logger::debug(const std::string& m) const {
  if (enabled(LogLevel::Debug)) SC_REPORT_INFO_VERB(name_.c_str(), m.c_str(), sc_core::SC_DEBUG);
}

void Logger::trace(const sc_core::sc_time& t, const std::string& m) const {
  std::cerr << fmt::format("[T {:.6f} us] {}: {}\n", t.to_seconds() * 1e6, name_, m);
}

}  // namespace memgan
