// The harness of the command-line tests: runs the memgan binary in a fresh folder per test,
// with stdout and stderr captured. Shared by tests/e2e/*_test.cpp.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace memgan::testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline const std::string kBinary = std::string(MEMGAN_BINARY_DIR) + "/memgan";
// The single-MVM foundation job (the default config trains a GAN; see the Training tests).
inline const std::string kDefault = std::string(MEMGAN_SOURCE_DIR) + "/configs/mvm.yaml";
inline const std::string kTrain = std::string(MEMGAN_SOURCE_DIR) + "/configs/default.yaml";

struct Result {
  int exit_code = -1;
  std::string out, err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("memgan_cli_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Starts a process with stdout/stderr to files; returns its pid.
  pid_t spawn(const std::vector<std::string>& args, const std::string& tag) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, (dir_ / (tag + ".out")).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, (dir_ / (tag + ".err")).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0) << argv[0];
    posix_spawn_file_actions_destroy(&fa);
    return pid;
  }
  Result finish(pid_t pid, const std::string& tag) {
    int status = 0;
    waitpid(pid, &status, 0);
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(dir_ / (tag + ".out"));
    r.err = slurp(dir_ / (tag + ".err"));
    return r;
  }
  Result run(std::vector<std::string> args, const std::string& tag = "cmd") {
    args.insert(args.begin(), kBinary);
    return finish(spawn(args, tag), tag);
  }
  Result run_default(const std::string& out, std::vector<std::string> sets = {}) {
    std::vector<std::string> args = {"run", kDefault, "--out", (dir_ / out).string()};
    for (const auto& s : sets) {
      args.push_back("--set");
      args.push_back(s);
    }
    return run(args, out);
  }
  json report(const std::string& out) { return json::parse(slurp(dir_ / out / "report.json")); }

  fs::path dir_;
};

}  // namespace memgan::testing
