// The whole platform with RTL blocks swapped in (arch.rtl.shift_add, cmd_decoder, red_addr_gen
// = rtl) against the pure TLM run of the same workload: byte-identical results (results.bin for
// the MVM job; train.csv, checkpoint and power log for training), no RTL/model mismatch, and the
// RTL's own signals in the run's trace (VCD and FST) under the block's scope.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/tiny_fashion.h"

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

// Every variable of a VCD by its full dotted name (scopes joined), as GTKWave shows them.
std::vector<std::string> vcd_names(const std::string& vcd) {
  std::istringstream in(vcd);
  std::vector<std::string> scope, names;
  for (std::string word; in >> word;) {
    if (word == "$scope") {
      std::string kind, name;
      in >> kind >> name;
      scope.push_back(name);
    } else if (word == "$upscope") {
      scope.pop_back();
    } else if (word == "$var") {
      std::string type, width, code, name;
      in >> type >> width >> code >> name;
      std::string full;
      for (const auto& s : scope) full += s + ".";
      names.push_back(full + name);
    } else if (word == "$enddefinitions") {
      break;
    }
  }
  return names;
}

bool declares(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The signals a GTKWave save file shows (without their bit ranges).
std::vector<std::string> gtkw_signals(const fs::path& path) {
  std::istringstream in(slurp(path));
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '@' || line[0] == '-' || line[0] == '[') continue;
    names.push_back(line.substr(0, line.find('[')));
  }
  return names;
}

// Every signal of a shipped save file (traces/*.gtkw) is in the trace of the run it is for.
void expect_shows(const fs::path& gtkw, const std::vector<std::string>& trace_names) {
  const std::vector<std::string> wanted = gtkw_signals(gtkw);
  EXPECT_GT(wanted.size(), 10u) << gtkw;
  for (const auto& name : wanted) EXPECT_TRUE(declares(trace_names, name)) << gtkw << ": " << name;
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
    EXPECT_EQ(b["trace"]["late_changes"], 0);
  }
  fs::path dir_;
};

