// What every hardware model reports while it works: busy intervals, operation counts and
// energy, stamped with its (temporally decoupled) local time in picoseconds. One
// RunObserver per run owns the power ledger and the waveform writer; each block holds a
// BlockProbe. Pure C++: models convert sc_time to picoseconds at the call site.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/power/energy_ledger.h"
#include "core/timeline/timeline_writer.h"
#include "core/trace/trace_filter.h"
#include "core/trace/trace_writer.h"

namespace memgan {

class RunObserver {
 public:
  // `vcd` and `timeline` may be null (off); `signals` selects the traced signals.
  RunObserver(uint64_t power_window_ps, std::unique_ptr<trace::TraceWriter> vcd,
              trace::SignalFilter signals = {}, std::unique_ptr<timeline::TimelineWriter> timeline = nullptr);

  power::EnergyLedger& ledger() { return ledger_; }
  const power::EnergyLedger& ledger() const { return ledger_; }
  trace::TraceWriter* vcd() { return vcd_.get(); }
  const trace::TraceWriter* vcd() const { return vcd_.get(); }
  timeline::TimelineWriter* timeline() { return timeline_.get(); }
  const trace::SignalFilter& signals() const { return signals_; }

  // Call once every probe exists (end of elaboration).
  void begin_trace();
  // Everything stamped before `t_ps` is final (global time has passed it).
  void advance(uint64_t t_ps);
  void finish();

  // A model that rejects an access records why (at simulated time `t_ps`), so the initiator
  // can say it in its error and the report can list every fault of the run.
  struct Fault {
    uint64_t time_ps;
    std::string block, message;
  };
  void fault(const std::string& block, const std::string& message, uint64_t t_ps);
  // "block: message" of the latest fault ("" when none).
  const std::string& last_fault() const { return last_fault_; }
  // The first kMaxFaults faults; later ones only counted (hostile firmware can fault forever).
  static constexpr size_t kMaxFaults = 1000;
  const std::vector<Fault>& faults() const { return faults_; }
  int64_t faults_total() const { return faults_total_; }

  // Hierarchical names of every probe, in creation order (for the GTKWave save file).
  const std::vector<std::string>& probe_names() const { return probe_names_; }
  void register_probe(const std::string& name) { probe_names_.push_back(name); }

 private:
  power::EnergyLedger ledger_;
  std::unique_ptr<trace::TraceWriter> vcd_;
  trace::SignalFilter signals_;
  std::unique_ptr<timeline::TimelineWriter> timeline_;
  std::string last_fault_;
  std::vector<Fault> faults_;
  int64_t faults_total_ = 0;
  std::vector<std::string> probe_names_;
  bool finished_ = false;
};

class BlockProbe {
 public:
  // `name` is the hierarchical name ("soc.tile0.adc"); the ledger uses it without "soc.".
  // `traced` = false keeps a block out of the waveform (e.g. register files, whose every
  // status poll would otherwise toggle a signal) while still accounting its energy.
  // `timeline` = false keeps its activity off timeline.json (a block whose owner draws its
  // own, richer slices).
  BlockProbe(RunObserver& observer, const std::string& name, double leakage_mw, bool traced = true,
             bool timeline = true);

  // The block was busy over [t0, t1) doing `ops` operations that cost `energy_pj`.
  void activity(uint64_t t0_ps, uint64_t t1_ps, double energy_pj, int64_t ops = 1);

  int64_t ops() const { return ops_; }
  double energy_pj() const;
  const std::string& name() const { return name_; }

 private:
  RunObserver& observer_;
  std::string name_;
  power::ComponentId component_;
  static constexpr trace::SignalId kNoSignal = ~trace::SignalId{0};
  trace::SignalId busy_ = kNoSignal, ops_signal_ = kNoSignal, power_ = kNoSignal;
  timeline::TrackId track_ = 0;
  bool traced_ = false, on_timeline_ = false;
  int64_t ops_ = 0;
};

}  // namespace memgan
