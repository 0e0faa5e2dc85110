#include "core/report/power_summary.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/report/report_io.h"

namespace memgan::report {
namespace {

namespace fs = std::filesystem;

const std::string kDefaultRun = std::string(MEMGAN_SOURCE_DIR) + "/tests/report/data/run";

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("memgan_power_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return (path_ / name).string();
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

// Two components over three 1000 ns windows; window 1 is the peak (a: 2 W, b: 1 W).
const char* kCsv =
    "window_start_ns,window_end_ns,a_dyn_W,a_leak_W,tile0.b_dyn_W,tile0.b_leak_W,total_W,cumulative_energy_pJ\n"
    "0,1000,0.5,0.1,0,0.2,0.8,800000\n"
    "1000,2000,1.9,0.1,0.8,0.2,3,3800000\n"
    "2000,2500,0,0.1,0,0.2,0.3,3950000\n";

std::string error_of(const std::string& path) {
  try {
    read_power_csv(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(PowerSummary, SyntheticLogIntegratesEnergyAndFindsThePeak) {
  TempDir dir;
  const PowerLog log = read_power_csv(dir.write("power.csv", kCsv));
  ASSERT_EQ(log.components, (std::vector<std::string>{"a", "tile0.b"}));
  const PowerSummary s = summarize_power(log, 1);
  EXPECT_EQ(s.windows, 3u);
  EXPECT_DOUBLE_EQ(s.duration_ns, 2500);
  // a: dynamic 0.5*1000 + 1.9*1000 ns W = 2400 nJ; leakage 0.1 W * 2500 ns = 250 nJ.
  ASSERT_EQ(s.components[0].name, "a");
  EXPECT_NEAR(s.components[0].dynamic_pj, 2.4e6, 1e-6);
  EXPECT_NEAR(s.components[0].leakage_pj, 2.5e5, 1e-6);
  EXPECT_NEAR(s.components[1].total_pj, 0.8e6 + 0.5e6, 1e-6);
  EXPECT_NEAR(s.total_pj, 3.95e6, 1e-6);  // matches the CSV's cumulative energy
  EXPECT_NEAR(s.average_w, 3.95e6 / 2.5e6, 1e-12);
  EXPECT_NEAR(s.components[0].share + s.components[1].share, 1.0, 1e-12);
  ASSERT_EQ(s.kinds.size(), 2u);
  EXPECT_EQ(s.kinds[1].name, "b");
  EXPECT_EQ(s.peak.index, 1u);
  EXPECT_DOUBLE_EQ(s.peak.start_ns, 1000);
  EXPECT_DOUBLE_EQ(s.peak.total_w, 3);
  ASSERT_EQ(s.peak.top.size(), 1u);
  EXPECT_EQ(s.peak.top[0].name, "a");
  EXPECT_NEAR(s.peak.top[0].share, 2.0 / 3.0, 1e-12);
}

TEST(PowerSummary, MalformedCsvErrorsNameFileAndLine) {
  TempDir dir;
  const std::string header =
      "window_start_ns,window_end_ns,a_dyn_W,a_leak_W,total_W,cumulative_energy_pJ\n";
  const auto path = dir.write("p.csv", header + "0,1000,1,0,1,1000000\n0,2000,1,x,1,2\n");
  EXPECT_EQ(error_of(path), path + ":3: column 4 (a_leak_W): 'x' is not a finite number");
  EXPECT_EQ(error_of(dir.write("p.csv", header + "0,1000,1,0,1\n")), path + ":2: 5 fields, the header has 6");
  EXPECT_EQ(error_of(dir.write("p.csv", header + "\n1000,1000,1,0,1,0\n")),
            path + ":3: window ends at 1000 ns, not after its start 1000 ns");
  EXPECT_EQ(error_of(dir.write("p.csv", header + "0,1000,1,0,1,1\n500,1000,1,0,1,1\n")),
            path + ":3: window starts at 500 ns, before the previous one ends (1000 ns)");
  EXPECT_EQ(error_of(dir.write("p.csv", header)), path + ": no power windows after the header");
  EXPECT_EQ(error_of(dir.write("p.csv", "")), path + ": empty file, expected a header row");
  EXPECT_NE(error_of(dir.write("p.csv", "window_start_ns,window_end_ns,a_dyn_W,b_leak_W,total_W,cumulative_energy_pJ\n"))
                .find(path + ":1: bad header: columns 3 and 4 are not a"),
            std::string::npos);
  EXPECT_NE(error_of(dir.write("p.csv", "t,window_end_ns,total_W,cumulative_energy_pJ\n")).find(":1: bad header"),
            std::string::npos);
  EXPECT_EQ(error_of(dir.str() + "/none.csv"), dir.str() + "/none.csv: cannot open");
  // CRLF line ends are fine.
  EXPECT_EQ(read_power_csv(dir.write("p.csv", "window_start_ns,window_end_ns,total_W,cumulative_energy_pJ\r\n0,1,2,2000\r\n"))
                .total_w.at(0),
            2);
}

// The default run's CSV adds up to the energy its report.json states, per component.
TEST(PowerSummary, DefaultRunMatchesReportJson) {
  const PowerSummary s = summarize_power(read_power_csv(kDefaultRun + "/power.csv"));
  const nlohmann::json report = read_json(kDefaultRun + "/report.json");
  const auto& comps = report["energy"]["components"];
  ASSERT_EQ(s.components.size(), comps.size());
  for (const auto& c : s.components) {
    const double expected = comps.at(c.name)["total_pJ"].get<double>();
    EXPECT_NEAR(c.total_pj, expected, 1e-9 * report["energy"]["totals"]["total_pJ"].get<double>()) << c.name;
  }
  EXPECT_NEAR(s.total_pj, report["energy"]["totals"]["total_pJ"].get<double>(), 1e-3);
  EXPECT_NEAR(s.average_w, report["energy"]["totals"]["average_power_W"].get<double>(), 1e-9);
  EXPECT_EQ(s.components[0].name, "tile0.xbar0.writes");  // programming dominates this job
  double peak = 0;
  const PowerLog log = read_power_csv(kDefaultRun + "/power.csv");
  for (double w : log.total_w) peak = std::max(peak, w);
  EXPECT_DOUBLE_EQ(s.peak.total_w, peak);
}

TEST(PowerSummary, PowerCommandPrintsTablesAndPeak) {
  std::ostringstream out;
  EXPECT_EQ(power_command(kDefaultRun, out), 0);
  const std::string text = out.str();
  for (const char* part : {"run       configs/default.yaml (completed", "energy    4.951 uJ", "average   58.89 mW",
                           "tile0.xbar0.writes", "TOTAL", "by kind of block", "peak      "}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  }
  EXPECT_EQ(text.find("warning"), std::string::npos) << text;
}

TEST(PowerSummary, PowerCommandErrors) {
  TempDir dir;
  std::ostringstream out;
  EXPECT_THROW(power_command(dir.str() + "/nope", out), std::runtime_error);
  try {
    power_command(dir.str(), out);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), dir.str() + "/power.csv: missing (is " + dir.str() + " a run folder?)");
  }
  dir.write("power.csv", kCsv);
  dir.write("report.json", "{\"config_file\": ");
  try {
    power_command(dir.str(), out);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.str() + "/report.json: not valid JSON"), std::string::npos);
  }
  // A report from another run: the totals disagree, which the command says.
  dir.write("report.json", R"({"config_file":"x.yaml","outcome":"completed","memgan_version":"0",
                              "energy":{"totals":{"total_pJ":1.0}}})");
  std::ostringstream warned;
  EXPECT_EQ(power_command(dir.str(), warned), 0);
  EXPECT_NE(warned.str().find("warning   report.json says"), std::string::npos);
}

}  // namespace
}  // namespace memgan::report
