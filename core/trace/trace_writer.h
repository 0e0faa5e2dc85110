// Format-independent waveform recording for temporally decoupled (loosely-timed TLM)
// models. Each initiator runs ahead of global time by up to a quantum, so changes arrive
// out of time order; TraceWriter buffers them, and when told that a time is final
// (flush_before) it orders them, integrates deltas, drops no-op and superseded values,
// and hands the result, in time order, to a format back end (VcdWriter, FstWriter).
//
// Ordering: changes are applied in (time, arrival) order (a stable sort by time), so two
// changes to one signal at one time resolve to the later call; only the final value of a
// signal at a time is written, and only when it differs from the last written value.
//
// Late changes: a change stamped before the last flush_before() horizon can no longer be
// placed at its time without rewriting output. It is clamped to the horizon (the earliest
// time still open) and counted in late_changes(); deltas are therefore never lost, only
// shifted later.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace memgan::trace {

using SignalId = uint32_t;

enum class SignalKind : uint8_t { kInt, kReal };

// Names for the values of an enumerated integer signal (an operation code): FST stores them as
// an enum table, so GTKWave shows "forward" rather than 3; VCD has no such thing and keeps the
// numbers. Signals that share one EnumLabels object share one table.
struct EnumLabels {
  std::string name;                                   // e.g. "train_op"
  std::vector<std::pair<uint64_t, std::string>> values;  // value -> label ([A-Za-z0-9_]+)
};

struct SignalInfo {
  std::string name;  // full dotted name, e.g. "soc.tile0.xbar.busy"
  SignalKind kind = SignalKind::kInt;
  int width = 1;     // bits for kInt (1..64); 64 for kReal
  double unit = 1;   // kReal: the value shown is accumulator * unit
  std::shared_ptr<const EnumLabels> labels;  // kInt only; null: a plain number
};

class TraceWriter {
 public:
  virtual ~TraceWriter() = default;
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Integer signal of 1..64 bits. A 1-bit signal is a flag driven by a count: it shows 1
  // while the integrated value is > 0 and 0 otherwise, so overlapping busy intervals fed
  // as +1/-1 deltas read as one busy span. Wider signals show the value's low `width`
  // bits (two's complement). Names are dot-separated; each part is [A-Za-z0-9_]+.
  // Throws std::invalid_argument on a bad name/width or a name clash, std::logic_error
  // after begin().
  SignalId add_int(const std::string& hier_name, int width);
  // Integer signal of 2..64 bits whose values have names (see EnumLabels). Throws
  // std::invalid_argument as add_int, and for a label that is empty, not [A-Za-z0-9_]+, or
  // whose value does not fit the width.
  SignalId add_enum(const std::string& hier_name, int width, std::shared_ptr<const EnumLabels> labels);
  // Real signal whose value is an int64 count of `unit` (> 0): +x and -x deltas cancel
  // exactly and an idle signal returns to exactly 0.
  SignalId add_real(const std::string& hier_name, double unit);

  // Writes the header and the initial (all-zero) values. Declarations end here.
  void begin();
  // Absolute value (in units for reals) / delta at t_ps. Throw std::logic_error before
  // begin() or after close(), std::out_of_range for an unknown id.
  void set(SignalId id, uint64_t t_ps, int64_t value);
  void add(SignalId id, uint64_t t_ps, int64_t delta);
  // Every change stamped before t_ps is final: order and write them. An earlier t_ps than
  // a previous call is a no-op. Buffered memory is only the changes at or after t_ps.
  void flush_before(uint64_t t_ps);
  // Flushes everything, ends the dump at max(last change, last flush_before horizon) and
  // closes the output. Idempotent; begin() is implied if it was never called.
  void close();

