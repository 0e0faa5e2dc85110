// One self-contained report.html for a run folder: inline CSS and inline SVG charts, no
// scripts, no network, no external fonts or images (a sample grid is embedded as a
// base64 data URI), so it opens anywhere and archives with the run.
//
// Sections, each present only when its input file is in the folder:
//   report.json  summary cards, configuration (key facts + the full resolved config),
//                energy per component, one table + bar chart per "energy_by_<what>_pJ"
//                map (by kind today; by phase when a run reports it), counts, result check
//                A training run's "training" object adds a Training section right after
//                the summary: a table of its figures, charts of score, D/G loss, D(real)/
//                D(fake) and cumulative energy per evaluation (from train.csv when it has
//                those columns, as it keeps the steps before a resume, else the "curve";
//                step 0 is left out of the loss and D charts: its zeros are placeholders,
//                no step has run), the first and last grid embedded (a missing one is
//                said on the page), and time / energy per layer and phase ("phases").
//                That section replaces the train.csv and Samples sections below.
//   power.csv    power over time (total and the top kinds; <= 2000 points per line) and
//                the peak window
//   train.csv    training curves: every column with "loss" in its name on one chart, the
//                other columns (scores, which may have empty cells) on a second; x is
//                "step" if present, else the first column
//   samples/*.png  the last sample grid (natural order of file names: step_900 < step_1000)
//   compare.json dataflow comparison (memgan compare): totals per dataflow and phase with
//                speedup and energy saving, and every layer in a folded table
#pragma once

#include <string>

namespace memgan::report {

// The page as text. Throws std::runtime_error naming the file for an input that is
// malformed, or the folder when it holds none of the inputs above.
std::string render_html_report(const std::string& run_dir);

// render_html_report written to `out_path`; throws std::runtime_error naming it.
void write_html_report(const std::string& run_dir, const std::string& out_path);

}  // namespace memgan::report
