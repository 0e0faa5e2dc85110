// memgan sweep end to end: configs/sweeps/small.yaml through the local process pool, GNU
// parallel and a one-node Slurm cluster (scripts/slurm-local.sh) give the same results; a
// rerun skips finished points; a failing point is a row with its folder and error; the merged
// table has a column per axis, units in its headers and a correct Pareto front.
#include <cmath>
#include <cstdlib>
#include <map>

#include "tests/e2e/cli_harness.h"

namespace {

using namespace memgan::testing;

const std::string kSmall = std::string(MEMGAN_SOURCE_DIR) + "/configs/sweeps/small.yaml";

struct Csv {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
};

// The sweep's CSV has no quoted fields unless an error holds a comma; split plainly otherwise.
Csv read_csv(const fs::path& p) {
  Csv c;
  std::istringstream in(slurp(p));
  std::string line;
  const auto split = [](const std::string& l) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (const char ch : l) {
      if (ch == '"') quoted = !quoted;
      else if (ch == ',' && !quoted) cells.push_back(cell), cell.clear();
      else cell += ch;
    }
    cells.push_back(cell);
    return cells;
  };
  std::getline(in, line);
  c.header = split(line);
  while (std::getline(in, line)) {
    const auto cells = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < cells.size() && i < c.header.size(); ++i) row[c.header[i]] = cells[i];
    c.rows.push_back(row);
  }
  return c;
}

class Sweep : public Cli {};

TEST_F(Sweep, LocalPoolRunsEveryPointAndARerunSkipsThem) {
  const auto r = run({"sweep", kSmall, "--out", (dir_ / "sw").string(), "--jobs", "2"}, "sw");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const Csv csv = read_csv(dir_ / "sw" / "sweep.csv");
  for (const char* col : {"point", "status", "pareto", "network.dataflow", "arch.bus.width_bytes", "step_time_ns",
                          "energy_per_step_pJ", "compute_ns", "movement_ns", "stall_ns", "bottleneck", "folder", "error"})
    EXPECT_NE(std::find(csv.header.begin(), csv.header.end(), col), csv.header.end()) << col;
  ASSERT_EQ(csv.rows.size(), 4u);
  std::map<std::string, double> step;
  for (const auto& row : csv.rows) {
    EXPECT_EQ(row.at("status"), "ok");
    step[row.at("network.dataflow") + "/" + row.at("arch.bus.width_bytes")] = std::stod(row.at("step_time_ns"));
    // The row is the point's own run: its report.json says so.
    const json rep = json::parse(slurp(dir_ / "sw" / row.at("folder") / "report.json"));
    EXPECT_EQ(rep["training"]["dataflow"], row.at("network.dataflow"));
    EXPECT_EQ(rep["training"]["time_per_step_ns"].get<double>(), std::stod(row.at("step_time_ns")));
    EXPECT_EQ(row.at("point").size(), 16u);
    EXPECT_EQ(row.at("folder"), "points/" + row.at("point"));
  }
  // A narrower bus is slower for each dataflow (the platform, not a formula, answers).
  EXPECT_GT(step["zero_free/4"], step["zero_free/16"]);
  EXPECT_GT(step["pixel_wise/4"], step["pixel_wise/16"]);
  // The front: exactly the points no other point beats on both step time and energy.
  const json sj = json::parse(slurp(dir_ / "sw" / "sweep.json"));
  ASSERT_EQ(sj["points"].size(), 4u);
  for (const auto& p : sj["points"]) {
    bool beaten = false;
    const double t = p["results"]["step_time_ns"].get<double>(), e = p["results"]["energy_per_step_pJ"].get<double>();
    for (const auto& q : sj["points"]) {
      const double tq = q["results"]["step_time_ns"].get<double>(), eq = q["results"]["energy_per_step_pJ"].get<double>();
      beaten = beaten || (tq <= t && eq <= e && (tq < t || eq < e));
    }
    EXPECT_EQ(p["pareto"].get<bool>(), !beaten) << p.dump();
  }
  const std::string html = slurp(dir_ / "sw" / "report.html");
  EXPECT_NE(html.find("Pareto front"), std::string::npos);
  EXPECT_NE(html.find("<circle"), std::string::npos);
  EXPECT_NE(r.err.find("sweep: 4/4 done, 0 failed, 0 remaining"), std::string::npos) << r.err;

  const auto again = run({"sweep", kSmall, "--out", (dir_ / "sw").string()}, "again");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("4 finished earlier, 0 to run"), std::string::npos) << again.err;
  const Csv csv2 = read_csv(dir_ / "sw" / "sweep.csv");
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(csv2.rows[i].at("step_time_ns"), csv.rows[i].at("step_time_ns"));
}

