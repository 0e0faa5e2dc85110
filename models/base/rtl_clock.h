// What every transactor drives its Verilated block with: a gated clock at the platform's period
// (toggled only while the transactor streams, so an idle block costs nothing), the synchronous
// active-low reset, and the tap that puts the block's own signals into the run's trace. Make it
// a member of the transactor: its signals then belong to that module (<transactor>.clk).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <systemc>

#include "core/observe/observer.h"

namespace memgan::rtl {

class RtlSignalTap;

class RtlClock {
 public:
  explicit RtlClock(sc_core::sc_time period);
  ~RtlClock();

  sc_core::sc_signal<bool> clk{"clk"}, rst_n{"rst_n"};

  // After the model's ports are bound: its variables (scope "<model>.<top module>") go into the
  // observer's trace under "<model>". A null observer or one without a trace records nothing.
  void trace(RunObserver* observer, const std::string& model, const std::string& top_module);
  // One full period: low half, rising edge, high half. Inputs written before the call change
  // at the start of the period (the trace stamps them there); registers at the rising edge.
  // Call from an SC_THREAD.
  void tick();
  // Before the first use only: one clock with rst_n low.
  void reset_once();
  uint64_t clocks() const { return clocks_; }

 private:
  sc_core::sc_time half_;
  std::unique_ptr<RtlSignalTap> tap_;
  bool reset_done_ = false;
  uint64_t clocks_ = 0;
};

}  // namespace memgan::rtl
