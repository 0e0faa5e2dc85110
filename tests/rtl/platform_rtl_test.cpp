// The whole platform with an RTL block swapped in (arch.rtl.shift_add=rtl, arch.rtl.cmd_decoder=rtl)
// against the pure TLM run of the same workload: byte-identical results in DRAM (results.bin),
// identical result checks, no RTL/model mismatch, and the RTL's waveform in rtl.vcd under the
// block's scope.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kBinary = std::string(MEMGAN_BINARY_DIR) + "/memgan";
const std::string kDefault = std::string(MEMGAN_SOURCE_DIR) + "/configs/mvm.yaml";

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class PlatformRtl : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("memgan_rtl_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  int run(const std::string& out, const std::vector<std::string>& sets) {
    std::string cmd = kBinary + " run " + kDefault + " --out " + (dir_ / out).string();
    for (const auto& s : sets) cmd += " --set " + s;
    cmd += " >" + (dir_ / (out + ".log")).string() + " 2>&1";
    return std::system(cmd.c_str());
  }
  // Runs TLM and RTL (the block `rtl` swapped in) with the same overrides and compares them.
  void compare(std::vector<std::string> sets, const std::string& rtl = "arch.rtl.shift_add=rtl") {
    ASSERT_EQ(run("tlm", sets), 0) << slurp(dir_ / "tlm.log");
    sets.push_back(rtl);
    ASSERT_EQ(run("rtl", sets), 0) << slurp(dir_ / "rtl.log");
    const json a = json::parse(slurp(dir_ / "tlm" / "report.json"));
    const json b = json::parse(slurp(dir_ / "rtl" / "report.json"));
    EXPECT_EQ(a["outcome"], "completed");
    EXPECT_EQ(b["outcome"], "completed");
    EXPECT_EQ(a["result_check"], b["result_check"]);
    EXPECT_TRUE(b["result_check"]["checked"].get<bool>());
    EXPECT_EQ(b["counts"]["rtl_mismatches"], 0);
    EXPECT_EQ(a["counts"]["adc_conversions"], b["counts"]["adc_conversions"]);
    const std::string ya = slurp(dir_ / "tlm" / "results.bin"), yb = slurp(dir_ / "rtl" / "results.bin");
    const int batch = b["job"]["batch"].get<int>(), cols = b["job"]["cols"].get<int>();
    EXPECT_EQ(yb.size(), std::size_t(batch) * cols * 4);
    EXPECT_EQ(ya, yb) << "the RTL run's DRAM results differ from the TLM run's";
    EXPECT_NE(yb, std::string(yb.size(), '\0'));
    EXPECT_FALSE(fs::exists(dir_ / "tlm" / "rtl.vcd"));
  }
  fs::path dir_;
};

TEST_F(PlatformRtl, DefaultConfigGivesIdenticalResultsAndAnRtlWaveform) {
  compare({"job.batch=16"});
  const std::string vcd = slurp(dir_ / "rtl" / "rtl.vcd");
  EXPECT_NE(vcd.find("$scope module soc.tile0.shift_add0.rtl $end"), std::string::npos);
  for (const char* sig : {" acc ", " term ", " shamt ", " in_code ", " out_sum ", " clk "})
    EXPECT_NE(vcd.find(sig), std::string::npos) << sig;
  const json b = json::parse(slurp(dir_ / "rtl" / "report.json"));
  bool listed = false;
  for (const auto& f : b["outputs"]) listed |= f == "rtl.vcd";
  EXPECT_TRUE(listed);
  if (fs::exists("/usr/bin/vcd2fst")) {
    const std::string cmd = "/usr/bin/vcd2fst " + (dir_ / "rtl" / "rtl.vcd").string() + " " +
                            (dir_ / "rtl.fst").string() + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
}

TEST_F(PlatformRtl, OffsetEncodingTwoBitDacAndTwoArraysGiveIdenticalResults) {
  compare({"job.batch=8", "arch.weight_encoding=offset", "arch.dac_bits=2", "arch.arrays_per_tile=2",
           "job.array=1", "job.rows=100", "job.cols=10", "arch.adc.full_scale=auto"});
  // Two RTL instances: one waveform each, named by scope.
  EXPECT_TRUE(fs::exists(dir_ / "rtl" / "rtl_soc_tile0_shift_add1.vcd"));
}

TEST_F(PlatformRtl, RtlCommandDecoderGivesIdenticalResults) {
  compare({"job.batch=16"}, "arch.rtl.cmd_decoder=rtl");
  const std::string vcd = slurp(dir_ / "rtl" / "rtl.vcd");
  EXPECT_NE(vcd.find("$scope module soc.controller.cmd_decoder.rtl $end"), std::string::npos);
  for (const char* sig : {" in_op ", " out_error ", " out_op ", " clk "})
    EXPECT_NE(vcd.find(sig), std::string::npos) << sig;
  // The decode's clocks come before the first command and shift the whole run: one per
  // command, one idle, one reset, at mvm.yaml's 1 GHz.
  const json a = json::parse(slurp(dir_ / "tlm" / "report.json"));
  const json b = json::parse(slurp(dir_ / "rtl" / "report.json"));
  const double commands = double(slurp(dir_ / "rtl" / "program.bin").size() - 16) / 16;
  EXPECT_NEAR(b["simulated_time_ns"].get<double>() - a["simulated_time_ns"].get<double>(), commands + 2, 1e-6);
  EXPECT_EQ(a["counts"]["commands"], b["counts"]["commands"]);
}

}  // namespace
