#include "platform/train_checkpoint.h"

#include "core/util/atomic_file.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "platform/run_common.h"

namespace memgan {
namespace {

using namespace run_detail;

}  // namespace

Progression resume_checkpoint(const std::string& resume_dir, const config::Config& cfg, train::OpExecutor& trainer) {
  Progression start;
  const fs::path rdir(resume_dir);
  try {
    const auto meta = nlohmann::json::parse(read_text(rdir / "checkpoint.json"));
    start.step = meta.at("step").get<int64_t>();
    start.time_ns = meta.at("sim_time_ns").get<double>();
    start.energy_pj = meta.at("energy_pj").get<double>();
    start.csv = meta.at("train_csv").get<std::string>();
    if (meta.contains("resident_layers")) start.resident_layers = meta.at("resident_layers").get<std::vector<int>>();
    std::istringstream in(read_text(rdir / "checkpoint.bin"));
    trainer.load(in);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(fmt::format("{}: cannot resume: {}", (rdir / "checkpoint.bin").string(), e.what()));
  }
  if (trainer.steps_done() != start.step)
    throw InputError(fmt::format("{}: checkpoint.json says step {}, checkpoint.bin step {}", rdir.string(), start.step,
                                 trainer.steps_done()));
  if (start.step >= cfg.train.steps)
    throw InputError(fmt::format("{}: the checkpoint is at step {}, train.steps is {}: nothing left to run",
                                 rdir.string(), start.step, cfg.train.steps));
  return start;
}

void save_checkpoint(const fs::path& dir, const train::OpExecutor& trainer, const Progression& at,
                     const std::string& config_file) {
  std::ostringstream bytes;
  trainer.save(bytes);
  write_file_atomically((dir / "checkpoint.bin").string(), bytes.str());
  const nlohmann::json meta = {{"step", at.step},           {"sim_time_ns", at.time_ns},
                               {"energy_pj", at.energy_pj}, {"train_csv", at.csv},
                               {"resident_layers", at.resident_layers}, {"config_file", config_file}};
  write_file_atomically((dir / "checkpoint.json").string(), meta.dump(1) + "\n");
}

}  // namespace memgan
