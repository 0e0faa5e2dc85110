// Runs of resolved configs as separate `memgan run` processes, each in its own folder: the
// per-dataflow training steps of `memgan compare` and the points of `memgan sweep` are runs of
// the same simulated platform a user starts by hand (SystemC elaborates once per process, so
// one platform per process). A point's folder holds point.yaml (its resolved config, every
// path absolute, runnable as `memgan run point.yaml`), run.log (the child's output) and the
// run's outputs.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace memgan {

struct Point {
  std::string label;  // for progress lines and errors
  config::Config cfg;
  std::filesystem::path dir;
};

struct PointResult {
  int exit_code = -1;  // of `memgan run`; -1: it could not be started, 128 + n: killed by signal n
  std::string error;   // the log's last error line (or the start failure), "" on success
};

// The resolved config as YAML that runs from anywhere: file paths made absolute.
std::string point_yaml(const config::Config& cfg);
// Creates the point's folder with its point.yaml (the label as a comment, then point_yaml).
// Throws InputError when it cannot.
void write_point(const Point& point);
std::string point_file_text(const Point& point);  // what write_point writes
// The `memgan run` command line of a point (argv, the executable first).
std::vector<std::string> point_command(const std::filesystem::path& memgan, const std::filesystem::path& dir);
// This executable (/proc/self/exe).
std::filesystem::path self_executable();
// The last "error: ..." line of a point's run.log, else its last line ("" without a log).
std::string point_error(const std::filesystem::path& dir);
// Starts argv (argv[0] looked up on PATH unless it has a slash) with stdout and stderr into
// `log`; its pid, or -1 and `why` when it cannot start.
int start_command(const std::vector<std::string>& argv, const std::filesystem::path& log, std::string& why);
// Waits for a started command: its exit code, 128 + n when killed by signal n.
int wait_command(int pid);
// A word for sh: single-quoted when it holds anything but [A-Za-z0-9_./=:-].
std::string shell_quote(const std::string& word);

// Writes each point's point.yaml and runs them, at most `jobs` at once; `progress` after each
// finishes (done counts the failed). Throws InputError when a folder cannot be written.
using PointProgress = std::function<void(size_t done, size_t failed, size_t total, const Point&, const PointResult&)>;
std::vector<PointResult> run_points(const std::vector<Point>& points, int jobs, const PointProgress& progress = {});

}  // namespace memgan
