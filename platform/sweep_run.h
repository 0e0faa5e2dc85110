// memgan sweep: the points of a sweep file (core/sweep/sweep_spec.h) run as `memgan run` on
// the simulated platform, each in DIR/points/<id>/ (id: hash of its resolved config, so a
// rerun skips the points it finished), through one of three engines:
//   local     a process pool of --jobs (platform/point_runs.h)
//   parallel  GNU parallel (Debian `parallel`) over DIR/jobs.txt, one command line a point
//   slurm     a Slurm job array (`sbatch --wait --array=0-(n-1)%jobs`, Debian `slurm-wlm`),
//             each task one line of DIR/jobs.txt; merged when all have finished
// Then every point's report.json is merged into DIR/sweep.csv (one column per axis, units in
// the headers), DIR/sweep.json and DIR/report.html (the Pareto front of step time against
// energy per step). A failed point is a row with status failed, its folder and its error.
#pragma once

#include <ostream>
#include <string>

namespace memgan {

struct SweepOptions {
  std::string out_dir;       // "" = traces/<sweep file name>
  int jobs = 2;              // points at once
  std::string engine = "local";
  bool quiet = false;        // no progress lines
};

// Exit code: 0 when every point ran, 2 when a point failed (after merging the rest) or for
// bad input (InputError: the sweep file, a point's config, a missing engine).
int run_sweep(const std::string& sweep_path, const SweepOptions& options, std::ostream& out, std::ostream& err);

}  // namespace memgan
