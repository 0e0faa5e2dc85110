// End-to-end: the memgan binary on shipped and derived configs. Each test runs the CLI
// in a child process (SystemC elaborates once per process) and checks its outputs.
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/data/idx.h"
#include "tests/tiny_fashion.h"
#include <nlohmann/json.hpp>

#include "tests/e2e/cli_harness.h"

namespace {

using namespace memgan::testing;

bool vcd2fst_accepts(const fs::path& vcd, const fs::path& dir) {
  if (!fs::exists("/usr/bin/vcd2fst")) return false;
  const std::string cmd = "/usr/bin/vcd2fst " + vcd.string() + " " + (dir / "check.fst").string() + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0 && fs::file_size(dir / "check.fst") > 0;
}

}  // namespace

TEST_F(Cli, VersionAndHelp) {
  auto r = run({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("memgan ", 0), 0u) << r.out;
  r = run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("run"), std::string::npos);
  EXPECT_NE(r.out.find("validate"), std::string::npos);
  r = run({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(Cli, DefaultRunMeetsItsBoundAndWritesEveryOutput) {
  const auto r = run_default("run");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const fs::path out = dir_ / "run";
  for (const char* f : {"trace.vcd", "memgan.gtkw", "power.csv", "report.json", "config.yaml", "program.bin"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f;
  }
  EXPECT_NE(r.out.find("outputs  " + out.string()), std::string::npos) << r.out;

  const json rep = report("run");
  EXPECT_EQ(rep["outcome"], "completed");
  EXPECT_EQ(rep["trace"]["late_changes"], 0);
  const auto& check = rep["result_check"];
  EXPECT_TRUE(check["checked"].get<bool>());
  EXPECT_TRUE(check["bound_applies"].get<bool>());
  EXPECT_EQ(check["elements"].get<int>(), 256 * 16);
  EXPECT_EQ(check["outside_bound"].get<int>(), 0);
  EXPECT_LE(check["max_error_over_bound"].get<double>(), 1.0);
  EXPECT_GT(check["max_abs_error"].get<double>(), 0.0) << "quantization must leave some error";
  EXPECT_LT(check["relative_rms_error"].get<double>(), 0.02);

  const auto& c = rep["counts"];
  EXPECT_EQ(c["mvm_vectors"].get<int>(), 256);
  // 8 input bits x 16 outputs x 4 weight slices per vector, one conversion per column pair.
  EXPECT_EQ(c["adc_conversions"].get<int64_t>(), 256 * 8 * 16 * 4);
  EXPECT_EQ(c["cells_written"].get<int64_t>() > 0, true);
  EXPECT_EQ(c["dma_bytes"].get<int64_t>(), 128 * 16 + 256 * 128 + 256 * 16 * 4);

  // Energy: the parts add up to the total, and every block the issue lists is accounted.
  double sum = 0;
  for (const auto& [name, comp] : rep["energy"]["components"].items()) sum += comp["total_pJ"].get<double>();
  const double total = rep["energy"]["totals"]["total_pJ"].get<double>();
  EXPECT_NEAR(sum, total, 1e-9 * total);
  for (const char* kind : {"array", "dac", "adc", "shift_add", "input_buffer", "output_buffer", "bus", "dram", "writes",
                           "controller", "dma"}) {
    EXPECT_GT(rep["energy_by_kind_pJ"][kind].get<double>(), 0.0) << kind;
  }
  EXPECT_GT(rep["simulated_time_ns"].get<double>(), 0.0);

  // Power log: one row per window, units in headers, cumulative energy ends at the total.
  std::ifstream csv(out / "power.csv");
  std::string header, line, last;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("window_start_ns,window_end_ns,", 0), 0u) << header;
  EXPECT_NE(header.find("tile0.xbar0.adc_dyn_W"), std::string::npos) << header;
  EXPECT_NE(header.find("cumulative_energy_pJ"), std::string::npos);
  size_t rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    last = line;
  }
  const double sim_ns = rep["simulated_time_ns"].get<double>();
  EXPECT_EQ(rows, static_cast<size_t>(std::ceil(sim_ns / 1000.0)));
  const double cumulative = std::stod(last.substr(last.rfind(',') + 1));
  EXPECT_NEAR(cumulative, total, 1e-6 * total);

  // The VCD is valid for GTKWave's own converter; the save file points at it.
  EXPECT_TRUE(vcd2fst_accepts(out / "trace.vcd", dir_)) << "vcd2fst rejected the trace";
  const std::string gtkw = slurp(out / "memgan.gtkw");
  EXPECT_NE(gtkw.find("trace.vcd"), std::string::npos);
  EXPECT_NE(gtkw.find("soc.tile0.xbar0.adc.power_mw"), std::string::npos);
  const std::string vcd = slurp(out / "trace.vcd");
  EXPECT_NE(vcd.find("$scope module tile0 $end"), std::string::npos);
  EXPECT_NE(vcd.find("$scope module xbar0 $end"), std::string::npos);
  // Per array: what it does (0 idle, 1 MVM, 2 programming) and the share of cells driven.
  EXPECT_NE(vcd.find("$var real 64 ") , std::string::npos);
  EXPECT_NE(vcd.find(" utilization $end"), std::string::npos);
  EXPECT_NE(vcd.find(" op [1:0] $end"), std::string::npos);
  EXPECT_NE(gtkw.find("soc.tile0.xbar0.utilization"), std::string::npos);
  // The default run also writes the timeline and the HTML report.
  const json timeline = json::parse(slurp(out / "timeline.json"));
  EXPECT_GT(timeline["traceEvents"].size(), 100u);
  const std::string html = slurp(out / "report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);

  // The program it ran disassembles.
  const auto d = run({"disasm", (out / "program.bin").string()}, "disasm");
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.out.find("END"), std::string::npos);
}

TEST_F(Cli, SameSeedGivesByteIdenticalOutputs) {
  ASSERT_EQ(run_default("a", {"job.batch=64"}).exit_code, 0);
  ASSERT_EQ(run_default("b", {"job.batch=64"}).exit_code, 0);
  ASSERT_EQ(run_default("c", {"job.batch=64", "simulation.seed=2"}).exit_code, 0);
  for (const char* f : {"report.json", "trace.vcd", "power.csv", "memgan.gtkw"}) {
    EXPECT_EQ(slurp(dir_ / "a" / f), slurp(dir_ / "b" / f)) << f;
  }
  EXPECT_NE(slurp(dir_ / "a" / "report.json"), slurp(dir_ / "c" / "report.json"));
}

TEST_F(Cli, DoublingTheWorkDoublesTheComputeEnergy) {
  ASSERT_EQ(run_default("one", {"job.batch=128"}).exit_code, 0);
  ASSERT_EQ(run_default("two", {"job.batch=256"}).exit_code, 0);
  const json a = report("one")["energy_by_kind_pJ"], b = report("two")["energy_by_kind_pJ"];
  const json ea = report("one")["energy"]["components"], eb = report("two")["energy"]["components"];
  for (const char* comp : {"tile0.xbar0.adc", "tile0.xbar0.dac", "tile0.xbar0.shift_add"}) {
    EXPECT_NEAR(eb[comp]["dynamic_pJ"].get<double>(), 2 * ea[comp]["dynamic_pJ"].get<double>(),
                1e-9 * eb[comp]["dynamic_pJ"].get<double>())
        << comp;
  }
  // The array's energy depends on the data (V^2 G t of the bits that are 1): about 2x.
  const double ra = eb["tile0.xbar0.array"]["dynamic_pJ"].get<double>() / ea["tile0.xbar0.array"]["dynamic_pJ"].get<double>();
  EXPECT_NEAR(ra, 2.0, 0.1);
  // Weights are programmed once: the write energy does not double.
  EXPECT_NEAR(eb["tile0.xbar0.writes"]["dynamic_pJ"].get<double>(), ea["tile0.xbar0.writes"]["dynamic_pJ"].get<double>(),
              1e-9);
}

TEST_F(Cli, IdealAnalogDatapathMatchesFloat) {
  const auto r = run_default("ideal", {"arch.quantize=false", "job.cols=64", "job.batch=32"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json rep = report("ideal");
  EXPECT_EQ(rep["result_check"]["outside_bound"].get<int>(), 0);
  EXPECT_LT(rep["result_check"]["relative_rms_error"].get<double>(), 1e-5);
}

TEST_F(Cli, ValidateReportsATypoWithItsPosition) {
  const auto cfg = dir_ / "typo.yaml";
  std::ofstream(cfg) << "arch:\n  clock_mhz: 500\n  adc:\n    bitz: 6\n";
  const auto r = run({"validate", cfg.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(cfg.string() + ":4:5: unknown key 'arch.adc.bitz' (did you mean 'arch.adc.bits'?)"),
            std::string::npos)
      << r.err;
  const auto ok = run({"validate", kDefault});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  const auto bad_set = run({"run", kDefault, "--set", "arch.adc.bits=99", "--out", (dir_ / "x").string()});
  EXPECT_EQ(bad_set.exit_code, 2);
  EXPECT_NE(bad_set.err.find("--set arch.adc.bits=99: arch.adc.bits: 99 is out of range"), std::string::npos)
      << bad_set.err;
}

TEST_F(Cli, CtrlCLeavesValidOutputs) {
  // Long enough that the signal lands mid-run.
  const pid_t pid = spawn({kBinary, "run", kDefault, "--out", (dir_ / "int").string(), "--set", "job.batch=100000"},
                          "int");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  kill(pid, SIGINT);
  const Result r = finish(pid, "int");
  ASSERT_EQ(r.exit_code, 130) << r.out << r.err;
  const json rep = report("int");
  EXPECT_EQ(rep["outcome"], "interrupted");
  EXPECT_GT(rep["simulated_time_ns"].get<double>(), 0.0);
  EXPECT_TRUE(vcd2fst_accepts(dir_ / "int" / "trace.vcd", dir_));
  std::ifstream csv(dir_ / "int" / "power.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("window_start_ns", 0), 0u);
}

class Presets : public Cli, public ::testing::WithParamInterface<const char*> {};

TEST_P(Presets, RunsAndSplitsEnergyByBlock) {
  const std::string name = GetParam();
  const auto r = run({"run", std::string(MEMGAN_SOURCE_DIR) + "/configs/" + name + ".yaml", "--out",
                      (dir_ / name).string(), "--set", "job.batch=32"},
                     name);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json rep = report(name);
  EXPECT_EQ(rep["outcome"], "completed");
  for (const char* kind :
       {"array", "dac", "adc", "shift_add", "input_buffer", "output_buffer", "bus", "dram", "writes"}) {
    if (std::string(kind) != "adc" && std::string(kind) != "dac" && std::string(kind) != "shift_add") {
      EXPECT_GT(rep["energy_by_kind_pJ"][kind].get<double>(), 0.0) << name << " " << kind;
    } else if (rep["config"]["arch"]["quantize"].get<bool>()) {
      EXPECT_GT(rep["energy_by_kind_pJ"][kind].get<double>(), 0.0) << name << " " << kind;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shipped, Presets, ::testing::Values("mvm", "isaac", "ideal", "passive-0t1r", "zara-3d"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           std::string n = p.param;
                           for (auto& ch : n) if (ch == '-') ch = '_';
                           return n;
                         });

TEST_F(Cli, FstTraceConvertsBackToVcd) {
  const auto r = run_default("fst", {"simulation.trace.format=fst", "job.batch=16"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const fs::path fst = dir_ / "fst" / "trace.fst";
  ASSERT_TRUE(fs::exists(fst));
  EXPECT_NE(slurp(dir_ / "fst" / "memgan.gtkw").find("trace.fst"), std::string::npos);
  if (fs::exists("/usr/bin/fst2vcd")) {
    const std::string cmd = "/usr/bin/fst2vcd " + fst.string() + " -o " + (dir_ / "back.vcd").string() + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_NE(slurp(dir_ / "back.vcd").find("power_mw"), std::string::npos);
  }
}

TEST_F(Cli, CommandLinePresetOverridesTheFile) {
  const auto r = run({"validate", kDefault, "--preset", std::string(MEMGAN_SOURCE_DIR) + "/configs/devices/ideal.yaml",
                      "--print"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  quantize: false"), std::string::npos);
}

TEST_F(Cli, MapPrintsTheTableAndWritesJson) {
  const auto r = run({"map", kDefault, "--out", (dir_ / "map").string(), "--dataflow", "zero_insertion"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dataflow zero_insertion"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("up1"), std::string::npos);
  const json m = json::parse(slurp(dir_ / "map" / "mapping.json"));
  ASSERT_TRUE(m.contains("layers"));
  EXPECT_EQ(m["layers"].size(), 6u);  // dcgan28: 3 generator + 3 discriminator crossbar layers
  const auto bad = run({"map", kDefault, "--dataflow", "zero_skipping", "--out", (dir_ / "x").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("network.dataflow: 'zero_skipping' is not a valid choice"), std::string::npos) << bad.err;
}

TEST_F(Cli, CompareShowsZeroFreeAndPixelWiseBeatTheBaselineForward) {
  const auto r = run({"compare", std::string(MEMGAN_SOURCE_DIR) + "/configs/dcgan64-compare.yaml", "--out",
                      (dir_ / "cmp").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json c = json::parse(slurp(dir_ / "cmp" / "compare.json"));
  int checked = 0;
  for (const auto& l : c["layers"]) {
    // The generator's strided transposed convolutions (up1..up4, stride 2).
    if (l["model"] != "generator" || l["type"] != "conv_transpose2d" || l["layer"] == "up0") continue;
    if (l["dataflow"] == "zero_insertion" || l["phase"] != "forward") continue;
    EXPECT_GT(l["speedup_vs_zero_insertion"].get<double>(), 2.0) << l.dump();
    EXPECT_GT(l["energy_saving_vs_zero_insertion"].get<double>(), 0.3) << l.dump();
    ++checked;
  }
  EXPECT_EQ(checked, 8);  // 4 layers x 2 dataflows
  // Each dataflow's training step ran on the simulated platform (memgan run in timing mode, a
  // run folder each): its operations overlap, it is split into compute, movement and stalls,
  // and the folder's report.json is where the row comes from.
  ASSERT_EQ(c["training_step"].size(), 3u);
  for (const auto& s : c["training_step"]) {
    ASSERT_FALSE(s.contains("error")) << s.dump();
    EXPECT_LT(s["step_time_ns"].get<double>(), s["serial_time_ns"].get<double>()) << s.dump();
    const json split = s["step_split_ns"];
    EXPECT_NEAR(split["compute"].get<double>() + split["movement"].get<double>() + split["stall"].get<double>(),
                s["serial_time_ns"].get<double>(), 1e-6 * s["serial_time_ns"].get<double>());
    const fs::path step_dir = dir_ / "cmp" / s["run"].get<std::string>();
    const json rj = json::parse(slurp(step_dir / "report.json"));
    EXPECT_EQ(rj["training"]["mode"], "timing");
    EXPECT_EQ(rj["training"]["dataflow"], s["dataflow"]);
    EXPECT_EQ(rj["training"]["time_per_step_ns"], s["step_time_ns"]);
  }
  // The zero-free step is shorter than the baseline's and pixel_wise spends less energy.
  EXPECT_LT(c["training_step"][1]["step_time_ns"].get<double>(), c["training_step"][0]["step_time_ns"].get<double>());
  EXPECT_LT(c["training_step"][2]["energy_per_step_pJ"].get<double>(),
            c["training_step"][0]["energy_per_step_pJ"].get<double>());
  // A step folder is a run folder: its trace converts and `memgan run` reruns its point.yaml.
  const fs::path zf = dir_ / "cmp" / "step_zero_free";
  EXPECT_TRUE(vcd2fst_accepts(zf / "trace.vcd", dir_));
  const auto rerun = run({"run", (zf / "point.yaml").string(), "--out", (dir_ / "rerun").string(), "--quiet"}, "rerun");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(report("rerun")["training"]["time_per_step_ns"], c["training_step"][1]["step_time_ns"]);
  // A step that cannot run (the network does not fit without time-multiplexing) is a row with
  // its reason and exit 2, not a silently missing row.
  const auto small = run({"compare", std::string(MEMGAN_SOURCE_DIR) + "/configs/dcgan64-compare.yaml", "--out",
                          (dir_ / "cmp_small").string(), "--set", "arch.mapping.overflow=error", "--dataflows",
                          "zero_free"},
                         "cmp_small");
  EXPECT_EQ(small.exit_code, 2);
  EXPECT_NE(small.out.find("zero_free       did not run"), std::string::npos) << small.out;
  EXPECT_NE(small.out.find("needs 450 arrays"), std::string::npos) << small.out;
  const json cs = json::parse(slurp(dir_ / "cmp_small" / "compare.json"));
  EXPECT_NE(cs["training_step"][0]["error"].get<std::string>().find("exit 2"), std::string::npos);
  std::ifstream csv(dir_ / "cmp" / "compare.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_NE(header.find("speedup_vs_zero_insertion"), std::string::npos);
  EXPECT_NE(header.find("digital_pJ"), std::string::npos);
  // Element-wise layers on the digital unit: ops = elements x ops per element (batch norm 8
  // forward / 12 backward, ReLU 1 / 1 on the same tensor), time = ceil(ops / lanes) clocks.
  const json cj = c;
  const auto cost = [&](const std::string& layer, const std::string& phase) {
    for (const auto& l : cj["layers"])
      if (l["layer"] == layer && l["phase"] == phase && l["dataflow"] == "zero_free") return l["cost"];
    ADD_FAILURE() << "no row " << layer << " " << phase;
    return json();
  };
  const json bn_f = cost("bn0", "forward"), relu_f = cost("relu0", "forward"), bn_b = cost("bn0", "backward");
  const double relu_ops = relu_f["energy_pJ"]["digital"].get<double>() / 1.0;  // energy.digital_op_pj = 1 pJ
  EXPECT_GT(relu_ops, 0);
  EXPECT_DOUBLE_EQ(bn_f["energy_pJ"]["digital"].get<double>(), 8 * relu_ops);
  EXPECT_DOUBLE_EQ(bn_b["energy_pJ"]["digital"].get<double>(), 12 * relu_ops);
  EXPECT_DOUBLE_EQ(bn_f["time_ns"].get<double>(), std::ceil(8 * relu_ops / 64));  // 64 lanes at 1 GHz
  EXPECT_EQ(bn_f["mvms"], 0);
}

// --- GAN training (job.kind train) on a tiny generated data set ----------------------------

namespace {

using memgan::testing::write_tiny_fashion;

}  // namespace

class Training : public Cli {
 protected:
  void SetUp() override {
    Cli::SetUp();
    write_tiny_fashion(dir_ / "data", 96);
  }
  // The default training config shrunk to seconds: small batch, few steps, tiny data.
  std::vector<std::string> train_args(const std::string& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", kTrain, "--out", (dir_ / out).string(), "--quiet"};
    for (const std::string& s : {"train.data=" + (dir_ / "data").string(), std::string("train.images=96"),
                                std::string("train.score_reference=96"), std::string("train.score_samples=32"),
                                std::string("train.score_components=4"), std::string("train.eval_samples=16"),
                                std::string("network.batch=16"), std::string("train.steps=6"),
                                std::string("train.eval_every=2"), std::string("train.checkpoint_every=2")}) {
      args.push_back("--set");
      args.push_back(s);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

TEST_F(Training, StopAndResumeGivesTheUninterruptedRun) {
  const auto full = run(train_args("full"), "full");
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const std::string csv = slurp(dir_ / "full" / "train.csv");
  // Header + evals at steps 0, 2, 4, 6.
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5) << csv;
  EXPECT_EQ(report("full")["training"]["steps_done"], 6);

  // Stopped after the checkpoint at step 4, as Ctrl-C would: exit 130, valid outputs.
  const auto part = run(train_args("part", {"--stop-at-step", "4"}), "part");
  ASSERT_EQ(part.exit_code, 130) << part.err;
  EXPECT_EQ(report("part")["outcome"], "interrupted");
  EXPECT_EQ(report("part")["training"]["steps_done"], 4);
  EXPECT_NO_THROW(json::parse(slurp(dir_ / "part" / "timeline.json")));
  const std::string vcd = slurp(dir_ / "part" / "trace.vcd");
  EXPECT_NE(vcd.find("$enddefinitions"), std::string::npos);

  const auto resumed = run(train_args("resumed", {"--resume", (dir_ / "part").string()}), "resumed");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(slurp(dir_ / "resumed" / "train.csv"), csv);
  EXPECT_EQ(slurp(dir_ / "resumed" / "checkpoint.bin"), slurp(dir_ / "full" / "checkpoint.bin"));
  EXPECT_EQ(report("resumed")["training"]["first_step"], 4);
}

// Time-multiplexed arrays: which layer each array holds is part of the checkpoint, so a
// resumed run rewrites exactly what the uninterrupted one does and takes the same time.
TEST_F(Training, ResumeKeepsWhichLayerEachArrayHolds) {
  const std::vector<std::string> mux = {"--set", "arch.tiles=4", "--set", "arch.mapping.overflow=reprogram"};
  const auto full = run(train_args("full", mux), "full");
  ASSERT_EQ(full.exit_code, 0) << full.err;
  std::vector<std::string> stop = mux;
  stop.insert(stop.end(), {"--stop-at-step", "2"});
  const auto part = run(train_args("part", stop), "part");
  ASSERT_EQ(part.exit_code, 130) << part.err;
  EXPECT_TRUE(json::parse(slurp(dir_ / "part" / "checkpoint.json")).contains("resident_layers"));
  std::vector<std::string> resume = mux;
  resume.insert(resume.end(), {"--resume", (dir_ / "part").string()});
  const auto resumed = run(train_args("resumed", resume), "resumed");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(slurp(dir_ / "resumed" / "train.csv"), slurp(dir_ / "full" / "train.csv"));
  EXPECT_EQ(report("resumed")["training"]["arrays_reprogrammed"].get<int64_t>() +
                report("part")["training"]["arrays_reprogrammed"].get<int64_t>(),
            report("full")["training"]["arrays_reprogrammed"].get<int64_t>());
}

TEST_F(Training, WritesGridsScoresAndTheReport) {
  const auto r = run(train_args("t"), "t");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"samples/step_000000.png", "samples/step_000006.png", "train.csv", "report.html",
                        "memgan.gtkw", "power.csv", "checkpoint.bin"})
    EXPECT_TRUE(fs::exists(dir_ / "t" / f)) << f;
  const json rep = report("t");
  const auto& tr = rep["training"];
  EXPECT_EQ(tr["curve"].size(), 4u);
  EXPECT_GT(tr["cells_written"].get<int64_t>(), 0);  // analog mode: updates are pulses
  EXPECT_GT(tr["op_energy_pJ"].get<double>(), 0);
  EXPECT_GT(tr["phases"].size(), 10u);
  // The mapper generated the addressing of every pixel_wise scatter, one MVM per step.
  EXPECT_GT(tr["mapper_addresses"]["sequences"].get<int64_t>(), 0);
  EXPECT_EQ(tr["mapper_addresses"]["mvm_mismatches"], 0);
  EXPECT_NE(slurp(dir_ / "t" / "report.html").find("mapper addresses (pixel_wise scatters)"), std::string::npos);
  // Every trace change arrived before the writer's horizon passed it (none clamped).
  EXPECT_EQ(rep["trace"]["late_changes"], 0);
  for (const auto& point : tr["curve"]) EXPECT_TRUE(std::isfinite(point["score"].get<double>()));
  // The engine's operations are on the timeline with their layer and phase.
  const std::string timeline = slurp(dir_ / "t" / "timeline.json");
  EXPECT_NE(timeline.find("\"phase\":\"backward_weight\""), std::string::npos);
  EXPECT_NE(timeline.find("\"dataflow\":\"pixel_wise\""), std::string::npos);
  // Same seed, same bytes.
  const auto again = run(train_args("t2"), "t2");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(slurp(dir_ / "t" / "train.csv"), slurp(dir_ / "t2" / "train.csv"));
  EXPECT_EQ(slurp(dir_ / "t" / "trace.vcd"), slurp(dir_ / "t2" / "trace.vcd"));
}

// Values a VCD variable (by its leaf name, first match) takes after the initial dump.
std::vector<uint64_t> vcd_values(const std::string& vcd, const std::string& leaf) {
  std::istringstream in(vcd);
  std::string line, id;
  std::vector<uint64_t> values;
  bool dumped = false;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> w{std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
    if (id.empty() && w.size() >= 5 && w[0] == "$var" && w[4] == leaf) id = w[3];
    if (!w.empty() && w[0] == "$dumpvars") dumped = false;
    if (!w.empty() && w[0] == "$end") dumped = true;
    if (dumped && w.size() == 2 && w[1] == id && w[0][0] == 'b') values.push_back(std::stoull(w[0].substr(1), nullptr, 2));
  }
  return values;
}

// simulation.trace.start_step/stop_step: only steps 2 and 3 reach the trace.
TEST_F(Training, TraceWindowInTrainingSteps) {
  const auto r = run(train_args("w", {"--set", "simulation.trace.start_step=2", "--set",
                                      "simulation.trace.stop_step=4"}), "w");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string vcd = slurp(dir_ / "w" / "trace.vcd");
  const std::vector<uint64_t> steps = vcd_values(vcd, "step");
  // The window opens at the StepEnd that starts step 2: its first value is the one before that
  // operation (1), then, at the same time, 2.
  ASSERT_GE(steps.size(), 3u);
  EXPECT_EQ(steps[0], 1u);
  EXPECT_EQ(steps[1], 2u);
  EXPECT_EQ(steps.back(), 3u);
  for (size_t i = 1; i < steps.size(); ++i) EXPECT_TRUE(steps[i] == 2 || steps[i] == 3) << steps[i];
  const auto full = run(train_args("f"), "f");
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_LT(vcd.size(), slurp(dir_ / "f" / "trace.vcd").size() / 2);
  // A step window needs steps.
  const auto bad = run({"run", kTrain, "--out", (dir_ / "b").string(), "--quiet", "--set",
                        "simulation.trace.stop_step=1", "--set", "simulation.trace.start_step=3"}, "b");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("simulation.trace.stop_step: must be after simulation.trace.start_step"), std::string::npos)
      << bad.err;
}

// An FST trace names the layer engine's operations (an enum table GTKWave shows as text).
TEST_F(Training, FstTraceNamesTheOperations) {
  const auto r = run(train_args("fst", {"--set", "simulation.trace.format=fst", "--set", "train.steps=2"}), "fst");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(dir_ / "fst" / "trace.fst"));
  if (!fs::exists("/usr/bin/fst2vcd")) GTEST_SKIP() << "fst2vcd (gtkwave) not installed";
  const fs::path back = dir_ / "fst" / "back.vcd";
  ASSERT_EQ(std::system(("/usr/bin/fst2vcd -e " + (dir_ / "fst" / "trace.fst").string() + " > " + back.string() +
                         " 2>/dev/null").c_str()),
            0);
  const std::string vcd = slurp(back);
  EXPECT_NE(vcd.find("$attrbegin misc 07 train_op 11 idle latent load_real forward loss backward_data"),
            std::string::npos)
      << vcd.substr(0, 2000);
}

TEST_F(Training, DigitalReferenceWritesNoCells) {
  const auto r = run(train_args("d", {"--set", "train.mode=digital"}), "d");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(report("d")["training"]["cells_written"], 0);
}

TEST_F(Training, BadDataIsAClearError) {
  const auto missing = run(train_args("m", {"--set", "train.data=" + (dir_ / "nowhere").string()}), "m");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nowhere"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("dataset-fashion-mnist"), std::string::npos) << missing.err;
  // A truncated image file.
  const fs::path bad = dir_ / "bad";
  write_tiny_fashion(bad, 96);
  const std::string bytes = slurp(bad / "train-images-idx3-ubyte.gz");
  std::ofstream(bad / "train-images-idx3-ubyte.gz", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const auto corrupt = run(train_args("c", {"--set", "train.data=" + bad.string()}), "c");
  EXPECT_EQ(corrupt.exit_code, 2);
  EXPECT_NE(corrupt.err.find("train-images-idx3-ubyte.gz"), std::string::npos) << corrupt.err;
}

TEST_F(Training, BitSlicedWeightsCannotTrainInSitu) {
  const auto r = run({"validate", kTrain, "--set", "arch.weight_bits=8"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("arch.weight_bits"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("one cell per weight"), std::string::npos) << r.err;
}

// --- Training on the chip: placement, tiles, data movement, shared resources ---------------

namespace {

// Columns of train.csv that are numerics (losses, D outputs, score, cells, pulses), without the
// simulated time and energy, which the chip decides.
std::string numerics(const std::string& csv) {
  std::istringstream in(csv);
  std::string line, out;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string c; std::getline(row, c, ',');) cells.push_back(c);
    for (size_t i = 0; i < cells.size(); ++i)
      if (i != 6 && i != 7) out += cells[i] + (i + 1 < cells.size() ? "," : "\n");
  }
  return out;
}

}  // namespace

// The trainer's numbers are the chip-independent half: the analog run of the tiny set gives the
// losses, scores and writes it gave before training moved onto the tiles (recorded from the
// layer-engine build, commit 0c7ace9, same arguments).
TEST_F(Training, AnalogNumericsAreThoseOfThePreChipRun) {
  const auto r = run(train_args("n"), "n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(numerics(slurp(dir_ / "n" / "train.csv")),
            "step,d_loss,g_loss,d_real,d_fake,score,cells_written,write_pulses\n"
            "0,0,0,0,0,119.751,340096,5140666\n"
            "2,0.872275,1.40456,0.983395,0.551243,113.716,663099,5868807\n"
            "4,0.719785,2.17618,0.992255,0.491652,111.319,944314,6372328\n"
            "6,0.285583,3.44705,0.929071,0.180613,110.211,1206377,6808934\n");
}

// Shared resources bound the step: a narrower bus or a slower DRAM makes every transfer longer;
// the numerics do not move.
TEST_F(Training, StepTimeGrowsWithANarrowerBusAndASlowerDram) {
  const std::vector<std::string> quick = {"--set", "train.steps=2", "--set", "simulation.trace.enabled=false",
                                          "--set", "simulation.timeline.enabled=false"};
  const auto step = [&](const std::string& out, std::vector<std::string> sets) {
    std::vector<std::string> extra = quick;
    for (auto& s : sets) extra.insert(extra.end(), {"--set", s});
    const auto r = run(train_args(out, extra), out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return report(out)["training"]["time_per_step_ns"].get<double>();
  };
  const double base = step("base", {});
  const double bus4 = step("bus4", {"arch.bus.width_bytes=4"});
  const double bus64 = step("bus64", {"arch.bus.width_bytes=64"});
  const double slow_dram = step("dram", {"arch.dram.bandwidth_gbps=1"});
  EXPECT_GT(bus4, base);
  EXPECT_GT(base, bus64);
  EXPECT_GT(slow_dram, base);
  const std::string n = numerics(slurp(dir_ / "base" / "train.csv"));
  for (const char* out : {"bus4", "bus64", "dram"}) EXPECT_EQ(numerics(slurp(dir_ / out / "train.csv")), n) << out;
  // Transfers waited for each other on the bus and DRAM (parallel tiles contend).
  EXPECT_GT(report("bus4")["training"]["bus_wait_ns"].get<double>(), 0);
  // The operations' own times, split into compute, movement and stalls, add up to more than
  // the step: independent ones overlap (backward-weight beside backward-data, ...).
  const json tr = report("base")["training"];
  const json split = tr["step_split_ns"];
  const double serial = tr["serial_per_step_ns"].get<double>();
  EXPECT_NEAR(split["compute"].get<double>() + split["movement"].get<double>() + split["stall"].get<double>(), serial,
              1e-6 * serial);
  EXPECT_LT(base, serial);
  EXPECT_GT(tr["overlap"].get<double>(), 1.0);
}

// More tiles never slow a step; they speed it up until every layer is resident, then the
// placement (and the time) stays. Time-multiplexed arrays pay their rewrites.
TEST_F(Training, MoreTilesSpeedAStepUntilTheNetworkIsPlaced) {
  const auto step = [&](int tiles) {
    const std::string out = "tiles" + std::to_string(tiles);
    const auto r = run(train_args(out, {"--set", "train.steps=2", "--set", "simulation.trace.enabled=false", "--set",
                                        "simulation.timeline.enabled=false", "--set", "arch.mapping.overflow=reprogram",
                                        "--set", "arch.tiles=" + std::to_string(tiles)}),
                       out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return report(out)["training"];
  };
  // dcgan28-small (pixel_wise) needs 88 arrays; generator.fc alone 49.
  const json t4 = step(4), t6 = step(6), t16 = step(16);
  EXPECT_GT(t4["arrays_reprogrammed"].get<int64_t>(), 0);
  EXPECT_EQ(t4["placement"]["residency_groups"], 2);
  EXPECT_EQ(t6["arrays_reprogrammed"], 0);
  EXPECT_GT(t4["time_per_step_ns"].get<double>(), t6["time_per_step_ns"].get<double>());
  EXPECT_GT(t4["energy_per_step_pJ"].get<double>(), t6["energy_per_step_pJ"].get<double>()) << "the rewrites";
  EXPECT_EQ(t6["time_per_step_ns"], t16["time_per_step_ns"]);
}

// Pipelining across the batch (arch.scheduler.micro_batch samples a part): an operation along the
// batch runs as parts, and a layer's part starts once the layer before has done those samples, so layers on
// different tiles work at once and one part's transfers overlap another's compute. The step gets
// shorter; the tiles do exactly the same events and the numerics do not move (the trainer still
// computes the whole batch; batch norm's statistics are the whole batch's).
TEST_F(Training, MicroBatchesPipelineTheStepAndLeaveTheNumbers) {
  const auto step = [&](int parts) {  // of the batch of 16
    const std::string out = "mb" + std::to_string(parts);
    const auto r = run(train_args(out, {"--set", "train.steps=2", "--set", "simulation.trace.enabled=false", "--set",
                                        "arch.scheduler.micro_batch=" + std::to_string(16 / parts)}),
                       out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return report(out)["training"];
  };
  const json m1 = step(1), m4 = step(4), m16 = step(16);
  EXPECT_LT(m4["time_per_step_ns"].get<double>(), m1["time_per_step_ns"].get<double>());
  EXPECT_LE(m16["time_per_step_ns"].get<double>(), m4["time_per_step_ns"].get<double>()) << "one sample a part";
  EXPECT_GT(m4["overlap"].get<double>(), m1["overlap"].get<double>());
  for (const json* m : {&m4, &m16}) {
    for (const char* k : {"array_reads", "dac_conversions", "adc_conversions", "write_pulses"})
      EXPECT_EQ((*m)["tiles"][k], m1["tiles"][k]) << k;
    const double compute = m1["energy_split_pJ"]["compute"].get<double>();
    EXPECT_NEAR((*m)["energy_split_pJ"]["compute"].get<double>(), compute, 1e-9 * compute);
    // Smaller parts fit the buffers a whole batch spills from.
    EXPECT_LE((*m)["energy_split_pJ"]["movement"].get<double>(), m1["energy_split_pJ"]["movement"].get<double>());
  }
  const std::string n = numerics(slurp(dir_ / "mb1" / "train.csv"));
  EXPECT_EQ(numerics(slurp(dir_ / "mb4" / "train.csv")), n);
  EXPECT_EQ(numerics(slurp(dir_ / "mb16" / "train.csv")), n);
  // report.json's chart of the last step: whole batches never have two layers' work on two
  // tiles at once; four parts do (the pipeline), and every span lies within the step.
  const auto layers_at_once = [](const json& training) {
    const json& chart = training["step_chart"];
    std::vector<std::pair<std::string, json>> spans;
    for (const auto& lane : chart["lanes"])
      if (lane["name"].get<std::string>().rfind("tile", 0) == 0)
        for (const auto& s : lane["spans"]) {
          EXPECT_GE(s[0].get<double>(), 0);
          EXPECT_LE(s[1].get<double>(), chart["time_ns"].get<double>());
          spans.push_back({lane["name"].get<std::string>(), s});
        }
    int n = 0;
    for (size_t i = 0; i < spans.size(); ++i)
      for (size_t j = i + 1; j < spans.size(); ++j) {
        const json &a = spans[i].second, &b = spans[j].second;
        n += spans[i].first != spans[j].first && a[2] != b[2] && a[0].get<double>() < b[1].get<double>() &&
             b[0].get<double>() < a[1].get<double>();
      }
    return n;
  };
  EXPECT_EQ(layers_at_once(m1), 0);
  EXPECT_GT(layers_at_once(m4), 0);
  // The timeline shows each part: the generator's first layer as four events.
  const std::string timeline = slurp(dir_ / "mb4" / "timeline.json");
  for (int p = 1; p <= 4; ++p)
    EXPECT_NE(timeline.find("forward G.fc [" + std::to_string(p) + "/4]"), std::string::npos) << p;
}

// train.mode timing: the same chip, mapper, scheduler and movement model with event counts
// from the closed forms and no numerics. Under the Manhattan rule (one pulse per weight, so no
// count depends on data) it gives the analog run's step time to the picosecond and every
// block's energy except the arrays' read and write energy, which depend on the conductances
// (the closed form takes mid-range cells). It needs no data set and writes no samples.
TEST_F(Training, TimingModeGivesTheAnalogStepWithoutNumerics) {
  const std::vector<std::string> common = {"--set", "train.steps=2", "--set", "simulation.trace.enabled=false",
                                           "--set", "train.optimizer=manhattan", "--set", "train.lr_generator=0.01",
                                           "--set", "train.lr_discriminator=0.01"};
  const auto analog = run(train_args("analog", common), "analog");
  ASSERT_EQ(analog.exit_code, 0) << analog.err;
  std::vector<std::string> timing_sets = common;
  for (const char* s : {"train.mode=timing", "train.data=/nonexistent"}) timing_sets.insert(timing_sets.end(), {"--set", s});
  const auto timing = run(train_args("timing", timing_sets), "timing");
  ASSERT_EQ(timing.exit_code, 0) << timing.err;
  const json a = report("analog"), t = report("timing");
  EXPECT_EQ(t["training"]["mode"], "timing");
  EXPECT_EQ(a["training"]["time_per_step_ns"].get<double>(), t["training"]["time_per_step_ns"].get<double>());
  EXPECT_EQ(a["training"]["step_split_ns"], t["training"]["step_split_ns"]);
  int compared = 0;
  for (const auto& [name, c] : a["energy"]["components"].items()) {
    const bool data_dependent = name.size() > 6 && (name.substr(name.size() - 6) == ".array" ||
                                                    name.substr(name.size() - 7) == ".writes");
    if (data_dependent) continue;
    const double want = c["dynamic_pJ"].get<double>(), got = t["energy"]["components"][name]["dynamic_pJ"].get<double>();
    EXPECT_NEAR(got, want, 1e-9 * std::max(1.0, want)) << name;
    ++compared;
  }
  EXPECT_GT(compared, 100);
  // Per layer and phase the tiles counted the same events.
  for (const auto& [label, p] : a["training"]["phases"].items())
    EXPECT_EQ(t["training"]["phases"][label]["tile_events"], p["tile_events"]) << label;
  // train.csv rows carry time and energy, with the losses and the score left empty.
  std::ifstream csv(dir_ / "timing" / "train.csv");
  std::string header, row;
  std::getline(csv, header);
  std::getline(csv, row);
  EXPECT_EQ(row.rfind("0,,,,,,", 0), 0u) << row;
  EXPECT_FALSE(fs::exists(dir_ / "timing" / "samples" / "step_000002.png"));
  EXPECT_GT(t["training"]["peak_rss_bytes"].get<int64_t>(), 0);
  EXPECT_LT(t["training"]["peak_rss_bytes"].get<int64_t>(), a["training"]["peak_rss_bytes"].get<int64_t>());
}

// The arrays of an MVM read run on host threads (simulation.threads); their results merge in a
// fixed order, so one thread and two give the same bits.
TEST_F(Training, ThreadCountDoesNotChangeABit) {
  for (const char* t : {"1", "2"}) {
    const std::string out = std::string("threads") + t;
    const auto r = run(train_args(out, {"--set", std::string("simulation.threads=") + t, "--set", "train.steps=2"}), out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(slurp(dir_ / "threads1" / "train.csv"), slurp(dir_ / "threads2" / "train.csv"));
  EXPECT_EQ(slurp(dir_ / "threads1" / "checkpoint.bin"), slurp(dir_ / "threads2" / "checkpoint.bin"));
  EXPECT_EQ(slurp(dir_ / "threads1" / "power.csv"), slurp(dir_ / "threads2" / "power.csv"));
}

// The crossbar state lives in the tiles: the trainer's arrays move into the placement's slots
// (state as it is: the numerics are the pre-chip golden's), so on a chip the network fits every
// programming pulse of the run lands on cells a tile holds. Time-multiplexed, the first layer
// on each slot is the tile's; the others' arrays stay with the trainer.
TEST_F(Training, TilesHoldTheCrossbarState) {
  const auto fit = run(train_args("fit", {"--set", "train.steps=2"}), "fit");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const json t = report("fit")["training"];
  EXPECT_EQ(t["tiles"]["arrays_holding_weights"], t["placement"]["arrays_used"]);
  EXPECT_EQ(t["tiles"]["arrays_holding_weights"], 88);
  EXPECT_EQ(t["tiles"]["cell_writes_held"], t["write_pulses"]) << "every pulse on a tile's cells";
  const auto mux = run(train_args("mux", {"--set", "train.steps=2", "--set", "arch.tiles=4", "--set",
                                          "arch.mapping.overflow=reprogram"}),
                       "mux");
  ASSERT_EQ(mux.exit_code, 0) << mux.err;
  const json m = report("mux")["training"];
  EXPECT_EQ(m["tiles"]["arrays_holding_weights"], m["placement"]["arrays_used"]);  // every slot some layer uses
  EXPECT_GT(m["tiles"]["cell_writes_held"].get<int64_t>(), 0);
  EXPECT_LT(m["tiles"]["cell_writes_held"].get<int64_t>(), m["write_pulses"].get<int64_t>());
  EXPECT_EQ(numerics(slurp(dir_ / "fit" / "train.csv")), numerics(slurp(dir_ / "mux" / "train.csv")));
}

TEST_F(Training, AChipTooSmallIsExitTwoNamingTheLayers) {
  const auto r = run(train_args("small", {"--set", "arch.tiles=1", "--set", "arch.arrays_per_tile=1"}), "small");
  EXPECT_EQ(r.exit_code, 2);
  for (const char* part : {"arch.tiles", "needs 88 arrays", "the chip has 1 arrays of 128 x 128 cells",
                           "generator.fc 49", "generator.up1 8", "discriminator.fc 25", "arch.mapping.overflow"})
    EXPECT_NE(r.err.find(part), std::string::npos) << part << "\n" << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "small" / "train.csv")) << "nothing is simulated";
  // Reprogramming cannot place a layer larger than the whole chip.
  const auto one = run(train_args("one", {"--set", "arch.tiles=2", "--set", "arch.mapping.overflow=reprogram"}), "one");
  EXPECT_EQ(one.exit_code, 2);
  EXPECT_NE(one.err.find("layer generator.fc alone needs 49 arrays"), std::string::npos) << one.err;
}

// The data set lives in DRAM above the program, scratch above it: a DRAM that cannot hold them
// is an input error naming the keys and the size that would.
TEST_F(Training, ADramTooSmallForTheDataSetIsExitTwo) {
  const auto r = run(train_args("dram", {"--set", "arch.dram.size_mib=1"}), "dram");
  EXPECT_EQ(r.exit_code, 2);
  for (const char* part : {"--set arch.dram.size_mib=1: arch.dram.size_mib: 1 MiB do not hold the program",
                           "the data set (train.images = 96 images of 784 bytes, 0.1 MiB) and 1 MiB of scratch",
                           "raise arch.dram.size_mib to 2 or lower train.images"})
    EXPECT_NE(r.err.find(part), std::string::npos) << part << "\n" << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "dram" / "train.csv")) << "nothing is simulated";
}

// The tiles count every array event of training, and per layer and phase their counts are the
// closed forms of core/mapping (`memgan map` at the same batch) times the operations, for each
// dataflow. The array energy is theirs, at the per-event tables.
TEST_F(Training, TileEventsAreTheMappersClosedFormsForEachDataflow) {
  for (const std::string flow : {"zero_insertion", "zero_free", "pixel_wise"}) {
    const std::string out = "ev_" + flow;
    const auto r = run(train_args(out, {"--set", "train.steps=2", "--set", "simulation.trace.enabled=false", "--set",
                                        "simulation.timeline.enabled=false", "--set", "network.dataflow=" + flow}),
                       out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto m = run({"map", kTrain, "--out", (dir_ / (out + "_map")).string(), "--set", "network.batch=16", "--set",
                        "network.dataflow=" + flow});
    ASSERT_EQ(m.exit_code, 0) << m.err;
    const json mapping = json::parse(slurp(dir_ / (out + "_map") / "mapping.json"));
    const json rep = report(out);
    const json& tr = rep["training"];
    const json& phases = tr["phases"];
    int checked = 0;
    for (const auto& layer : mapping["layers"]) {
      const std::string tag = (layer["model"] == "generator" ? "G." : "D.") + layer["name"].get<std::string>();
      for (const std::string phase : {"forward", "backward_data"}) {
        const std::string label = phase + " " + tag;
        if (!phases.contains(label)) {  // no gradient flows into the latent
          EXPECT_EQ(label, "backward_data G.fc") << flow;
          continue;
        }
        const json& p = phases[label];
        const int64_t ops = p["ops"].get<int64_t>();
        for (const char* k : {"array_reads", "dac_conversions", "adc_conversions"})
          EXPECT_EQ(p["tile_events"][k].get<int64_t>(), ops * layer["counts"][phase][k].get<int64_t>())
              << flow << " " << label << " " << k;
        ++checked;
      }
    }
    EXPECT_EQ(checked, 11) << flow;
    // All of the trainer's conversions happened on tiles; its pulses after the initial
    // programming too.
    EXPECT_EQ(tr["tiles"]["adc_conversions"], tr["adc_conversions"]) << flow;
    // train.csv's step-0 row: the pulses of programming the initial weights (before any step).
    const std::string csv = slurp(dir_ / out / "train.csv");
    const std::string row0 = csv.substr(csv.find('\n') + 1, csv.find('\n', csv.find('\n') + 1) - csv.find('\n') - 1);
    const int64_t initial_pulses = std::stoll(row0.substr(row0.rfind(',') + 1));
    EXPECT_EQ(tr["tiles"]["write_pulses"].get<int64_t>(), tr["write_pulses"].get<int64_t>() - initial_pulses) << flow;
    // The ADCs' energy is booked on the tiles at adc_conversion_pj (2 pJ) per conversion.
    double adc_pj = 0;
    for (const auto& [name, c] : rep["energy"]["components"].items())
      if (name.rfind("tile", 0) == 0 && name.size() > 4 && name.substr(name.size() - 4) == ".adc")
        adc_pj += c["dynamic_pJ"].get<double>();
    EXPECT_NEAR(adc_pj, 2.0 * tr["adc_conversions"].get<double>(), 1e-6 * adc_pj) << flow;
    for (const auto& [name, c] : rep["energy"]["components"].items())
      EXPECT_EQ(name.find("layer_engine.a"), std::string::npos) << "no array work booked off the tiles: " << name;
  }
}

// Every kind of bad input docs/architecture.md lists under "Bad input": exit 2 and a message
// naming the file and where in it (line:column and key for YAML, the field or byte count for
// binaries), never a crash or a silent default.
TEST_F(Cli, EveryKindOfBadInputIsExitTwoNamingWhere) {
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  };
  struct Case {
    std::string kind;
    std::vector<std::string> args;
    std::string expected;  // in stderr
  };
  const std::string syntax = write("syntax.yaml", "arch:\n  clock_mhz: [1\n");
  const std::string type = write("type.yaml", "arch:\n  clock_mhz: fast\n");
  const std::string image = write("magic.bin", std::string(24, 'X'));
  ASSERT_EQ(run_default("img").exit_code, 0);  // a real program image to damage
  std::string program = slurp(dir_ / "img" / "program.bin");
  const std::string truncated = write("truncated.bin", program.substr(0, 20));
  std::string flipped_bytes = program;
  flipped_bytes[20] ^= 0x40;
  const std::string flipped = write("flipped.bin", flipped_bytes);
  const std::string npy = write("x.npy", "garbage");
  const std::string npy_header = write("h.npy", std::string("\x93NUMPY\x01\x00\x10\x00{'descr'", 18));
  const std::vector<Case> cases = {
      {"YAML syntax", {"validate", syntax}, syntax + ":3:1: YAML syntax error"},
      {"value of the wrong type", {"validate", type}, type + ":2:14: arch.clock_mhz: 'fast' is not a number"},
      {"missing config file", {"validate", (dir_ / "none.yaml").string()}, "none.yaml: cannot open the file"},
      {"missing preset", {"validate", kDefault, "--preset", (dir_ / "p.yaml").string()}, "p.yaml: cannot open"},
      {"malformed --set", {"validate", kDefault, "--set", "arch.adc.bits"}, "--set arch.adc.bits: expected key.path=value"},
      {"unknown --set key", {"validate", kDefault, "--set", "arch.adc.bitz=3"}, "unknown key 'arch.adc.bitz'"},
      {"program image magic", {"disasm", image}, image + ": bad magic 0x58585858"},
      {"truncated program image", {"disasm", truncated}, truncated + ": "},
      {"program image checksum", {"disasm", flipped}, flipped + ": checksum mismatch"},
      {"not a .npy file", {"layer", "linear", "--input", npy, "--weight", npy, "-c", kDefault, "--out",
                           (dir_ / "l").string()}, npy + ": not a .npy file"},
      {"truncated .npy header", {"layer", "linear", "--input", npy_header, "--weight", npy_header, "-c", kDefault,
                                 "--out", (dir_ / "l").string()}, npy_header + ": truncated .npy header"},
      {"unknown command-line value", {"run", kDefault, "--log-level", "loud"}, "--log-level: loud not in"},
  };
  for (const Case& c : cases) {
    const auto r = run(c.args, "bad");
    EXPECT_EQ(r.exit_code, 2) << c.kind << ": " << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.kind << ": expected '" << c.expected << "' in\n" << r.err;
  }
}

// A corrupted checkpoint is bad input too: --resume names checkpoint.bin and what is wrong.
TEST_F(Training, CorruptCheckpointIsExitTwoNamingTheFile) {
  ASSERT_EQ(run(train_args("part", {"--stop-at-step", "2"}), "part").exit_code, 130);
  const fs::path bin = dir_ / "part" / "checkpoint.bin";
  const std::string bytes = slurp(bin);
  ASSERT_GT(bytes.size(), 64u);
  std::ofstream(bin, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const auto truncated = run(train_args("t", {"--resume", (dir_ / "part").string()}), "t");
  EXPECT_EQ(truncated.exit_code, 2) << truncated.err;
  EXPECT_NE(truncated.err.find(bin.string() + ": cannot resume"), std::string::npos) << truncated.err;
  std::ofstream(dir_ / "part" / "checkpoint.json") << "{\"step\": ";
  const auto json_bad = run(train_args("j", {"--resume", (dir_ / "part").string()}), "j");
  EXPECT_EQ(json_bad.exit_code, 2) << json_bad.err;
  EXPECT_NE(json_bad.err.find("checkpoint"), std::string::npos) << json_bad.err;
}
