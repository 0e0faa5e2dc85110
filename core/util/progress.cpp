#include "core/util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace memgan {

namespace {
using Clock = std::chrono::steady_clock;
}

Progress::Progress(std::string label, bool quiet)
    : label_(std::move(label)),
      quiet_(quiet),
      tty_(::isatty(STDERR_FILENO) == 1),
      start_(Clock::now()),
      last_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(int64_t done, int64_t total) {
  if (quiet_ || finished_ || total <= 0) return;
  const auto now = Clock::now();
  // A terminal redraws ten times a second; a log gets a line every five seconds.
  if (now - last_ < (tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000))) return;
  last_ = now;
  const double frac = double(done) / double(total);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  if (tty_) {
    const int width = 30, filled = static_cast<int>(frac * width);
    std::fprintf(stderr, "\r%s [%.*s%*s] %5.1f%%  ETA %.1f s ", label_.c_str(), filled,
                 "##############################", width - filled, "", 100 * frac, eta);
  } else {
    std::fprintf(stderr, "%s: %.1f%% (%lld/%lld), elapsed %.1f s, ETA %.1f s\n", label_.c_str(), 100 * frac,
                 static_cast<long long>(done), static_cast<long long>(total), elapsed, eta);
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (quiet_ || finished_) return;
  finished_ = true;
  // Only a bar that was drawn needs its line ended.
  if (tty_ && last_ != start_) std::fprintf(stderr, "\n");
}

}  // namespace memgan