  // Recording window: only [start_ps, stop_ps) reaches the back end. Changes before
  // start_ps still integrate, so every signal shows its true value at start_ps (written as
  // one step there); changes at or after stop_ps are dropped and the dump ends at stop_ps
  // (or earlier, at the end of the run). Call before begin(); throws std::logic_error
  // after it, std::invalid_argument for stop_ps <= start_ps.
  void set_window(uint64_t start_ps, uint64_t stop_ps = UINT64_MAX);
  // Window bounds known only during the run (e.g. training steps). hold_window() (before
  // begin()) keeps the window closed until open_window_at(); open_window_at(t) / close_window_at(t)
  // then set the start / stop while the run goes on. A time before the horizon (already
  // written) is moved up to it. Opening an already open window, or closing at or after the
  // current stop, does nothing. With set_window() too, the later start and the earlier stop win.
  void hold_window();
  void open_window_at(uint64_t t_ps);
  void close_window_at(uint64_t t_ps);
  // Size bound: once bytes_written() reaches max_bytes, the window stops at the next time
  // step (stopped_at_ps() says where). VCD counts are exact; FST's lag behind its
  // compression blocks, so an FST ends somewhat past the bound. 0 = no bound.
  void set_max_bytes(uint64_t max_bytes);
  // UINT64_MAX while the window is still open.
  uint64_t stopped_at_ps() const { return size_stop_ps_; }

  const SignalInfo& signal(SignalId id) const { return signals_.at(id); }
  size_t signal_count() const { return signals_.size(); }
  uint64_t late_changes() const { return late_changes_; }
  virtual uint64_t bytes_written() const = 0;

 protected:
  TraceWriter() = default;

  // Back-end hooks, called in this order: on_begin once (declarations and all-zero values
  // at time 0); then, per later time step, on_time followed by that step's values (values
  // at time 0 follow on_begin directly); then possibly a final on_time; then on_close.
  virtual void on_begin(const std::vector<SignalInfo>& signals) = 0;
  virtual void on_time(uint64_t t_ps) = 0;
  virtual void on_int(SignalId id, uint64_t bits) = 0;  // 1-bit flag or masked to the width
  virtual void on_real(SignalId id, double value) = 0;
  virtual void on_close() = 0;
  // Walks the scope tree of the dotted names: scopes in first-declaration order, and in
  // each scope its own variables (in declaration order) before its sub-scopes.
  static void walk_hierarchy(const std::vector<SignalInfo>& signals,
                             const std::function<void(const std::string& scope)>& enter,
                             const std::function<void(SignalId id, const std::string& leaf)>& var,
                             const std::function<void()>& leave);
  // The closing path must also run from derived destructors (the base one cannot call
  // virtual hooks); they call this and swallow errors.
  void close_noexcept() noexcept;

 private:
  struct Change {
    uint64_t t_ps;
    int64_t value;
    SignalId id;
    bool is_delta;
  };

  SignalId declare(SignalInfo info);
  void push(SignalId id, uint64_t t_ps, int64_t value, bool is_delta);
  void write_until(uint64_t t_ps, bool everything);
  void emit_step(uint64_t t_ps);
  uint64_t shown(SignalId id) const;
  void open_window();

  std::vector<SignalInfo> signals_;
  std::set<std::string> names_;
  std::vector<int64_t> value_;          // integrated value (units for reals)
  std::vector<uint64_t> written_;       // last shown() handed to the back end
  std::vector<uint64_t> touched_step_;  // step_ when last touched, to list a signal once
  std::vector<SignalId> touched_;       // signals changed in the current step
  std::vector<Change> pending_;
  uint64_t step_ = 0;
  uint64_t horizon_ = 0;                // changes before this are final and written
  uint64_t last_time_ = 0;              // latest time handed to on_time()
  uint64_t max_time_ = 0;               // latest change time seen
  uint64_t late_changes_ = 0;
  uint64_t window_start_ = 0, window_stop_ = UINT64_MAX;
  uint64_t held_min_start_ = 0;         // set_window()'s start, when hold_window() took over
  uint64_t max_bytes_ = 0, size_stop_ps_ = UINT64_MAX;
  bool window_open_ = true;             // start reached (values at start written)
  bool begun_ = false;
  bool closed_ = false;
};

}  // namespace memgan::trace
