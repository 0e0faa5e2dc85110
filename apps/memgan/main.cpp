// memgan: command-line front end of the virtual platform.
//   memgan run CONFIG [--out DIR] [--set key.path=value ...]
//   memgan validate CONFIG [--set ...] [--print]
//   memgan disasm IMAGE
// Exit codes: 0 ok, 1 internal error, 2 bad input, 130 interrupted.
#include <cstdlib>
#include <malloc.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <systemc>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/config/loader.h"
#include "apps/memgan/network_commands.h"
#include "core/report/html_report.h"
#include "core/report/power_summary.h"
#include "spec/isa/cmd_decoder.h"
#include "spec/regs/layer_engine.h"
#include "spec/memory_map.h"
#include "platform/run.h"
#include "platform/sweep_run.h"
#include "core/train/train_ops.h"
#include "core/util/interrupt.h"

#ifndef MEMGAN_VERSION
#define MEMGAN_VERSION "0.0.0"
#endif

namespace {

constexpr int kOk = 0, kInternal = 1, kBadInput = 2;

std::string default_out_dir(const std::string& config_path) {
  return (std::filesystem::path("traces") / std::filesystem::path(config_path).stem()).string();
}

}  // namespace

int memgan_main(int argc, char** argv) {
  CLI::App app{"memgan: SystemC/TLM-2.0 virtual platform of a ReRAM crossbar accelerator that trains GANs"};
  app.set_version_flag("--version", std::string("memgan ") + MEMGAN_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 internal error, 2 bad input, 130 interrupted (Ctrl-C).\n"
             "Example: memgan run configs/default.yaml --set job.batch=64");

  std::string config_path, out_dir, image_path;
  std::vector<std::string> overrides, presets;
  bool print_resolved = false;

  auto* run = app.add_subcommand("run", "simulate the SoC on a config and write traces, power log and report");
  run->add_option("config", config_path, "YAML config (e.g. configs/default.yaml)")->required();
  run->add_option("--out,-o", out_dir, "output folder (default: traces/<config name>)");
  bool quiet = false;
  run->add_flag("--quiet,-q", quiet, "no progress bar or progress lines");
  run->add_option("--preset,-p", presets, "apply a preset file after CONFIG, e.g. configs/devices/ideal.yaml (repeatable)");
  run->add_option("--set,-s", overrides, "override a key, e.g. --set arch.adc.bits=6 (repeatable, applied last)");
  std::string resume_dir;
  int64_t stop_at_step = 0;
  run->add_option("--resume,-r", resume_dir,
                  "training: continue from the checkpoint in this run folder (the same config; outputs go to --out)");
  run->add_option("--stop-at-step", stop_at_step,
                  "training: stop as Ctrl-C would right after the checkpoint at or past this step")
      ->check(CLI::PositiveNumber);
  std::string log_level;
  run->add_option("--log-level", log_level, "messages on stderr: error | warning (default) | info | debug "
                                            "(as simulation.log_level)")
      ->check(CLI::IsMember({"error", "warning", "info", "debug"}));

  auto* validate = app.add_subcommand("validate", "check a config; print errors with file:line:column");
  validate->add_option("config", config_path, "YAML config")->required();
  validate->add_option("--preset,-p", presets, "apply a preset file after CONFIG (repeatable)");
  validate->add_option("--set,-s", overrides, "override a key (repeatable)");
  validate->add_flag("--print", print_resolved, "print the resolved config with every key documented");

  auto* disasm = app.add_subcommand("disasm", "list the commands of a controller program image");
  disasm->add_option("image", image_path, "program image file")->required();

  std::string run_dir;
  auto* power = app.add_subcommand("power", "energy breakdown by component and the peak power window of a run");
  power->add_option("run_dir", run_dir, "a run's output folder (with power.csv)")->required();
  auto* report = app.add_subcommand("report", "(re)write report.html of a run or compare folder");
  report->add_option("run_dir", run_dir, "the output folder")->required();

  std::string dataflow;
  auto* map = app.add_subcommand("map", "map CONFIG's network onto the arrays: table on stdout, mapping.json");
  map->add_option("config", config_path, "YAML config with a network section")->required();
  map->add_option("--dataflow", dataflow, "zero_insertion | zero_free | pixel_wise (default: network.dataflow)");
  map->add_option("--out,-o", out_dir, "output folder (default: traces/<config name>)");
  map->add_option("--preset,-p", presets, "apply a preset file after CONFIG (repeatable)");
  map->add_option("--set,-s", overrides, "override a key (repeatable)");

  std::string dataflows = "zero_insertion,zero_free,pixel_wise";
  auto* compare = app.add_subcommand(
      "compare", "time and energy of CONFIG's network under each dataflow, with speedups over zero_insertion");
  compare->add_option("config", config_path, "YAML config with a network section")->required();
  compare->add_option("--dataflows", dataflows, "comma-separated dataflows")->capture_default_str();
  compare->add_option("--out,-o", out_dir, "output folder for compare.csv and compare.json (default: traces/<config name>)");
  compare->add_option("--preset,-p", presets, "apply a preset file after CONFIG (repeatable)");
  compare->add_option("--set,-s", overrides, "override a key (repeatable)");
  compare->add_flag("--quiet,-q", quiet, "no progress bar or progress lines");
  int jobs = 2;
  compare->add_option("--jobs,-j", jobs, "training-step runs at once (one process each)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));

  std::string sweep_path, engine = "local";
  auto* sweep = app.add_subcommand(
      "sweep", "run every point of a sweep file (configs/sweeps/) on the simulated platform and merge the results");
  sweep->add_option("sweep", sweep_path, "sweep YAML: base config, cross and/or zip axes")->required();
  sweep->add_option("--out,-o", out_dir, "output folder (default: traces/<sweep name>)");
  sweep->add_option("--jobs,-j", jobs, "points at once")->capture_default_str()->check(CLI::Range(1, 4096));
  sweep->add_option("--engine", engine, "local (process pool) | parallel (GNU parallel) | slurm (sbatch job array)")
      ->capture_default_str()
      ->check(CLI::IsMember({"local", "parallel", "slurm"}));
  sweep->add_flag("--quiet,-q", quiet, "no progress lines");

  memgan::cli::LayerArgs layer_args;
  auto* layer = app.add_subcommand(
      "layer", "run one layer through the modeled arrays on .npy operands (PyTorch layouts), write .npy results");
  layer->add_option("type", layer_args.type, "conv2d | conv_transpose2d | linear")
      ->required()
      ->check(CLI::IsMember({"conv2d", "conv_transpose2d", "linear"}));
  layer->add_option("--input", layer_args.input, "input .npy (N x C x H x W, or N x in_features)")->required();
  layer->add_option("--weight", layer_args.weight, "weight .npy in PyTorch's layout")->required();
  layer->add_option("--bias", layer_args.bias, "bias .npy");
  layer->add_option("--grad-output", layer_args.grad_output, "output gradient .npy: also compute the gradients");
  layer->add_option("--stride", layer_args.stride, "stride")->check(CLI::PositiveNumber);
  layer->add_option("--padding", layer_args.padding, "padding")->check(CLI::NonNegativeNumber);
  layer->add_option("--output-padding", layer_args.output_padding, "output padding (conv_transpose2d)")
      ->check(CLI::NonNegativeNumber);
  layer->add_option("--dataflow", dataflow, "zero_insertion | zero_free | pixel_wise (default: network.dataflow)");
  layer->add_option("--config,-c", config_path, "config for the arrays and devices")
      ->default_str("configs/default.yaml");
  layer->add_option("--preset,-p", presets, "apply a preset file after the config (repeatable)");
  layer->add_option("--set,-s", overrides, "override a key (repeatable)");
  layer->add_option("--out,-o", layer_args.out_dir, "output folder")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kOk : kBadInput;
  }
  // Applied last, like --set: the command line wins over the config file.
  if (!log_level.empty()) overrides.push_back("simulation.log_level=" + log_level);

  try {
    if (*validate) {
      const auto loaded = memgan::config::load_config(config_path, overrides, presets);
      if (print_resolved) std::cout << memgan::config::dump_yaml(loaded.config, true);
      else std::cout << config_path << ": ok\n";
      return kOk;
    }
    if (*disasm) {
      std::ifstream f(image_path, std::ios::binary);
      if (!f) {
        std::cerr << "error: " << image_path << ": cannot open\n";
        return kBadInput;
      }
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      // Name the training operation behind each write to the layer engine's CMD register.
      const auto annotate = [](const memgan::firmware::Command& c) -> std::string {
        if (c.op != memgan::firmware::Opcode::Write32 ||
            c.a != memgan::memory_map::kLayerEngineBase + memgan::layer_engine_reg::kCmd)
          return {};
        const auto op = memgan::train::decode_train_op(c.b);
        return op ? "layer engine: " + memgan::train::describe(*op) : "layer engine: not a training operation";
      };
      std::cout << memgan::firmware::disassemble_image(bytes, annotate);
      return kOk;
    }
    if (*power) {
      try {
        return memgan::report::power_command(run_dir, std::cout);
      } catch (const std::runtime_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return kBadInput;
      }
    }
    if (*report) {
      try {
        const std::string html = (std::filesystem::path(run_dir) / "report.html").string();
        memgan::report::write_html_report(run_dir, html);
        std::cout << "report   " << html << "\n";
        return kOk;
      } catch (const std::runtime_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return kBadInput;
      }
    }
    if (*map || *compare || *layer) {
      if (*layer && config_path.empty()) config_path = "configs/default.yaml";
      if (!dataflow.empty()) overrides.push_back("network.dataflow=" + dataflow);
      const auto loaded = memgan::config::load_config(config_path, overrides, presets);
      if (*layer) return memgan::cli::layer_command(loaded, layer_args, std::cout);
      const std::string dir = out_dir.empty() ? default_out_dir(config_path) : out_dir;
      if (*map) return memgan::cli::map_command(loaded, dir, std::cout);
      std::vector<std::string> names;
      std::stringstream ss(dataflows);
      for (std::string n; std::getline(ss, n, ',');) names.push_back(n);
      return memgan::cli::compare_command(loaded, names, dir, std::cout, quiet, jobs);
    }
    if (*sweep) {
      memgan::SweepOptions options;
      options.out_dir = out_dir;
      options.jobs = jobs;
      options.engine = engine;
      options.quiet = quiet;
      return memgan::run_sweep(sweep_path, options, std::cout, std::cerr);
    }
    if (*run) {
      const auto loaded = memgan::config::load_config(config_path, overrides, presets);
      memgan::install_interrupt_handler();
      memgan::RunOptions options;
      options.out_dir = out_dir.empty() ? default_out_dir(config_path) : out_dir;
      options.version = MEMGAN_VERSION;
      options.quiet = quiet;
      options.resume_dir = resume_dir;
      options.stop_at_step = stop_at_step;
      return memgan::run_platform(loaded, options, std::cout, std::cerr);
    }
  } catch (const memgan::config::ConfigError& e) {
    for (const auto& m : e.messages()) std::cerr << "error: " << m << "\n";
    return kBadInput;
  } catch (const memgan::firmware::ImageError& e) {
    std::cerr << "error: " << image_path << ": " << e.what() << "\n";
    return kBadInput;
  } catch (const memgan::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kBadInput;
  } catch (const sc_core::sc_report& e) {
    // An exception thrown inside a SystemC process arrives wrapped: say only what it was.
    std::string what = e.get_msg();
    const std::string wrapper = "uncaught exception: ";
    if (what.rfind(wrapper, 0) == 0) what.erase(0, wrapper.size());
    std::cerr << "error: " << what << " (in " << (e.get_process_name() ? e.get_process_name() : "elaboration")
              << " at " << e.get_time() << ")\n";
    return kInternal;
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return kInternal;
  }
  return kInternal;
}

// Our own main rather than SystemC's: its banner would be printed before we could stop it.
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  // A training step allocates and frees the same large tensors again and again; served by
  // mmap each time they cost page faults and zeroed pages (a tenth of an analog step). Keep
  // them in the heap and the freed memory with the process.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return memgan_main(argc, argv);
}

// libsystemc.so refers to sc_main; memgan enters through main() above.
int sc_main(int argc, char** argv) { return memgan_main(argc, argv); }
