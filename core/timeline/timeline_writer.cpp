#include "core/timeline/timeline_writer.h"

#include "core/util/atomic_file.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace memgan::timeline {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// Picoseconds as exact microseconds: 1234567 -> "1.234567", 2000000 -> "2".
std::string micros(uint64_t ps) {
  std::string s = std::to_string(ps / 1'000'000);
  if (const uint64_t frac = ps % 1'000'000) {
    std::string f = fmt::format("{:06d}", frac);
    f.erase(f.find_last_not_of('0') + 1);
    s += "." + f;
  }
  return s;
}

std::string number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

std::string args_json(const Args& args) {
  std::string out = "{";
  for (size_t i = 0; i < args.size(); ++i) {
    out += (i ? "," : "") + quoted(args[i].key) + ":";
    const auto& v = args[i].value;
    if (const auto* n = std::get_if<int64_t>(&v)) {
      out += std::to_string(*n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      out += number(*d);
    } else {
      out += quoted(std::get<std::string>(v));
    }
  }
  return out + "}";
}

}  // namespace

TimelineWriter::TimelineWriter(std::string path, uint64_t max_events)
    : path_(std::move(path)), max_events_(max_events) {
  file_ = std::fopen(part_path(path_).c_str(), "wb");
  if (!file_) throw std::runtime_error(fmt::format("{}: cannot create the timeline", path_));
  put("{\"traceEvents\":[");
}

TimelineWriter::~TimelineWriter() {
  try {
    close();
  } catch (const std::exception&) {  // the file is closed either way; a destructor must not throw
  }
}

void TimelineWriter::put(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) failed_ = true;
  bytes_ += text.size();
}

void TimelineWriter::event(const std::string& json) {
  put((first_ ? "\n" : ",\n") + json);
  first_ = false;
}

uint32_t TimelineWriter::process(const std::string& group) {
  const auto [it, added] = pids_.emplace(group, static_cast<uint32_t>(pids_.size() + 1));
  if (added) {
    event(fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"tid":0,"args":{{"name":{}}}}})", it->second,
                      quoted(group)));
    event(fmt::format(R"({{"name":"process_sort_index","ph":"M","pid":{},"tid":0,"args":{{"sort_index":{}}}}})",
                      it->second, it->second));
  }
  return it->second;
}

TrackId TimelineWriter::track(const std::string& group, const std::string& name) {
  if (!file_) throw std::logic_error("TimelineWriter::track after close()");
  if (group.empty() || name.empty()) throw std::invalid_argument("timeline track: empty group or name");
  const auto found = track_ids_.find({group, name});
  if (found != track_ids_.end()) return found->second;
  const uint32_t pid = process(group);
  const auto id = static_cast<TrackId>(track_pid_.size());
  track_ids_.emplace(std::make_pair(group, name), id);
  track_pid_.push_back(pid);
  // tid = id + 1: tid 0 is left to process-level metadata.
  event(fmt::format(R"({{"name":"thread_name","ph":"M","pid":{},"tid":{},"args":{{"name":{}}}}})", pid, id + 1,
                    quoted(name)));
  event(fmt::format(R"({{"name":"thread_sort_index","ph":"M","pid":{},"tid":{},"args":{{"sort_index":{}}}}})", pid,
                    id + 1, id + 1));
  return id;
}

bool TimelineWriter::admit(uint64_t t_ps) {
  if (events_ < max_events_) {
    ++events_;
    return true;
  }
  if (dropped_++ == 0) first_dropped_ps_ = t_ps;
  return false;
}

void TimelineWriter::complete(TrackId track, const std::string& name, uint64_t t0_ps, uint64_t t1_ps,
                              const Args& args) {
  if (!file_) throw std::logic_error("TimelineWriter::complete after close()");
  if (t1_ps < t0_ps) throw std::invalid_argument(fmt::format("timeline event '{}' ends before it starts", name));
  const uint32_t pid = track_pid_.at(track);
  if (!admit(t0_ps)) return;
  event(fmt::format(R"({{"name":{},"ph":"X","pid":{},"tid":{},"ts":{},"dur":{},"args":{}}})", quoted(name), pid,
                    track + 1, micros(t0_ps), micros(t1_ps - t0_ps), args_json(args)));
}

void TimelineWriter::counter(const std::string& group, const std::string& name, uint64_t t_ps, double value) {
  if (!file_) throw std::logic_error("TimelineWriter::counter after close()");
  const uint32_t pid = process(group);
  if (!admit(t_ps)) return;
  event(fmt::format(R"({{"name":{},"ph":"C","pid":{},"tid":0,"ts":{},"args":{{"value":{}}}}})", quoted(name), pid,
                    micros(t_ps), number(value)));
}

void TimelineWriter::close() {
  if (!file_) return;
  if (dropped_ > 0) {
    event(fmt::format(R"({{"name":"timeline truncated: {} events dropped after the first {}","ph":"i","s":"g",)"
                      R"("pid":0,"tid":0,"ts":{},"args":{{"max_events":{},"dropped":{}}}}})",
                      dropped_, max_events_, micros(first_dropped_ps_), max_events_, dropped_));
  }
  put(fmt::format("\n],\"displayTimeUnit\":\"ns\",\"otherData\":{{\"max_events\":{},\"events\":{},\"dropped\":{},"
                  "\"truncated\":{}}}}}\n",
                  max_events_, events_, dropped_, dropped_ > 0 ? "true" : "false"));
  const bool closed_ok = std::fclose(file_) == 0;
  file_ = nullptr;
  if (failed_ || !closed_ok) throw std::runtime_error(fmt::format("{}: write error", path_));
  commit_part(path_);
}

}  // namespace memgan::timeline