TEST_F(PlatformRtl, DefaultConfigGivesIdenticalResultsAndTheRtlSignalsInTheTrace) {
  compare({"job.batch=16"});
  const std::vector<std::string> names = vcd_names(slurp(dir_ / "rtl" / "trace.vcd"));
  for (const char* sig : {"acc", "term", "shamt", "in_code", "out_sum", "clk"})
    EXPECT_TRUE(declares(names, std::string("soc.tile0.shift_add0.rtl.") + sig)) << sig;
  EXPECT_TRUE(declares(names, "soc.tile0.xbar0.adc.busy"));  // next to the TLM signals
  EXPECT_FALSE(declares(vcd_names(slurp(dir_ / "tlm" / "trace.vcd")), "soc.tile0.shift_add0.rtl.acc"));
  // The GTKWave save file groups them under the block.
  const std::string gtkw = slurp(dir_ / "rtl" / "memgan.gtkw");
  EXPECT_NE(gtkw.find("soc.tile0.shift_add0.rtl.acc"), std::string::npos);
  if (fs::exists("/usr/bin/vcd2fst")) {
    const std::string cmd = "/usr/bin/vcd2fst " + (dir_ / "rtl" / "trace.vcd").string() + " " +
                            (dir_ / "rtl.fst").string() + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
}

// traces/rtl-mvm.gtkw opens this run's trace with every signal it names.
TEST_F(PlatformRtl, ShippedMvmSaveFileMatchesTheTrace) {
  ASSERT_EQ(run("both", {"job.batch=4", "arch.rtl.shift_add=rtl", "arch.rtl.cmd_decoder=rtl"}), 0)
      << slurp(dir_ / "both.log");
  expect_shows(fs::path(MEMGAN_SOURCE_DIR) / "traces" / "rtl-mvm.gtkw", vcd_names(slurp(dir_ / "both" / "trace.vcd")));
}

// The same signals through the FST writer (the fstapi Verilator ships).
TEST_F(PlatformRtl, RtlSignalsInAnFstTrace) {
  ASSERT_EQ(run("fst", {"job.batch=4", "arch.rtl.shift_add=rtl", "simulation.trace.format=fst"}), 0)
      << slurp(dir_ / "fst.log");
  ASSERT_TRUE(fs::exists(dir_ / "fst" / "trace.fst"));
  if (!fs::exists("/usr/bin/fst2vcd")) GTEST_SKIP() << "fst2vcd (gtkwave) not installed";
  const std::string cmd = "/usr/bin/fst2vcd " + (dir_ / "fst" / "trace.fst").string() + " > " +
                          (dir_ / "back.vcd").string() + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::vector<std::string> names = vcd_names(slurp(dir_ / "back.vcd"));
  EXPECT_TRUE(declares(names, "soc.tile0.shift_add0.rtl.acc"));
  EXPECT_TRUE(declares(names, "soc.tile0.shift_add0.rtl.out_valid"));
}

TEST_F(PlatformRtl, OffsetEncodingTwoBitDacAndTwoArraysGiveIdenticalResults) {
  compare({"job.batch=8", "arch.weight_encoding=offset", "arch.dac_bits=2", "arch.arrays_per_tile=2",
           "job.array=1", "job.rows=100", "job.cols=10", "arch.adc.full_scale=auto"});
  // Two RTL instances, each under its own array's shift-and-add.
  const std::vector<std::string> names = vcd_names(slurp(dir_ / "rtl" / "trace.vcd"));
  EXPECT_TRUE(declares(names, "soc.tile0.shift_add0.rtl.acc"));
  EXPECT_TRUE(declares(names, "soc.tile0.shift_add1.rtl.acc"));
}

TEST_F(PlatformRtl, RtlCommandDecoderGivesIdenticalResults) {
  compare({"job.batch=16"}, "arch.rtl.cmd_decoder=rtl");
  const std::vector<std::string> names = vcd_names(slurp(dir_ / "rtl" / "trace.vcd"));
  for (const char* sig : {"in_op", "out_error", "out_op", "clk"})
    EXPECT_TRUE(declares(names, std::string("soc.controller.cmd_decoder.rtl.") + sig)) << sig;
  // The decode's clocks come before the first command and shift the whole run: one per
  // command, one idle, one reset, at mvm.yaml's 1 GHz.
  const json a = json::parse(slurp(dir_ / "tlm" / "report.json"));
  const json b = json::parse(slurp(dir_ / "rtl" / "report.json"));
  const double commands = double(slurp(dir_ / "rtl" / "program.bin").size() - 16) / 16;
  EXPECT_NEAR(b["simulated_time_ns"].get<double>() - a["simulated_time_ns"].get<double>(), commands + 2, 1e-6);
  EXPECT_EQ(a["counts"]["commands"], b["counts"]["commands"]);
}

// Training with the mapper's address generator in RTL is the TLM training bit for bit (losses,
// scores, conductances, energy over time, simulated time: the RTL's clocks overlap the operations
// that need them), with every generated address equal to the C++ model's. Adding the RTL command
// decoder shifts the run by its boot-time decode (one clock per command, plus reset and idle)
// and changes nothing else.
TEST_F(PlatformRtl, TrainingWithRtlAddressGeneratorAndDecoderIsTheTlmTraining) {
  memgan::testing::write_tiny_fashion(dir_ / "data", 64);
  const std::string train = std::string(MEMGAN_SOURCE_DIR) + "/configs/default.yaml";
  const auto train_run = [&](const std::string& out, const std::string& addr, const std::string& decoder) {
    std::string cmd = kBinary + " run " + train + " --out " + (dir_ / out).string() + " --quiet";
    for (const std::string& s :
         {"train.data=" + (dir_ / "data").string(), std::string("train.images=64"),
          std::string("train.score_reference=64"), std::string("train.score_samples=32"),
          std::string("train.score_components=4"), std::string("train.eval_samples=4"),
          std::string("network.batch=8"), std::string("train.steps=2"), std::string("train.eval_every=1"),
          std::string("train.checkpoint_every=2"), "arch.rtl.red_addr_gen=" + addr, "arch.rtl.cmd_decoder=" + decoder})
      cmd += " --set " + s;
    cmd += " >" + (dir_ / (out + ".log")).string() + " 2>&1";
    return std::system(cmd.c_str());
  };
  ASSERT_EQ(train_run("tlm", "tlm", "tlm"), 0) << slurp(dir_ / "tlm.log");
  ASSERT_EQ(train_run("addr", "rtl", "tlm"), 0) << slurp(dir_ / "addr.log");
  ASSERT_EQ(train_run("both", "rtl", "rtl"), 0) << slurp(dir_ / "both.log");
  for (const char* f : {"train.csv", "checkpoint.bin", "power.csv"})
    EXPECT_EQ(slurp(dir_ / "tlm" / f), slurp(dir_ / "addr" / f)) << f;
  for (const char* f : {"train.csv", "checkpoint.bin"}) EXPECT_EQ(slurp(dir_ / "tlm" / f), slurp(dir_ / "both" / f)) << f;
  const json a = json::parse(slurp(dir_ / "tlm" / "report.json"));
  const json b = json::parse(slurp(dir_ / "addr" / "report.json"));
  const json c = json::parse(slurp(dir_ / "both" / "report.json"));
  EXPECT_EQ(a["simulated_time_ns"], b["simulated_time_ns"]);
  const double commands = double(slurp(dir_ / "both" / "program.bin").size() - 16) / 16;
  EXPECT_NEAR(c["simulated_time_ns"].get<double>() - a["simulated_time_ns"].get<double>(), commands + 2, 1e-6);
  const json& addr = b["training"]["mapper_addresses"];
  EXPECT_EQ(addr["impl"], "rtl");
  EXPECT_GT(addr["steps"].get<int64_t>(), 0);
  EXPECT_EQ(addr["steps"], a["training"]["mapper_addresses"]["steps"]);
  EXPECT_GT(addr["rtl_clocks"].get<int64_t>(), addr["steps"].get<int64_t>());
  EXPECT_EQ(addr["rtl_mismatches"], 0);
  EXPECT_EQ(addr["mvm_mismatches"], 0);
  EXPECT_EQ(c["training"]["mapper_addresses"]["rtl_mismatches"], 0);
  EXPECT_EQ(b["trace"]["late_changes"], 0);
  EXPECT_EQ(c["trace"]["late_changes"], 0);
  const std::vector<std::string> names = vcd_names(slurp(dir_ / "both" / "trace.vcd"));
  EXPECT_TRUE(declares(names, "soc.mapper.rtl.step_in_addr"));
  EXPECT_TRUE(declares(names, "soc.controller.cmd_decoder.rtl.out_op"));
  EXPECT_TRUE(declares(names, "soc.layer_engine.op"));
  expect_shows(fs::path(MEMGAN_SOURCE_DIR) / "traces" / "rtl-train.gtkw", names);
}

}  // namespace
