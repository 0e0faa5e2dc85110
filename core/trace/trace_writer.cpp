#include "core/trace/trace_writer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace memgan::trace {

namespace {

bool valid_part_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

void check_name(const std::string& name) {
  bool part_empty = true;
  for (char c : name) {
    if (c == '.') {
      if (part_empty) break;
      part_empty = true;
    } else if (valid_part_char(c)) {
      part_empty = false;
    } else {
      throw std::invalid_argument("trace signal name '" + name +
                                  "': parts must be [A-Za-z0-9_]+ separated by '.'");
    }
  }
  if (part_empty) throw std::invalid_argument("trace signal name '" + name + "' has an empty part");
}

struct Scope {
  std::string name;
  std::vector<SignalId> vars;
  std::vector<std::unique_ptr<Scope>> children;

  Scope& child(const std::string& child_name) {
    for (auto& c : children) {
      if (c->name == child_name) return *c;
    }
    children.push_back(std::make_unique<Scope>());
    children.back()->name = child_name;
    return *children.back();
  }
};

}  // namespace

void TraceWriter::walk_hierarchy(const std::vector<SignalInfo>& signals,
                                 const std::function<void(const std::string& scope)>& enter,
                                 const std::function<void(SignalId id, const std::string& leaf)>& var,
                                 const std::function<void()>& leave) {
  Scope root;
  for (SignalId id = 0; id < signals.size(); ++id) {
    const std::string& name = signals[id].name;
    Scope* scope = &root;
    size_t start = 0;
    for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', start)) {
      scope = &scope->child(name.substr(start, dot - start));
      start = dot + 1;
    }
    scope->vars.push_back(id);
  }
  auto visit = [&](const Scope& scope, auto& self) -> void {
    for (SignalId id : scope.vars) {
      const std::string& name = signals[id].name;
      var(id, name.substr(name.rfind('.') + 1));  // npos + 1 == 0: a top-level name
    }
    for (const auto& child : scope.children) {
      enter(child->name);
      self(*child, self);
      leave();
    }
  };
  visit(root, visit);
}

SignalId TraceWriter::declare(SignalInfo info) {
  if (begun_) throw std::logic_error("trace signal '" + info.name + "' declared after begin()");
  check_name(info.name);
  // A name may not repeat, nor be a scope of another ("a.b" vs "a.b.c"): VCD viewers
  // cannot show a scope and a variable of the same name.
  const std::string& name = info.name;
  bool clash = names_.count(name) != 0;
  for (size_t dot = name.find('.'); !clash && dot != std::string::npos; dot = name.find('.', dot + 1)) {
    clash = names_.count(name.substr(0, dot)) != 0;
  }
  const auto below = names_.lower_bound(name + '.');
  clash = clash || (below != names_.end() && below->compare(0, name.size() + 1, name + '.') == 0);
  if (clash) throw std::invalid_argument("trace signal '" + name + "' clashes with another signal");
  names_.insert(name);
  signals_.push_back(std::move(info));
  value_.push_back(0);
  written_.push_back(0);
  touched_step_.push_back(0);
  return static_cast<SignalId>(signals_.size() - 1);
}

SignalId TraceWriter::add_int(const std::string& hier_name, int width) {
  if (width < 1 || width > 64) {
    throw std::invalid_argument("trace signal '" + hier_name + "': width must be 1..64");
  }
  SignalInfo info;
  info.name = hier_name;
  info.width = width;
  return declare(std::move(info));
}

