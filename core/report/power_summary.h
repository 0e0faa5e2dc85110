// What a run spent, from its folder: power.csv (per power window: dynamic and leakage watts
// per component, total watts, cumulative energy) and, for context, report.json. Backs
// `memgan power RUN_DIR` and the power section of the HTML report.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace memgan::report {

// power.csv as written by EnergyLedger::write_power_csv. Throws std::runtime_error naming
// the file and line for a header that is not window_start_ns,window_end_ns,
// (<comp>_dyn_W,<comp>_leak_W)*,total_W,cumulative_energy_pJ, a short or long row, a cell
// that is not a finite number, or windows that are empty or go back in time.
struct PowerLog {
  std::vector<std::string> components;          // in column order
  std::vector<double> start_ns, end_ns;         // per window
  std::vector<std::vector<double>> dyn_w, leak_w;  // [component][window]
  std::vector<double> total_w, cumulative_pj;   // per window
};
PowerLog read_power_csv(const std::string& path);

struct ComponentEnergy {
  std::string name;
  double dynamic_pj = 0, leakage_pj = 0, total_pj = 0;
  double share = 0;  // of the run's total energy, 0..1
};

struct PeakWindow {
  size_t index = 0;
  double start_ns = 0, end_ns = 0, total_w = 0;
  std::vector<ComponentEnergy> top;  // largest power first; total_pj here is W * window
};

struct PowerSummary {
  std::vector<ComponentEnergy> components;  // largest total first, ties by name
  std::vector<ComponentEnergy> kinds;       // grouped by last name part ("tile0.xbar0.adc" -> "adc")
  double dynamic_pj = 0, leakage_pj = 0, total_pj = 0;
  double duration_ns = 0, average_w = 0;
  size_t windows = 0;
  PeakWindow peak;  // first window of highest total power
};

// Energies are window power x window length summed over the log (exact to the CSV's 12
// significant digits). `top` contributors are listed for the peak window.
PowerSummary summarize_power(const PowerLog& log, size_t top = 5);

// Breakdown table, by-kind table and peak window, as text for a terminal.
void print_power_summary(const PowerSummary& summary, std::ostream& out);

// `memgan power RUN_DIR`: reads RUN_DIR/power.csv (required) and RUN_DIR/report.json (if
// present: names the run, and its energy total is checked against the CSV's), prints the
// summary and returns 0. Throws std::runtime_error with a message naming the file.
int power_command(const std::string& run_dir, std::ostream& out);

}  // namespace memgan::report
