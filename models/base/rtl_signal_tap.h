// Puts a Verilated block's own signals into the run's trace (trace.vcd / trace.fst, the same
// writer as every TLM model), under the block's hierarchical name: "<model>.<signal>", e.g.
// soc.tile0.shift_add0.rtl.acc. The signals are found through Verilator's public scope table
// (blocks are verilated with --public-flat-rw): every variable of the top module's scope, ports
// and internal nets alike, parameters left out. The transactor calls sample() after each clock
// edge; only values that changed reach the writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/observe/observer.h"

namespace memgan::rtl {

class RtlSignalTap {
 public:
  // `scope`: Verilator's scope of the top module, "<sc name of the model>.<top module>".
  // `trace_prefix`: where the signals go in the trace. No trace, or a scope without public
  // variables: sample() does nothing. Throws std::logic_error if the scope does not exist (the
  // block was not verilated with --public-flat-rw).
  RtlSignalTap(RunObserver* observer, const std::string& scope, const std::string& trace_prefix);

  void sample(uint64_t t_ps);
  size_t signal_count() const { return taps_.size(); }

 private:
  struct Tap {
    const void* data;
    int bytes;  // 1, 2, 4 or 8
    uint64_t mask;
    trace::SignalId id;
    uint64_t last;
  };
  trace::TraceWriter* vcd_ = nullptr;
  std::vector<Tap> taps_;
  bool sampled_ = false;
};

}  // namespace memgan::rtl
