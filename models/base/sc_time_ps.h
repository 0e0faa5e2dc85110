// Conversions between SystemC time and the picosecond stamps of the pure-C++ services.
#pragma once

#include <cmath>
#include <cstdint>
#include <systemc>

namespace memgan {

inline uint64_t to_ps(const sc_core::sc_time& t) {
  return static_cast<uint64_t>(std::llround(t.to_seconds() * 1e12));
}
inline sc_core::sc_time ps(uint64_t v) { return sc_core::sc_time(static_cast<double>(v), sc_core::SC_PS); }
inline sc_core::sc_time ns(double v) { return sc_core::sc_time(v, sc_core::SC_NS); }

// Local time of a loosely-timed access: global time plus the initiator's annotated delay.
inline uint64_t local_ps(const sc_core::sc_time& delay) { return to_ps(sc_core::sc_time_stamp() + delay); }

}  // namespace memgan
