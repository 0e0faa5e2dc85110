// Pieces shared by the run drivers (run.cpp: the MVM job; train_run.cpp: GAN training).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/loader.h"
#include "models/controller/controller.h"
#include "core/observe/observer.h"
#include "platform/run.h"
#include "core/trace/trace_filter.h"
#include "core/trace/trace_writer.h"

namespace memgan {

// job.kind train (train_run.cpp).
int run_training(const config::LoadedConfig& cfg, const RunOptions& options, std::ostream& out, std::ostream& err);

namespace run_detail {
namespace fs = std::filesystem;

bool ideal_device(const config::DeviceConfig& d);
// InputError when arch.rtl.* asks for an RTL block this build lacks (MEMGAN_WITH_RTL off).
void require_rtl_blocks(const config::LoadedConfig& loaded);
// Energy grouped by the kind of block: the last name component ("tile0.xbar0.adc" -> "adc").
std::map<std::string, double> energy_by_kind(const nlohmann::json& components);
void write_text(const fs::path& path, const std::string& text);  // throws InputError
std::string read_text(const fs::path& path);                     // throws InputError
std::string si(double value, const char* unit);                  // "4.95 uJ"
const char* outcome_name(Controller::Outcome o);
std::unique_ptr<trace::TraceWriter> open_trace(const config::Config& cfg, const fs::path& path);
trace::SignalFilter signal_filter(const config::LoadedConfig& loaded);
void write_gtkw(const RunObserver& observer, const std::string& trace_file, const fs::path& path);

// The run folder (created if missing) with the resolved config.yaml in it.
void prepare_run_dir(const fs::path& dir, const config::Config& cfg, const std::string& version);
// "trace.vcd" or "trace.fst".
std::string trace_file_name(const config::Config& cfg);
// The run's observer (power ledger, trace, timeline in `dir`) and the SystemC kernel settings
// (quantum, quiet sc_stop); before the SoC, whose probes declare their signals as it is built.
std::unique_ptr<RunObserver> start_observer(const config::LoadedConfig& loaded, const fs::path& dir);
// After the run: power.csv and, with a trace, memgan.gtkw; adds them to `files`.
void write_observer_outputs(const RunObserver& observer, const config::Config& cfg, const fs::path& dir,
                            uint64_t end_ps, std::vector<std::string>& files);
// report.json keys every run has: version, config, outcome, simulated time, energy, trace, timeline.
nlohmann::json common_report(const config::LoadedConfig& loaded, const std::string& version, const Controller& ctl,
                             uint64_t end_ps, RunObserver& observer);
}  // namespace run_detail

}  // namespace memgan
