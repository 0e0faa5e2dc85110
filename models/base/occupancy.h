// Occupancy of a shared resource (bus, DRAM channel, a unit's datapath) on the loosely-timed
// path: a transfer asks for `duration` from its ready time and gets the earliest gap in the
// reservations that long. Initiators are temporally decoupled, so requests do not arrive in
// time order; gaps between later reservations are filled. One reservation per transfer, not per
// byte or beat. Pure C++ (no SystemC): unit-tested on its own.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>

namespace memgan {

class Occupancy {
 public:
  // Reserves [start, start + duration) with start >= ready the earliest free gap; returns start.
  // A zero duration takes no time and reserves nothing.
  uint64_t reserve(uint64_t ready, uint64_t duration) {
    if (duration == 0) return ready;
    uint64_t start = ready;
    // The reservation that begins at or before `start` may still hold it.
    auto it = busy_.upper_bound(start);
    if (it != busy_.begin()) {
      auto prev = std::prev(it);
      if (prev->second > start) start = prev->second;
    }
    // Walk forward until a gap fits.
    while (it != busy_.end() && it->first < start + duration) {
      start = std::max(start, it->second);
      ++it;
    }
    busy_[start] = start + duration;
    busy_ps_ += duration;
    return start;
  }
  // Forgets reservations ending at or before `t` (no request can be ready before the present).
  void retire_before(uint64_t t) {
    while (!busy_.empty() && busy_.begin()->second <= t) busy_.erase(busy_.begin());
  }
  uint64_t busy_ps() const { return busy_ps_; }  // total reserved time
  size_t pending() const { return busy_.size(); }

 private:
  std::map<uint64_t, uint64_t> busy_;  // start -> end, disjoint
  uint64_t busy_ps_ = 0;
};

}  // namespace memgan
