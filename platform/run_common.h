// Pieces shared by the run drivers (run.cpp: the MVM job; train_run.cpp: GAN training).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "controller/controller.h"
#include "observe/observer.h"
#include "run.h"
#include "trace/trace_filter.h"
#include "trace/trace_writer.h"

namespace memgan {

// job.kind train (train_run.cpp).
int run_training(const config::LoadedConfig& cfg, const RunOptions& options, std::ostream& out, std::ostream& err);

namespace run_detail {
namespace fs = std::filesystem;

bool ideal_device(const config::DeviceConfig& d);
// Energy grouped by the kind of block: the last name component ("tile0.xbar0.adc" -> "adc").
std::map<std::string, double> energy_by_kind(const nlohmann::json& components);
void write_text(const fs::path& path, const std::string& text);  // throws InputError
std::string si(double value, const char* unit);                  // "4.95 uJ"
const char* outcome_name(Controller::Outcome o);
std::unique_ptr<trace::TraceWriter> open_trace(const config::Config& cfg, const fs::path& path);
trace::SignalFilter signal_filter(const config::LoadedConfig& loaded);
void write_gtkw(const RunObserver& observer, const std::string& trace_file, const fs::path& path);
}  // namespace run_detail

}  // namespace memgan
