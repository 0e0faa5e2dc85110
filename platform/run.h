// One `memgan run`: elaborate the SoC from a config, load the job into DRAM, simulate
// until the controller's program ends (or Ctrl-C), then check the result and write the
// run folder (trace, GTKWave save file, power log, report, resolved config).
#pragma once

#include <ostream>
#include <stdexcept>
#include <string>

#include "core/config/loader.h"

namespace memgan {

// Bad input found while running (e.g. an output folder that cannot be created): exit 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunOptions {
  std::string out_dir;      // created if missing
  std::string version;      // recorded in the report
  bool quiet = false;       // no progress on stderr
  // Training only.
  std::string resume_dir;   // continue from this run folder's checkpoint.bin
  int64_t stop_at_step = 0; // > 0: stop as Ctrl-C would, right after the checkpoint at this step
};

// Exit codes: 0 ok, 1 internal error (result outside its bound), 2 bad input or firmware
// error, 130 interrupted. SystemC elaborates once per process: call at most once.
int run_platform(const config::LoadedConfig& cfg, const RunOptions& options, std::ostream& out, std::ostream& err);

}  // namespace memgan
