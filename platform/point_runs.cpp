#include "platform/point_runs.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/config/loader.h"
#include "core/config/schema.h"
#include "platform/run_common.h"

extern char** environ;

namespace memgan {
namespace {

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

std::string point_error(const std::filesystem::path& dir) {
  std::ifstream f(dir / "run.log");
  std::string line, last, error;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    last = line;
    if (line.rfind("error: ", 0) == 0) error = line.substr(7);
  }
  return error.empty() ? last : error;
}

int start_command(const std::vector<std::string>& args, const std::filesystem::path& log, std::string& why) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log_path = log.string();
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    why = fmt::format("cannot start {}: {}", args[0], std::strerror(rc));
    return -1;
  }
  return pid;
}

int wait_command(int pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return exit_code_of(status);
}

std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                             "0123456789_./=:-") == std::string::npos;
  if (plain) return word;
  std::string q = "'";
  for (const char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string point_yaml(const config::Config& cfg) {
  config::Config resolved = cfg;
  for (const config::Field& f : config::schema(resolved)) {
    if (f.kind != config::FieldKind::Path) continue;
    auto& path = *static_cast<std::string*>(f.target);
    if (!path.empty()) path = std::filesystem::absolute(path).lexically_normal().string();
  }
  return config::dump_yaml(resolved, false);
}

std::string point_file_text(const Point& point) {
  return "# memgan point " + point.label + "\n" + point_yaml(point.cfg);
}

void write_point(const Point& point) {
  std::error_code ec;
  std::filesystem::create_directories(point.dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create the point's folder ({})", point.dir.string(), ec.message()));
  run_detail::write_text(point.dir / "point.yaml", point_file_text(point));
}

std::vector<std::string> point_command(const std::filesystem::path& memgan, const std::filesystem::path& dir) {
  return {memgan.string(), "run", (dir / "point.yaml").string(), "--out", dir.string(), "--quiet"};
}

std::filesystem::path self_executable() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw InputError(fmt::format("/proc/self/exe: cannot find this executable ({})", ec.message()));
  return p;
}

std::vector<PointResult> run_points(const std::vector<Point>& points, int jobs, const PointProgress& progress) {
  const std::filesystem::path memgan = self_executable();
  for (const Point& p : points) write_point(p);
  std::vector<PointResult> results(points.size());
  std::map<pid_t, size_t> running;
  size_t next = 0, done = 0, failed = 0;
  const auto finish = [&](size_t i) {
    ++done;
    if (results[i].exit_code != 0) ++failed;
    if (progress) progress(done, failed, points.size(), points[i], results[i]);
  };
  while (done < points.size()) {
    while (next < points.size() && int(running.size()) < std::max(1, jobs)) {
      const size_t i = next++;
      std::string why;
      const pid_t pid = start_command(point_command(memgan, points[i].dir), points[i].dir / "run.log", why);
      if (pid < 0) {
        results[i] = {-1, why};
        finish(i);
      } else {
        running[pid] = i;
      }
    }
    if (running.empty()) continue;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw InputError(fmt::format("waiting for the point runs: {}", std::strerror(errno)));
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const size_t i = it->second;
    running.erase(it);
    PointResult& r = results[i];
    r.exit_code = exit_code_of(status);
    if (r.exit_code != 0) r.error = point_error(points[i].dir);
    finish(i);
  }
  return results;
}

}  // namespace memgan