SignalId TraceWriter::add_enum(const std::string& hier_name, int width, std::shared_ptr<const EnumLabels> labels) {
  if (width < 2 || width > 64) throw std::invalid_argument("trace signal '" + hier_name + "': width must be 2..64");
  if (!labels || labels->name.empty()) throw std::invalid_argument("trace signal '" + hier_name + "': no enum labels");
  for (const auto& [value, label] : labels->values) {
    const bool fits = width == 64 || value < (uint64_t{1} << width);
    const bool word = !label.empty() && std::all_of(label.begin(), label.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    if (!fits || !word)
      throw std::invalid_argument("trace signal '" + hier_name + "': enum label '" + label + "' for " +
                                  std::to_string(value) + (fits ? " is not [A-Za-z0-9_]+" : " does not fit the width"));
  }
  SignalInfo info;
  info.name = hier_name;
  info.width = width;
  info.labels = std::move(labels);
  return declare(std::move(info));
}

SignalId TraceWriter::add_real(const std::string& hier_name, double unit) {
  if (!(unit > 0) || !std::isfinite(unit)) {
    throw std::invalid_argument("trace signal '" + hier_name + "': unit must be finite and > 0");
  }
  SignalInfo info;
  info.name = hier_name;
  info.kind = SignalKind::kReal;
  info.width = 64;
  info.unit = unit;
  return declare(std::move(info));
}

void TraceWriter::begin() {
  if (begun_) return;
  begun_ = true;
  on_begin(signals_);
}

void TraceWriter::push(SignalId id, uint64_t t_ps, int64_t value, bool is_delta) {
  if (!begun_ || closed_) throw std::logic_error("trace change outside begin()..close()");
  if (id >= signals_.size()) throw std::out_of_range("unknown trace signal id");
  if (t_ps < horizon_) {
    t_ps = horizon_;
    ++late_changes_;
  }
  max_time_ = std::max(max_time_, t_ps);
  pending_.push_back({t_ps, value, id, is_delta});
}

void TraceWriter::set(SignalId id, uint64_t t_ps, int64_t value) { push(id, t_ps, value, false); }

void TraceWriter::add(SignalId id, uint64_t t_ps, int64_t delta) { push(id, t_ps, delta, true); }

uint64_t TraceWriter::shown(SignalId id) const {
  const SignalInfo& s = signals_[id];
  const int64_t v = value_[id];
  if (s.kind == SignalKind::kReal) return static_cast<uint64_t>(v);
  if (s.width == 1) return v > 0 ? 1 : 0;
  const auto bits = static_cast<uint64_t>(v);
  return s.width == 64 ? bits : bits & ((uint64_t{1} << s.width) - 1);
}

void TraceWriter::set_window(uint64_t start_ps, uint64_t stop_ps) {
  if (begun_) throw std::logic_error("trace window set after begin()");
  if (stop_ps <= start_ps) throw std::invalid_argument("trace window: stop must be after start");
  window_start_ = start_ps;
  window_stop_ = stop_ps;
  window_open_ = start_ps == 0;
}

void TraceWriter::hold_window() {
  if (begun_) throw std::logic_error("trace window held after begin()");
  held_min_start_ = window_start_;  // a set_window() start still applies
  window_start_ = UINT64_MAX;
  window_open_ = false;
}

void TraceWriter::open_window_at(uint64_t t_ps) {
  if (window_open_ || window_start_ != UINT64_MAX) return;
  window_start_ = std::max({t_ps, horizon_, held_min_start_});
  if (window_start_ >= window_stop_) window_start_ = window_stop_;  // opens and closes at once: empty
}

void TraceWriter::close_window_at(uint64_t t_ps) {
  const uint64_t t = std::max(t_ps, horizon_);
  if (t >= window_stop_) return;
  window_stop_ = std::max(t, window_start_ == UINT64_MAX ? t : window_start_);
}

void TraceWriter::set_max_bytes(uint64_t max_bytes) { max_bytes_ = max_bytes; }

// The values integrated so far, as one step at the window start.
void TraceWriter::open_window() {
  window_open_ = true;
  ++step_;
  touched_.clear();
  for (SignalId id = 0; id < signals_.size(); ++id) {
    touched_step_[id] = step_;
    touched_.push_back(id);
  }
  emit_step(window_start_);
}

void TraceWriter::emit_step(uint64_t t_ps) {
  if (max_bytes_ > 0 && size_stop_ps_ == UINT64_MAX && t_ps < window_stop_ && bytes_written() >= max_bytes_) {
    size_stop_ps_ = window_stop_ = t_ps;
  }
  if (t_ps < window_start_ || t_ps >= window_stop_) {
    touched_.clear();  // integrated into value_, not written
    return;
  }
  // Signal order, not arrival order, so output does not depend on which initiator ran first.
  std::sort(touched_.begin(), touched_.end());
  for (SignalId id : touched_) {
    const uint64_t now = shown(id);
    if (now == written_[id]) continue;
    if (t_ps != last_time_) {
      on_time(t_ps);
      last_time_ = t_ps;
    }
    written_[id] = now;
    if (signals_[id].kind == SignalKind::kReal) {
      // 0 units times any unit is exactly 0.0: an idle signal shows exactly 0.
      on_real(id, static_cast<double>(value_[id]) * signals_[id].unit);
    } else {
      on_int(id, now);
    }
  }
  touched_.clear();
}

void TraceWriter::write_until(uint64_t t_ps, bool everything) {
  const auto end = everything ? pending_.end()
                              : std::stable_partition(pending_.begin(), pending_.end(),
                                                      [t_ps](const Change& c) { return c.t_ps < t_ps; });
  std::stable_sort(pending_.begin(), end,
                   [](const Change& a, const Change& b) { return a.t_ps < b.t_ps; });
  for (auto it = pending_.begin(); it != end;) {
    const uint64_t t = it->t_ps;
    // Values at the window start are those before this step's changes.
    if (!window_open_ && t >= window_start_) open_window();
    ++step_;
    for (; it != end && it->t_ps == t; ++it) {
      // Wrapping add: a runaway counter must not be undefined behaviour.
      value_[it->id] = it->is_delta ? static_cast<int64_t>(static_cast<uint64_t>(value_[it->id]) +
                                                           static_cast<uint64_t>(it->value))
                                    : it->value;
      if (touched_step_[it->id] != step_) {
        touched_step_[it->id] = step_;
        touched_.push_back(it->id);
      }
    }
    emit_step(t);
  }
  pending_.erase(pending_.begin(), end);
}

void TraceWriter::flush_before(uint64_t t_ps) {
  if (!begun_ || closed_) throw std::logic_error("trace flush outside begin()..close()");
  if (t_ps <= horizon_) return;
  write_until(t_ps, false);
  horizon_ = t_ps;
  // Global time passed the window start with no change there: the values still show then.
  if (!window_open_ && horizon_ > window_start_) open_window();
}

void TraceWriter::close() {
  if (closed_) return;
  begin();
  closed_ = true;  // first: a failing back end must not be re-entered by the destructor
  write_until(0, true);
  if (!window_open_ && std::max(max_time_, horizon_) >= window_start_) open_window();
  const uint64_t end = std::min(std::max(max_time_, horizon_), window_stop_);
  if (end > last_time_) {
    on_time(end);
    last_time_ = end;
  }
  on_close();
}

void TraceWriter::close_noexcept() noexcept {
  try {
    close();
  } catch (...) {
    // Destructors cannot report; callers that care call close() themselves.
  }
}

}  // namespace memgan::trace
