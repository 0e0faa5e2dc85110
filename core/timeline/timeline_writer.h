// Streaming Chrome trace-event JSON (timeline.json) of what the chip did, for Perfetto
// (ui.perfetto.dev, "Open trace file") or chrome://tracing. Format: the JSON Object Format
// of the Trace Event Format spec: {"traceEvents":[...],"displayTimeUnit":"ns",
// "otherData":{...}}.
//
// Tracks: a track is one row in the viewer, declared as (group, name): each group becomes
// a process ("tile0", "bus", "dram"), each name a thread in it ("xbar0"), named with
// process_name / thread_name metadata events and ordered by declaration (sort_index).
// Each operation is a complete event ("ph":"X") with ts and dur in microseconds, written
// as exact decimals of the picosecond times ("1.234567"); args carry the details (layer,
// phase, dataflow, MVM count, energy ...). Counters ("ph":"C") draw a value over time.
//
// Deterministic: events are written in call order with fixed formatting (no wall clock,
// no pointers), so the same run gives the same bytes.
//
// Bounded: at most max_events operation and counter events are written (metadata events
// do not count; there is one per track). Past the cap, events are counted and dropped,
// and close() appends one global instant event named "timeline truncated: N events
// dropped after the first M" at the time of the first dropped event, and records
// {"max_events","events","dropped","truncated"} in "otherData". An X event with five args
// takes about 150-200 bytes, so the default cap keeps a file under about 200 MB.
//
// Always valid JSON once closed: close() is idempotent and the destructor calls it, so an
// interrupted run (Ctrl-C ends the simulation cleanly) or an exception still leaves a
// complete file. Only a killed process leaves a partial one.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace memgan::timeline {

using TrackId = uint32_t;

struct Arg {
  std::string key;
  std::variant<int64_t, double, std::string> value;  // a non-finite double is written as null
};
using Args = std::vector<Arg>;

class TimelineWriter {
 public:
  static constexpr uint64_t kDefaultMaxEvents = 1'000'000;

  // Opens (truncates) the file now; throws std::runtime_error naming the path on failure.
  explicit TimelineWriter(std::string path, uint64_t max_events = kDefaultMaxEvents);
  ~TimelineWriter();
  TimelineWriter(const TimelineWriter&) = delete;
  TimelineWriter& operator=(const TimelineWriter&) = delete;

  // The track (group, name); declaring it again returns the same id. Throws
  // std::invalid_argument for an empty group or name, std::logic_error after close().
  TrackId track(const std::string& group, const std::string& name);

  // `name` ran on `track` over [t0_ps, t1_ps). Throws std::invalid_argument for t1 < t0,
  // std::out_of_range for an unknown track, std::logic_error after close().
  void complete(TrackId track, const std::string& name, uint64_t t0_ps, uint64_t t1_ps, const Args& args = {});

  // Counter `name` of `group` (the group's process is declared if new) is `value` from t_ps.
  void counter(const std::string& group, const std::string& name, uint64_t t_ps, double value);

  // Ends the JSON (truncation marker and otherData) and closes the file. Idempotent.
  // Throws std::runtime_error naming the path if writing failed.
  void close();

  const std::string& path() const { return path_; }
  uint64_t events() const { return events_; }    // operation and counter events written
  uint64_t dropped() const { return dropped_; }  // past the cap
  bool truncated() const { return dropped_ > 0; }
  uint64_t bytes_written() const { return bytes_; }

 private:
  uint32_t process(const std::string& group);
  bool admit(uint64_t t_ps);  // counts the event; false when past the cap
  void event(const std::string& json);
  void put(const std::string& text);

  std::string path_;
  uint64_t max_events_;
  std::FILE* file_ = nullptr;
  std::map<std::string, uint32_t> pids_;
  std::map<std::pair<std::string, std::string>, TrackId> track_ids_;
  std::vector<uint32_t> track_pid_;
  uint64_t events_ = 0, dropped_ = 0, first_dropped_ps_ = 0, bytes_ = 0;
  bool first_ = true, failed_ = false;
};

}  // namespace memgan::timeline
