// Progress of a long command: a bar with ETA redrawn in place on a terminal, a plain line
// every few seconds otherwise (logs, CI), nothing with --quiet. Writes to stderr, so stdout
// keeps only the results.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace memgan {

class Progress {
 public:
  explicit Progress(std::string label, bool quiet);
  ~Progress();
  void update(int64_t done, int64_t total);
  void finish();

 private:
  std::string label_;
  bool quiet_, tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace memgan