TEST_F(Sweep, AFailingPointIsARowWithItsFolderAndError) {
  const fs::path file = dir_ / "fail.yaml";
  std::ofstream(file) << "base: " << kTrain << "\nset:\n  train.mode: timing\n  train.steps: 1\n"
                      << "  simulation.trace.enabled: false\ncross:\n  arch.tiles: [1, 8]\n";
  const auto r = run({"sweep", file.string(), "--out", (dir_ / "sw").string(), "--quiet"}, "fail");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const Csv csv = read_csv(dir_ / "sw" / "sweep.csv");
  ASSERT_EQ(csv.rows.size(), 2u);
  EXPECT_EQ(csv.rows[0].at("status"), "failed");
  EXPECT_NE(csv.rows[0].at("error").find("needs 88 arrays"), std::string::npos) << csv.rows[0].at("error");
  EXPECT_TRUE(fs::exists(dir_ / "sw" / csv.rows[0].at("folder") / "run.log"));
  EXPECT_EQ(csv.rows[1].at("status"), "ok");
  EXPECT_NE(r.out.find("failed (points/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 ok, 1 failed"), std::string::npos) << r.out;

  // Bad sweep files and point configs are exit 2 naming where, before anything runs.
  std::ofstream(dir_ / "typo.yaml") << "base: " << kTrain << "\ncross:\n  arch.tile: [1, 2]\n";
  const auto typo = run({"sweep", (dir_ / "typo.yaml").string(), "--out", (dir_ / "t").string()}, "typo");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("typo.yaml:3:3: cross: 'arch.tile' is not a config key (did you mean 'arch.tiles'?)"),
            std::string::npos)
      << typo.err;
  std::ofstream(dir_ / "range.yaml") << "base: " << kTrain << "\ncross:\n  arch.tiles: [8, 99]\n";
  const auto range = run({"sweep", (dir_ / "range.yaml").string(), "--out", (dir_ / "g").string()}, "range");
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_NE(range.err.find("range.yaml:3:19: point arch.tiles=99:"), std::string::npos) << range.err;
  EXPECT_FALSE(fs::exists(dir_ / "g" / "points")) << "nothing runs";
}

// The same points through GNU parallel and a Slurm job array: the same simulated results.
TEST_F(Sweep, ParallelAndSlurmEnginesGiveTheLocalResults) {
  const auto local = run({"sweep", kSmall, "--out", (dir_ / "local").string(), "--quiet"}, "local");
  ASSERT_EQ(local.exit_code, 0) << local.err;
  const Csv want = read_csv(dir_ / "local" / "sweep.csv");
  const auto same_results = [&](const std::string& out) {
    const Csv got = read_csv(dir_ / out / "sweep.csv");
    ASSERT_EQ(got.rows.size(), want.rows.size());
    for (size_t i = 0; i < want.rows.size(); ++i)
      for (const char* col : {"point", "status", "step_time_ns", "energy_per_step_pJ", "stall_ns"})
        EXPECT_EQ(got.rows[i].at(col), want.rows[i].at(col)) << out << " row " << i << " " << col;
  };
  const auto par = run({"sweep", kSmall, "--out", (dir_ / "par").string(), "--engine", "parallel", "--quiet"}, "par");
  ASSERT_EQ(par.exit_code, 0) << par.err << par.out;
  same_results("par");
  EXPECT_TRUE(fs::exists(dir_ / "par" / "parallel.joblog"));

  // A one-node cluster on this machine (slurmctld + slurmd + munged, scripts/slurm-local.sh);
  // it needs root, as CI runs.
  if (geteuid() != 0) GTEST_SKIP() << "the local Slurm cluster needs root (CI runs as root)";
  // Without a cluster (an empty slurm.conf: sbatch gives up at once), every point is a row
  // saying so, exit 2.
  std::ofstream(dir_ / "empty.conf").close();
  setenv("SLURM_CONF", (dir_ / "empty.conf").c_str(), 1);
  const auto none = run({"sweep", kSmall, "--out", (dir_ / "none").string(), "--engine", "slurm", "--quiet"}, "none");
  unsetenv("SLURM_CONF");
  EXPECT_EQ(none.exit_code, 2) << none.err;
  const Csv failed = read_csv(dir_ / "none" / "sweep.csv");
  ASSERT_EQ(failed.rows.size(), 4u);
  EXPECT_EQ(failed.rows[0].at("status"), "failed");
  EXPECT_NE(failed.rows[0].at("error").find("not run: sbatch exit"), std::string::npos) << failed.rows[0].at("error");

  const std::string state = "/tmp/memgan-slurm-" + std::to_string(getpid());
  const std::string script = std::string(MEMGAN_SOURCE_DIR) + "/scripts/slurm-local.sh";
  ASSERT_EQ(std::system((script + " start " + state + " > " + (dir_ / "slurm.env").string() + " 2> " +
                         (dir_ / "slurm.err").string())
                            .c_str()),
            0)
      << slurp(dir_ / "slurm.err");
  setenv("SLURM_CONF", (state + "/slurm.conf").c_str(), 1);
  const auto sl = run({"sweep", kSmall, "--out", (dir_ / "sl").string(), "--engine", "slurm", "--jobs", "2"}, "sl");
  std::system((script + " stop " + state + " > /dev/null 2>&1").c_str());
  unsetenv("SLURM_CONF");
  ASSERT_EQ(sl.exit_code, 0) << sl.err << sl.out;
  same_results("sl");
  EXPECT_TRUE(fs::exists(dir_ / "sl" / "slurm" / "task_3.out"));
  EXPECT_NE(sl.err.find("as a Slurm job array"), std::string::npos) << sl.err;
  fs::remove_all(state);
}

}  // namespace
