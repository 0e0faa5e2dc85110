#include "core/report/html_report.h"

#include "core/util/atomic_file.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/report/power_summary.h"
#include "core/report/report_io.h"
#include "core/report/svg_chart.h"

namespace memgan::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kMaxChartPoints = 2000;
constexpr uintmax_t kMaxSampleBytes = 16u << 20;  // beyond this the page would be mostly one image: say so instead

const char* const kCss = R"(
:root{--fg:#1d2430;--muted:#5b6575;--line:#d9dee6;--bg:#f6f7f9;--card:#fff;--accent:#0072B2;--ok:#1a7f37;--bad:#c62828}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{background:#1d2430;color:#fff;padding:20px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;color:#c5ccd8;font-size:13px;word-break:break-all}
nav{background:#fff;border-bottom:1px solid var(--line);padding:8px 32px;position:sticky;top:0}
nav a{color:var(--accent);text-decoration:none;margin-right:18px;font-size:14px}
main{max-width:1040px;margin:0 auto;padding:8px 24px 40px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:18px 0}
h2{font-size:18px;margin:0 0 12px}
h3{font-size:15px;margin:18px 0 8px;color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.card .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:20px;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}
table.kv{width:auto;min-width:420px}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:2px 18px;margin:0 0 8px}
dl.facts div{display:flex;justify-content:space-between;border-bottom:1px solid var(--line);padding:3px 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafbfc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:600;border-top:2px solid var(--fg)}
.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}.muted{color:var(--muted)}
.error{border-left:4px solid var(--bad);background:#fdecea;padding:8px 12px}
details summary{cursor:pointer;color:var(--accent);margin:8px 0}
.chart{max-width:100%;height:auto;display:block}
.chart text{font-size:12px;fill:var(--fg)}.chart .label{font-size:13px;fill:var(--muted)}
.chart .grid{stroke:#e6e9ee}.chart .axis{stroke:#8a93a3}.chart .frame{fill:none;stroke:#8a93a3}
img.samples{image-rendering:pixelated;max-width:100%;height:auto;border:1px solid var(--line)}
.grids{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.grids figure{margin:0}.grids figcaption{font-size:13px;color:var(--muted)}
footer{text-align:center;color:var(--muted);font-size:12px;padding:12px}
)";

std::string esc(const std::string& s) { return html_escape(s); }
std::string joule(double pj) { return si(pj * 1e-12, "J"); }
std::string pct(double share) { return fmt::format("{:.1f}%", 100 * share); }

// 1234567 -> "1 234 567" (thin spaces: readable, no locale).
std::string grouped(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += "&#8201;";
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

std::string json_scalar(const json& v) {
  if (v.is_string()) return esc(v.get<std::string>());
  if (v.is_number_integer()) return grouped(v.get<int64_t>());
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  return esc(v.dump());
}

// "arch.adc.bits" -> value, depth first, for the full configuration table.
void flatten(const json& j, const std::string& prefix, std::vector<std::pair<std::string, const json*>>& out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else {
    out.emplace_back(prefix, &j);
  }
}

// Natural order so step_900.png sorts before step_1000.png.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      std::string na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie, j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

std::string base64(const std::string& bytes) {
  static const char* const kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// Picks a prefix for a chart axis so tick labels stay short: (factor, "mW").
std::pair<double, std::string> axis_unit(double max_abs, const std::string& unit) {
  static const std::pair<double, const char*> kPrefixes[] = {{1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""},
                                                             {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}, {1e-12, "p"}};
  for (const auto& [scale, prefix] : kPrefixes) {
    if (max_abs >= scale) return {1 / scale, prefix + unit};
  }
  return {1, unit};
}

class Page {
 public:
  void section(const std::string& id, const std::string& title, const std::string& body) {
    nav_ += fmt::format("<a href=\"#{}\">{}</a>", id, esc(title));
    body_ += fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n{}</section>\n", id, esc(title), body);
  }
  std::string html(const std::string& title, const std::string& subtitle) const {
    return fmt::format("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       "<title>{0}</title>\n<style>{1}</style>\n</head>\n<body>\n"
                       "<header><h1>{0}</h1><p>{2}</p></header>\n<nav>{3}</nav>\n<main>\n{4}</main>\n"
                       "<footer>Generated by memgan. Self-contained: no scripts, no network.</footer>\n"
                       "</body>\n</html>\n",
                       esc(title), kCss, subtitle, nav_, body_);
  }
  bool empty() const { return body_.empty(); }

 private:
  std::string nav_, body_;
};

struct Table {
  // (name, numeric); a two-column key/value table is "kv" (as wide as its content).
  explicit Table(std::vector<std::pair<std::string, bool>> columns) {
    text = columns.size() == 2 ? "<table class=\"kv\"><thead><tr>" : "<table><thead><tr>";
    for (const auto& [name, numeric] : columns) {
      text += fmt::format("<th{}>{}</th>", numeric ? " class=\"num\"" : "", esc(name));
      numeric_.push_back(numeric);
    }
    text += "</tr></thead><tbody>\n";
  }
  // Cells are HTML already (callers escape text).
  void row(const std::vector<std::string>& cells, const char* cls = nullptr) {
    text += cls ? fmt::format("<tr class=\"{}\">", cls) : "<tr>";
    for (size_t i = 0; i < cells.size(); ++i) {
      text += fmt::format("<td{}>{}</td>", i < numeric_.size() && numeric_[i] ? " class=\"num\"" : "", cells[i]);
    }
    text += "</tr>\n";
  }
  std::string done() const { return text + "</tbody></table>\n"; }

  std::string text;

 private:
  std::vector<bool> numeric_;
};

std::string card(const std::string& key, const std::string& value_html) {
  return fmt::format("<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div></div>", esc(key), value_html);
}

std::string check_badge(const json& check) {
  if (!check.value("checked", false)) return "<span class=\"muted\">not checked</span>";
  if (!check.value("bound_applies", false)) return "<span class=\"muted\">no bound (non-ideal)</span>";
  return check.value("outside_bound", int64_t{0}) == 0 ? "<span class=\"ok\">within bound</span>"
                                                       : "<span class=\"bad\">outside bound</span>";
}

void summary_section(Page& page, const json& r, const PowerSummary* power) {
  std::string body = "<div class=\"cards\">";
  const std::string outcome = r.value("outcome", "");
  body += card("outcome", fmt::format("<span class=\"{}\">{}</span>", outcome == "completed" ? "ok" : "bad", esc(outcome)));
  body += card("simulated time", esc(si(r.at("simulated_time_ns").get<double>() * 1e-9, "s")));
  const json& totals = r.at("energy").at("totals");
  body += card("energy", esc(joule(totals.at("total_pJ").get<double>())));
  body += card("average power", esc(si(totals.at("average_power_W").get<double>(), "W")));
  if (power) body += card("peak power", esc(si(power->peak.total_w, "W")));
  if (r.contains("result_check")) body += card("result check", check_badge(r["result_check"]));
  body += "</div>\n";
  if (r.contains("error") && r["error"].is_string() && !r["error"].get<std::string>().empty()) {
    body += fmt::format("<p class=\"error\">{}</p>\n", esc(r["error"].get<std::string>()));
  }
  page.section("summary", "Summary", body);
}

void config_section(Page& page, const json& r) {
  const json& cfg = r.at("config");
  // The figures an architect looks for first; absent keys are skipped.
  static const std::pair<const char*, const char*> kFacts[] = {
      {"/job/kind", "job"},          {"/job/rows", "job rows"},         {"/job/cols", "job cols"},
      {"/job/batch", "batch"},       {"/arch/tiles", "tiles"},          {"/arch/arrays_per_tile", "arrays per tile"},
      {"/arch/array/rows", "array rows"}, {"/arch/array/cols", "array cols"}, {"/arch/clock_mhz", "clock (MHz)"},
      {"/arch/input_bits", "input bits"}, {"/arch/weight_bits", "weight bits"}, {"/arch/cell_bits", "cell bits"},
      {"/arch/dac_bits", "DAC bits"}, {"/arch/adc/bits", "ADC bits"},   {"/arch/quantize", "quantized"},
      {"/simulation/seed", "seed"},  {"/simulation/power_window_ns", "power window (ns)"}};
  std::string facts = "<dl class=\"facts\">";
  for (const auto& [pointer, label] : kFacts) {
    const json::json_pointer p(pointer);
    if (cfg.contains(p)) facts += fmt::format("<div><dt>{}</dt><dd>{}</dd></div>", esc(label), json_scalar(cfg.at(p)));
  }
  facts += "</dl>\n";
  std::vector<std::pair<std::string, const json*>> flat;
  flatten(cfg, "", flat);
  Table all({{"key", false}, {"value", true}});
  for (const auto& [key, value] : flat) all.row({"<code>" + esc(key) + "</code>", json_scalar(*value)});
  page.section("config", "Configuration",
               fmt::format("<p>{} &middot; memgan {}</p>\n{}<details><summary>Full resolved configuration ({} keys)"
                           "</summary>\n{}</details>\n",
                           esc(r.value("config_file", "")), esc(r.value("memgan_version", "")), facts,
                           flat.size(), all.done()));
}

std::string breakdown(const std::map<std::string, double>& pj, double total_pj, const std::string& what) {
  std::vector<std::pair<std::string, double>> sorted(pj.begin(), pj.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<Bar> bars;
  Table table({{what, false}, {"energy", true}, {"share", true}});
  for (const auto& [name, e] : sorted) {
    const double share = total_pj > 0 ? e / total_pj : 0;
    bars.push_back({name, e, joule(e) + "  " + pct(share)});
    table.row({esc(name), esc(joule(e)), pct(share)});
  }
  return svg_bar_chart(bars) + "<details><summary>As a table</summary>\n" + table.done() + "</details>\n";
}

void energy_section(Page& page, const json& r) {
  const json& energy = r.at("energy");
  const double total = energy.at("totals").at("total_pJ").get<double>();
  std::string body;
  // energy_by_kind_pJ, and any other energy_by_<what>_pJ a run reports (e.g. phase).
  for (const auto& [key, value] : r.items()) {
    const std::string prefix = "energy_by_", suffix = "_pJ";
    if (key.rfind(prefix, 0) != 0 || key.size() <= prefix.size() + suffix.size() ||
        key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0 || !value.is_object()) {
      continue;
    }
    const std::string what = key.substr(prefix.size(), key.size() - prefix.size() - suffix.size());
    std::map<std::string, double> pj;
    for (const auto& [name, e] : value.items()) pj[name] = e.get<double>();
    body += fmt::format("<h3>By {}</h3>\n", esc(what)) + breakdown(pj, total, what);
  }
  std::vector<std::pair<std::string, json>> comps;
  for (const auto& [name, c] : energy.at("components").items()) comps.emplace_back(name, c);
  std::stable_sort(comps.begin(), comps.end(), [](const auto& a, const auto& b) {
    return a.second.at("total_pJ").template get<double>() > b.second.at("total_pJ").template get<double>();
  });
  Table table({{"component", false}, {"dynamic", true}, {"leakage", true}, {"total", true}, {"share", true},
               {"events", true}, {"leakage power", true}});
  for (const auto& [name, c] : comps) {
    const double t = c.at("total_pJ").get<double>();
    table.row({esc(name), esc(joule(c.at("dynamic_pJ").get<double>())), esc(joule(c.at("leakage_pJ").get<double>())),
               esc(joule(t)), pct(total > 0 ? t / total : 0), grouped(c.at("events").get<int64_t>()),
               esc(si(c.at("leakage_mW").get<double>() * 1e-3, "W"))});
  }
  const json& tot = energy.at("totals");
  table.row({"total", esc(joule(tot.at("dynamic_pJ").get<double>())), esc(joule(tot.at("leakage_pJ").get<double>())),
             esc(joule(total)), pct(total > 0 ? 1 : 0), grouped(tot.at("events").get<int64_t>()), ""},
            "total");
  page.section("energy", "Energy", body + "<h3>By component</h3>\n" + table.done());
}

void power_section(Page& page, const PowerLog& log, const PowerSummary& s) {
  // Step lines (a window's power holds over the window), downsampled keeping peaks.
  const auto steps = [&](const std::string& name, const std::vector<double>& w) {
    Series out{name, {}, {}};
    for (size_t i = 0; i < w.size(); ++i) {
      for (double t : {log.start_ns[i], log.end_ns[i]}) {
        out.x.push_back(t * 1e-3);
        out.y.push_back(w[i]);
      }
    }
    return downsample(out, kMaxChartPoints);
  };
  LineChart chart{"time (us)", "", {steps("total", log.total_w)}};
  // The four kinds of block that spent the most, each summed over its components.
  for (size_t k = 0; k < std::min<size_t>(4, s.kinds.size()); ++k) {
    std::vector<double> w(log.total_w.size(), 0.0);
    for (size_t c = 0; c < log.components.size(); ++c) {
      const auto dot = log.components[c].rfind('.');
      const std::string kind = dot == std::string::npos ? log.components[c] : log.components[c].substr(dot + 1);
      if (kind != s.kinds[k].name) continue;
      for (size_t i = 0; i < w.size(); ++i) w[i] += log.dyn_w[c][i] + log.leak_w[c][i];
    }
    chart.series.push_back(steps(s.kinds[k].name, w));
  }
  const auto [scale, unit] = axis_unit(*std::max_element(log.total_w.begin(), log.total_w.end()), "W");
  for (auto& series : chart.series) {
    for (double& y : series.y) y *= scale;
  }
  chart.y_label = "power (" + unit + ")";
  Table peak({{"component", false}, {"power", true}, {"share of window", true}});
  for (const auto& c : s.peak.top) peak.row({esc(c.name), esc(si(c.share * s.peak.total_w, "W")), pct(c.share)});
  page.section("power", "Power over time",
               fmt::format("<p>{} windows over {}; average {}. Lines show the total and the four kinds of block that "
                           "spent the most.</p>\n{}<h3>Peak window: {} over [{}, {})</h3>\n{}",
                           s.windows, esc(si(s.duration_ns * 1e-9, "s")), esc(si(s.average_w, "W")),
                           svg_line_chart(chart), esc(si(s.peak.total_w, "W")), esc(si(s.peak.start_ns * 1e-9, "s")),
                           esc(si(s.peak.end_ns * 1e-9, "s")), peak.done()));
}

void counts_section(Page& page, const json& r) {
  Table table({{"count", false}, {"value", true}});
  for (const auto& [name, v] : r.at("counts").items()) table.row({esc(name), json_scalar(v)});
  page.section("counts", "Counts", table.done());
}

void check_section(Page& page, const json& r) {
  const json& check = r.at("result_check");
  Table table({{"field", false}, {"value", true}});
  for (const auto& [name, v] : check.items()) table.row({esc(name), json_scalar(v)});
  page.section("check", "Result check",
               fmt::format("<p>Against the float reference: {}</p>\n{}", check_badge(check), table.done()));
}

// train.csv of a folder without report.json "training" (e.g. an older or external run).
void train_csv_section(Page& page, const std::string& path) {
  const NumericCsv csv = read_numeric_csv(path, true);
  if (csv.rows.empty()) throw std::runtime_error(fmt::format("{}: no rows after the header", path));
  const auto step_it = std::find(csv.columns.begin(), csv.columns.end(), "step");
  const size_t xc = step_it == csv.columns.end() ? 0 : static_cast<size_t>(step_it - csv.columns.begin());
  LineChart losses{csv.columns[xc], "loss", {}, false};
  LineChart scores{csv.columns[xc], "value", {}, false};
  for (size_t c = 0; c < csv.columns.size(); ++c) {
    if (c == xc) continue;
    Series s{csv.columns[c], {}, {}};
    for (const auto& row : csv.rows) {
      s.x.push_back(row[xc]);
      s.y.push_back(row[c]);
    }
    (csv.columns[c].find("loss") != std::string::npos ? losses : scores).series.push_back(downsample(s, kMaxChartPoints));
  }
  std::string body = fmt::format("<p>{} rows; last {} {}.</p>\n", csv.rows.size(), esc(csv.columns[xc]),
                                 fmt::format("{:g}", csv.rows.back()[xc]));
  if (!losses.series.empty()) body += "<h3>Losses</h3>\n" + svg_line_chart(losses);
  if (!scores.series.empty()) body += "<h3>Scores and other columns</h3>\n" + svg_line_chart(scores);
  Table last({{"column", false}, {"last value", true}});
  for (size_t c = 0; c < csv.columns.size(); ++c) {
    const double v = csv.rows.back()[c];
    last.row({esc(csv.columns[c]), std::isfinite(v) ? fmt::format("{:.6g}", v) : "&ndash;"});
  }
  page.section("training", "Training", body + last.done());
}

// An <img> of a PNG file's bytes as a data URI. Small grids are scaled up by a whole factor
// (crisp pixels) to about 384 px wide. `width` and `height` get the file's size in pixels.
std::string png_img(const std::string& bytes, const std::string& alt, uint32_t& width, uint32_t& height) {
  const auto be32 = [&](size_t at) {
    return uint32_t(uint8_t(bytes[at])) << 24 | uint32_t(uint8_t(bytes[at + 1])) << 16 |
           uint32_t(uint8_t(bytes[at + 2])) << 8 | uint32_t(uint8_t(bytes[at + 3]));
  };
  width = bytes.size() >= 24 ? be32(16) : 0;
  height = bytes.size() >= 24 ? be32(20) : 0;
  const uint32_t scale = width > 0 ? std::clamp<uint32_t>(384 / width, 1, 8) : 1;
  return fmt::format("<img class=\"samples\" alt=\"{}\" width=\"{}\" height=\"{}\" src=\"data:image/png;base64,{}\">",
                     esc(alt), width * scale, height * scale, base64(bytes));
}

bool is_png(const std::string& bytes) { return bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0; }

void samples_section(Page& page, const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".png") names.push_back(entry.path().filename().string());
  }
  if (names.empty()) return;
  std::sort(names.begin(), names.end(), natural_less);
  const fs::path last = dir / names.back();
  std::string body;
  if (fs::file_size(last) > kMaxSampleBytes) {
    body = fmt::format("<p>{} is {} bytes, too large to embed.</p>\n", esc(last.string()), fs::file_size(last));
  } else {
    const std::string bytes = read_file(last.string());
    if (!is_png(bytes)) throw std::runtime_error(fmt::format("{}: not a PNG file", last.string()));
    uint32_t width = 0, height = 0;
    const std::string img = png_img(bytes, names.back(), width, height);
    body = fmt::format("<p>{} ({} x {} px; the last of {} grids)</p>\n{}\n", esc(names.back()), width, height,
                       names.size(), img);
  }
  page.section("samples", "Samples", body);
}

// ---- Training run (report.json "training") ----

// A number, or NaN for null / absent (a score before any evaluation); a string is an error.
double number_or_nan(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nan("");
  return j.at(key).get<double>();
}

std::string fixed2_or_dash(double v) { return std::isfinite(v) ? fmt::format("{:.2f}", v) : "&ndash;"; }

// Shares too small for "0.0%" keep two significant digits.
std::string share(double part, double whole) {
  if (!(whole > 0)) return "&ndash;";
  const double p = 100 * part / whole;
  return p > 0 && p < 0.1 ? fmt::format("{:.2g}%", p) : fmt::format("{:.1f}%", p);
}

// One evaluation: the figures train.csv and the report.json curve both hold.
struct TrainPoint {
  double step, d_loss, g_loss, d_real, d_fake, score, energy_pj;
};

// The curve: train.csv when it has the columns, since after a resume it also holds the
// evaluations of the earlier runs (report.json's curve holds this run's only); otherwise
// report.json's curve. `source` names the one used.
std::vector<TrainPoint> training_curve(const json& t, const fs::path& dir, std::string& source) {
  std::vector<TrainPoint> points;
  const fs::path csv_path = dir / "train.csv";
  if (fs::exists(csv_path)) {
    const NumericCsv csv = read_numeric_csv(csv_path.string(), true);
    std::vector<size_t> at;
    for (const char* name : {"step", "d_loss", "g_loss", "d_real", "d_fake", "score", "energy_pj"}) {
      const auto it = std::find(csv.columns.begin(), csv.columns.end(), name);
      if (it == csv.columns.end()) break;
      at.push_back(static_cast<size_t>(it - csv.columns.begin()));
    }
    if (at.size() == 7 && !csv.rows.empty()) {
      for (const auto& r : csv.rows) {
        points.push_back({r[at[0]], r[at[1]], r[at[2]], r[at[3]], r[at[4]], r[at[5]], r[at[6]]});
      }
      source = "train.csv";
      return points;
    }
  }
  for (const auto& p : t.value("curve", json::array())) {
    points.push_back({p.at("step").get<double>(), number_or_nan(p, "d_loss"), number_or_nan(p, "g_loss"),
                      number_or_nan(p, "d_real"), number_or_nan(p, "d_fake"), number_or_nan(p, "score"),
                      number_or_nan(p, "energy_pj")});
  }
  source = "report.json";
  return points;
}

// A PNG of the run folder as an <img> in a <figure>, or a line saying why there is none
// (a missing grid must not cost the rest of the page).
std::string grid_figure(const fs::path& dir, const std::string& rel, const std::string& caption) {
  const fs::path path = fs::path(rel).lexically_normal();
  std::string problem;
  if (path.empty() || path.is_absolute() || *path.begin() == "..") {
    problem = "is not a file inside the run folder";
  } else if (!fs::is_regular_file(dir / path)) {
    problem = "is missing from the run folder";
  } else if (fs::file_size(dir / path) > kMaxSampleBytes) {
    problem = fmt::format("is {} bytes, too large to embed", fs::file_size(dir / path));
  } else {
    const std::string bytes = read_file((dir / path).string());
    if (is_png(bytes)) {
      uint32_t width = 0, height = 0;
      const std::string img = png_img(bytes, rel, width, height);
      return fmt::format("<figure>{}<figcaption>{}: {} ({} x {} px)</figcaption></figure>\n", img, esc(caption),
                         esc(rel), width, height);
    }
    problem = "is not a PNG file";
  }
  return fmt::format("<p class=\"error\">{} sample grid {} {}.</p>\n", esc(caption), esc(rel), problem);
}

void training_run_section(Page& page, const json& t, const fs::path& dir) {
  // Summary.
  const int64_t first_step = t.value("first_step", int64_t{0}), steps_done = t.at("steps_done").get<int64_t>();
  const int64_t this_run = t.value("steps_this_run", steps_done - first_step);
  const double first_score = number_or_nan(t, "first_score"), last_score = number_or_nan(t, "last_score");
  std::string score = fixed2_or_dash(first_score) + " &rarr; " + fixed2_or_dash(last_score);
  if (std::isfinite(first_score) && std::isfinite(last_score) && first_score != 0) {
    score += fmt::format(" ({:+.1f}%)", 100 * (last_score / first_score - 1));
  }
  const auto opt = [&](const char* key, const auto& format) -> std::string {
    const double v = number_or_nan(t, key);
    return std::isfinite(v) ? format(v) : std::string("&ndash;");
  };
  const auto count = [&](const char* key) {
    return t.contains(key) && !t.at(key).is_null() ? grouped(t.at(key).get<int64_t>()) : std::string("&ndash;");
  };
  const auto text = [&](const char* key) { return esc(t.value(key, "")); };
  Table summary({{"figure", false}, {"value", true}});
  summary.row({"network", text("network")});
  summary.row({"mode", text("mode")});
  summary.row({"optimizer", text("optimizer")});
  summary.row({"dataflow", text("dataflow")});
  summary.row({"batch", t.contains("batch") ? json_scalar(t.at("batch")) : "&ndash;"});
  summary.row({"steps", first_step > 0 ? fmt::format("{} (resumed at step {}: {} this run)", grouped(steps_done),
                                                     grouped(first_step), grouped(this_run))
                                       : grouped(steps_done)});
  summary.row({"quality score, first &rarr; last (Fr&eacute;chet distance; lower is better)", score});
  summary.row({"simulated time per step", opt("time_per_step_ns", [](double v) { return esc(si(v * 1e-9, "s")); })});
  summary.row({"energy per step", opt("energy_per_step_pJ", [](double v) { return esc(joule(v)); })});
  summary.row({"simulated time / energy of all training ops (from step 0)",
               opt("op_time_ns", [](double v) { return esc(si(v * 1e-9, "s")); }) + " / " +
                   opt("op_energy_pJ", [](double v) { return esc(joule(v)); })});
  summary.row({"wall time per step (this run)", opt("wall_per_step_s", [](double v) { return esc(si(v, "s")); }) +
                                                    " (" + opt("wall_s", [](double v) { return esc(si(v, "s")); }) +
                                                    " in all)"});
  summary.row({"cells written / write pulses", count("cells_written") + " / " + count("write_pulses")});
  std::string saturations = count("adc_saturations");
  if (t.contains("adc_conversions") && t.contains("adc_saturations")) {
    saturations += fmt::format(" of {} conversions ({})", count("adc_conversions"),
                               share(number_or_nan(t, "adc_saturations"), number_or_nan(t, "adc_conversions")));
  }
  summary.row({"ADC saturations", saturations});
  // The dataflow mapper's run-time addressing of the pixel_wise scatters (C++ model or RTL).
  if (t.contains("mapper_addresses") && t.at("mapper_addresses").is_object()) {
    const json& a = t.at("mapper_addresses");
    const auto n = [&](const char* key) { return a.contains(key) ? grouped(a.at(key).get<int64_t>()) : "&ndash;"; };
    std::string line = fmt::format("{} sequences, {} steps ({})", n("sequences"), n("steps"),
                                   esc(a.value("impl", std::string("tlm"))));
    if (a.value("impl", std::string()) == "rtl")
      line += fmt::format("; {} RTL clocks, {} RTL steps differing from the model", n("rtl_clocks"), n("rtl_mismatches"));
    line += fmt::format("; {} sequences off the MVM count", n("mvm_mismatches"));
    summary.row({"mapper addresses (pixel_wise scatters)", line});
  }
  // The chip the step ran on: placement and the step's time split.
  if (t.contains("placement") && t.at("placement").is_object() && t.at("placement").contains("arrays_used")) {
    const json& pl = t.at("placement");
    summary.row({"placement", fmt::format("{} of {} arrays ({} tiles x {}), {}", grouped(pl.at("arrays_used").get<int64_t>()),
                                          grouped(pl.at("arrays_available").get<int64_t>()), json_scalar(pl.at("tiles")),
                                          json_scalar(pl.at("arrays_per_tile")),
                                          pl.at("residency_groups").get<int>() == 1
                                              ? std::string("every layer resident")
                                              : fmt::format("{} residency groups, {} arrays reprogrammed",
                                                            json_scalar(pl.at("residency_groups")),
                                                            grouped(t.value("arrays_reprogrammed", int64_t{0}))))});
  }
  if (t.contains("step_split_ns") && t.at("step_split_ns").is_object()) {
    const json& sp = t.at("step_split_ns");
    const double c = sp.value("compute", 0.0), m = sp.value("movement", 0.0), st = sp.value("stall", 0.0);
    summary.row({"step time split", fmt::format("compute {} ({}), data movement {} ({}), stalls {} ({}); busiest: {}",
                                                esc(si(c * 1e-9, "s")), share(c, c + m + st), esc(si(m * 1e-9, "s")),
                                                share(m, c + m + st), esc(si(st * 1e-9, "s")), share(st, c + m + st),
                                                esc(t.value("bottleneck", std::string())))});
  }
  std::string body = summary.done();

  // Curves. At step 0 no training step has run: the trainer reports its losses and D
  // outputs as 0 placeholders, so those charts leave step 0 out (a drop to 0 that never
  // happened would be drawn); its score and energy are real and stay.
  std::string source;
  const std::vector<TrainPoint> points = training_curve(t, dir, source);
  Series score_s{"score", {}, {}}, d_loss{"D loss", {}, {}}, g_loss{"G loss", {}, {}}, d_real{"D(real)", {}, {}},
      d_fake{"D(fake)", {}, {}}, energy{"energy", {}, {}};
  bool step0 = false;
  double max_energy = 0;
  for (const auto& p : points) {
    score_s.x.push_back(p.step), score_s.y.push_back(p.score);
    energy.x.push_back(p.step), energy.y.push_back(p.energy_pj * 1e-12);
    if (std::isfinite(p.energy_pj)) max_energy = std::max(max_energy, std::abs(p.energy_pj * 1e-12));
    if (p.step == 0) {
      step0 = true;
      continue;
    }
    const auto add = [&](Series& s, double v) { s.x.push_back(p.step), s.y.push_back(v); };
    add(d_loss, p.d_loss), add(g_loss, p.g_loss), add(d_real, p.d_real), add(d_fake, p.d_fake);
  }
  const auto [scale, unit] = axis_unit(max_energy, "J");
  for (double& y : energy.y) y *= scale;
  // One x range for the four charts (the loss and D charts lack step 0), so they line up.
  std::vector<double> x_range;
  if (!points.empty()) x_range = {points.front().step, points.back().step};
  const auto chart = [&](std::string y_label, std::vector<Series> series, bool from_zero) {
    for (auto& s : series) s = downsample(s, kMaxChartPoints);
    return svg_line_chart(LineChart{"step", std::move(y_label), std::move(series), from_zero, 960, 260, x_range});
  };
  if (points.empty()) {
    body += "<p class=\"muted\">No evaluations yet: no curves and no sample grid.</p>\n";
  } else {
    body += fmt::format("<p class=\"muted\">{} evaluations from {}, steps {} to {}.{}</p>\n", points.size(), source,
                        fmt::format("{:g}", points.front().step), fmt::format("{:g}", points.back().step),
                        step0 ? " Step 0 is left out of the loss and D charts: no step had run yet, its zeros are "
                                "placeholders."
                              : "");
    if (t.value("mode", "") == "timing") {
      body += "<p class=\"muted\">Timing mode: the chip's time and energy from closed-form event counts; no "
              "numerics ran, so there are no losses, scores or samples.</p>\n";
    } else {
      body += "<h3>Quality score</h3>\n" + chart("Frechet distance (lower is better)", {score_s}, true);
      body += "<h3>Losses</h3>\n" + chart("loss", {d_loss, g_loss}, false);
      body += "<h3>Discriminator outputs</h3>\n" + chart("mean D output", {d_real, d_fake}, true);
    }
    body += "<h3>Cumulative energy</h3>\n" + chart("energy (" + unit + ")", {energy}, true);
  }

  // Sample grids: the first of this run beside the last.
  const std::string last_grid = t.value("last_grid", "");
  const json curve = t.value("curve", json::array());
  const std::string first_grid = curve.empty() ? "" : curve.front().value("grid", "");
  body += "<h3>Samples</h3>\n";
  if (last_grid.empty()) {
    body += "<p class=\"muted\">No sample grid: no evaluation ran.</p>\n";
  } else {
    body += "<div class=\"grids\">\n";
    if (!first_grid.empty() && first_grid != last_grid) body += grid_figure(dir, first_grid, "first");
    body += grid_figure(dir, last_grid, "last");
    body += "</div>\n";
  }

  // One step on the chip: each block's busy spans in the last step (simulated, not a closed form).
  if (t.contains("step_chart") && t.at("step_chart").is_object()) {
    const json& sc = t.at("step_chart");
    const double span_ns = sc.value("time_ns", 0.0);
    const auto [scale, unit] = axis_unit(span_ns * 1e-9, "s");
    GanttChart g;
    g.x_label = "time in step " + json_scalar(sc.value("step", json(0))) + " (" + unit + ")";
    for (const auto& k : sc.value("kinds", json::array())) g.kinds.push_back(k.get<std::string>());
    const json labels = sc.value("labels", json::array());
    g.x0 = 0, g.x1 = span_ns * 1e-9 * scale;
    int spans = 0;
    for (const auto& lane : sc.value("lanes", json::array())) {
      GanttLane l;
      l.name = lane.value("name", std::string());
      for (const auto& s : lane.value("spans", json::array())) {
        if (!s.is_array() || s.size() < 6) continue;
        const double t0 = s[0].get<double>(), t1 = s[1].get<double>();
        const size_t label = s[2].get<size_t>();
        std::string title = label < labels.size() ? labels[label].get<std::string>() : std::string("?");
        if (s[5].get<int>() > 1) title += fmt::format(" [{}/{}]", s[4].get<int>() + 1, s[5].get<int>());
        title += fmt::format(": {} to {} ({})", si(t0 * 1e-9, "s"), si(t1 * 1e-9, "s"), si((t1 - t0) * 1e-9, "s"));
        l.spans.push_back({t0 * 1e-9 * scale, t1 * 1e-9 * scale, s[3].get<int>(), title});
        ++spans;
      }
      g.lanes.push_back(std::move(l));
    }
    body += fmt::format("<h3>One step on the chip (step {}, {})</h3>\n<p class=\"muted\">Simulated: when each tile, the "
                        "digital unit and the noise block were busy in the last step, {} spans; hover for the "
                        "operation. Operations overlap where their data allows, and with micro-batches a layer works "
                        "on one part while the layer before does the next.</p>\n",
                        json_scalar(sc.value("step", json(0))), esc(si(span_ns * 1e-9, "s")), spans) +
            svg_gantt_chart(g);
  }

  // Time and energy per layer and phase, the time split on each operation's critical path.
  if (t.contains("phases") && !t.at("phases").empty()) {
    struct Row {
      std::string op;
      double time_ns, compute_ns, movement_ns, stall_ns, energy_pj;
      int64_t ops;
      std::string bottleneck;
    };
    std::vector<Row> rows;
    double total_ns = 0, total_pj = 0, total_compute = 0, total_movement = 0, total_stall = 0;
    int64_t total_ops = 0;
    for (const auto& [op, p] : t.at("phases").items()) {
      rows.push_back({op, p.at("time_ns").get<double>(), p.value("compute_ns", 0.0), p.value("movement_ns", 0.0),
                      p.value("stall_ns", 0.0), p.at("energy_pJ").get<double>(), p.at("ops").get<int64_t>(),
                      p.value("bottleneck", std::string())});
      total_ns += rows.back().time_ns, total_pj += rows.back().energy_pj, total_ops += rows.back().ops;
      total_compute += rows.back().compute_ns, total_movement += rows.back().movement_ns,
          total_stall += rows.back().stall_ns;
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.time_ns > b.time_ns; });
    Table table({{"op", false}, {"ops", true}, {"time", true}, {"time share", true}, {"compute", true},
                 {"data movement", true}, {"stalls", true}, {"busiest resource", false}, {"energy", true},
                 {"energy share", true}});
    for (const auto& r : rows) {
      table.row({esc(r.op), grouped(r.ops), esc(si(r.time_ns * 1e-9, "s")), share(r.time_ns, total_ns),
                 share(r.compute_ns, r.time_ns), share(r.movement_ns, r.time_ns), share(r.stall_ns, r.time_ns),
                 esc(r.bottleneck), esc(joule(r.energy_pj)), share(r.energy_pj, total_pj)});
    }
    table.row({"total", grouped(total_ops), esc(si(total_ns * 1e-9, "s")), share(total_ns, total_ns),
               share(total_compute, total_ns), share(total_movement, total_ns), share(total_stall, total_ns),
               esc(t.value("bottleneck", std::string())), esc(joule(total_pj)), share(total_pj, total_pj)},
              "total");
    body += fmt::format("<h3>By layer and phase ({} rows, this run, by time)</h3>\n", rows.size()) +
            "<p class=\"muted\">Simulated on the placed chip: compute is the tiles', digital unit's or noise "
            "block's own time on each operation's critical path, data movement the bus and DRAM transfers on it "
            "when alone, stalls the waiting for a shared resource (bus, DRAM, a busy tile). The busiest resource "
            "is the one with the most busy time in that phase.</p>\n" +
            table.done();
  }
  page.section("training", "Training", body);
}

void compare_section(Page& page, const json& c) {
  const auto cost = [](const json& row, const char* key) {
    return row.contains("cost") ? row["cost"].at(key).get<double>() : row.at(key).get<double>();
  };
  std::string body = fmt::format("<p>Network {} at batch {}: each dataflow against zero insertion. The training step "
                                 "is simulated: <code>memgan run</code> of the same config in timing mode on the "
                                 "placed chip (tiles, digital unit, bus, DRAM, the operations' scheduling), one run "
                                 "folder per dataflow. The per-layer figures below it are closed forms: the mapper's "
                                 "event counts times the tiles' timing and energy tables, a layer's arrays in lock "
                                 "step, no data movement.</p>\n",
                                 esc(c.at("network").get<std::string>()), json_scalar(c.at("batch")));
  if (c.contains("training_step")) {
    Table steps({{"dataflow", false}, {"step", true}, {"serial", true}, {"compute", true}, {"movement", true},
                 {"stall", true}, {"energy", true}, {"bottleneck", false}, {"speedup", true}, {"energy saving", true},
                 {"run", false}});
    for (const auto& st : c.at("training_step")) {
      const std::string run = st.value("run", std::string());
      const std::string link = fmt::format("<a href=\"{}/report.html\">{}</a>", esc(fs::path(run).filename().string()),
                                           esc(fs::path(run).filename().string()));
      if (st.contains("error")) {
        steps.row({esc(st.at("dataflow").get<std::string>()), "", "", "", "", "", "", esc(st.at("error").get<std::string>()),
                   "", "", link});
        continue;
      }
      const double serial = st.at("serial_time_ns").get<double>();
      const auto part = [&](const char* k) { return share(st.at("step_split_ns").at(k).get<double>(), serial); };
      steps.row({esc(st.at("dataflow").get<std::string>()), esc(si(st.at("step_time_ns").get<double>() * 1e-9, "s")),
                 esc(si(serial * 1e-9, "s")), part("compute"), part("movement"), part("stall"),
                 esc(joule(st.at("energy_per_step_pJ").get<double>())), esc(st.value("bottleneck", std::string())),
                 fmt::format("{:.2f}x", st.at("speedup_vs_zero_insertion").get<double>()),
                 pct(st.at("energy_saving_vs_zero_insertion").get<double>()), link});
    }
    body += "<h3>Training step on the simulated platform</h3>\n<p class=\"muted\">Compute, movement and stall split "
            "the operations' own times (serial), which overlap within the step.</p>\n" +
            steps.done();
  }
  std::vector<Bar> bars;
  Table totals({{"dataflow", false}, {"phase", false}, {"time", true}, {"energy", true}, {"speedup", true},
                {"energy saving", true}});
  for (const auto& t : c.at("totals")) {
    const std::string label = t.at("dataflow").get<std::string>() + " " + t.at("phase").get<std::string>();
    const double e = cost(t, "energy_total_pJ");
    bars.push_back({label, e, fmt::format("{}  {:.2f}x", joule(e), t.at("speedup_vs_zero_insertion").get<double>())});
    totals.row({esc(t.at("dataflow").get<std::string>()), esc(t.at("phase").get<std::string>()),
                esc(si(cost(t, "time_ns") * 1e-9, "s")), esc(joule(e)),
                fmt::format("{:.2f}x", t.at("speedup_vs_zero_insertion").get<double>()),
                pct(t.at("energy_saving_vs_zero_insertion").get<double>())});
  }
  body += "<h3>Energy per dataflow and phase</h3>\n" + svg_bar_chart(bars) + totals.done();
  Table layers({{"layer", false}, {"type", false}, {"dataflow", false}, {"phase", false}, {"time", true},
                {"energy", true}, {"speedup", true}, {"energy saving", true}});
  for (const auto& l : c.at("layers")) {
    layers.row({esc(l.at("model").get<std::string>() + "." + l.at("layer").get<std::string>()),
                esc(l.at("type").get<std::string>()), esc(l.at("dataflow").get<std::string>()),
                esc(l.at("phase").get<std::string>()), esc(si(cost(l, "time_ns") * 1e-9, "s")),
                esc(joule(cost(l, "energy_total_pJ"))),
                fmt::format("{:.2f}x", l.at("speedup_vs_zero_insertion").get<double>()),
                pct(l.at("energy_saving_vs_zero_insertion").get<double>())});
  }
  body += fmt::format("<details><summary>Every layer ({} rows)</summary>\n{}</details>\n", c.at("layers").size(),
                      layers.done());
  page.section("compare", "Dataflow comparison", body);
}

// A sweep (memgan sweep): the Pareto chart of step time against energy per step, then every
// point with its axes, results and folder (failed points with their error).
void sweep_section(Page& page, const json& s) {
  const std::vector<std::string> axes = s.at("axes").get<std::vector<std::string>>();
  Series all{"points", {}, {}, false, true, {}}, front{"Pareto front", {}, {}, true, true, {}};
  std::map<std::string, std::pair<double, double>> at;
  size_t failed = 0;
  for (const auto& p : s.at("points")) {
    if (p.at("status") != "ok" || !p.contains("results")) {
      ++failed;
      continue;
    }
    const json& r = p.at("results");
    if (!r.contains("step_time_ns") || !r.contains("energy_per_step_pJ")) continue;
    const double x = r.at("step_time_ns").get<double>() * 1e-6, y = r.at("energy_per_step_pJ").get<double>() * 1e-9;
    all.x.push_back(x), all.y.push_back(y), all.titles.push_back(p.at("label").get<std::string>());
    at[p.at("point").get<std::string>()] = {x, y};
  }
  for (const auto& id : s.at("pareto_front")) {
    const auto it = at.find(id.get<std::string>());
    if (it == at.end()) continue;
    front.x.push_back(it->second.first), front.y.push_back(it->second.second);
    for (const auto& p : s.at("points"))
      if (p.at("point") == id) front.titles.push_back(p.at("label").get<std::string>());
  }
  std::string body = fmt::format("<p>{} points of <code>{}</code> on base <code>{}</code>, engine {}, {} failed, "
                                 "{:.1f} s wall ({:.2f} s per point run). Each point is a <code>memgan run</code> on "
                                 "the simulated platform in its own folder. Energy is the operations' dynamic energy per "
                                 "step; chip area is not modeled.</p>\n",
                                 s.at("points").size(), esc(s.at("sweep_file").get<std::string>()),
                                 esc(s.at("base").get<std::string>()), esc(s.at("engine").get<std::string>()), failed,
                                 s.value("wall_s", 0.0), s.value("wall_per_point_run_s", 0.0));
  body += "<h3>Step time against energy per step</h3>\n" +
          svg_line_chart(LineChart{"step time (ms)", "energy per step (mJ)", {all, front}, false, 960, 360});
  std::vector<std::pair<std::string, bool>> cols = {{"", false}};
  for (const auto& a : axes) cols.push_back({a, false});
  for (const char* c : {"step time", "energy", "compute", "movement", "stall", "bottleneck", "status"})
    cols.push_back({c, std::string(c) != "bottleneck" && std::string(c) != "status"});
  Table table(cols);
  for (const auto& p : s.at("points")) {
    std::vector<std::string> row = {p.value("pareto", false) ? "&#9733;" : ""};
    for (const auto& a : axes) row.push_back(esc(p.at("axes").value(a, std::string())));
    const std::string folder = p.at("folder").get<std::string>();
    const std::string link = fmt::format("<a href=\"{}/report.html\">", esc(folder));
    if (!p.contains("results")) {
      for (int k = 0; k < 6; ++k) row.push_back("");
      row.push_back(link + "failed</a>: " + esc(p.value("error", std::string())));
    } else {
      const json& r = p.at("results");
      const double serial = r.value("serial_time_ns", 0.0);
      const auto part = [&](const char* k) { return share(r.value(k, 0.0), serial); };
      row.push_back(esc(si(r.value("step_time_ns", 0.0) * 1e-9, "s")));
      row.push_back(esc(joule(r.value("energy_per_step_pJ", 0.0))));
      row.push_back(part("compute_ns"));
      row.push_back(part("movement_ns"));
      row.push_back(part("stall_ns"));
      row.push_back(esc(r.value("bottleneck", std::string())));
      row.push_back(link + "ok</a>");
    }
    table.row(row);
  }
  body += "<h3>Points</h3>\n<p class=\"muted\">&#9733; on the Pareto front. Compute, movement and stall split the "
          "operations' own (serial) time.</p>\n" + table.done();
  page.section("sweep", "Sweep", body);
}

// Runs one section; a missing key or a wrong type in its JSON becomes an error naming the file.
template <typename F>
void from_json_file(const fs::path& path, F&& section) {
  try {
    section();
  } catch (const json::exception& e) {
    throw std::runtime_error(fmt::format("{}: unexpected content: {}", path.string(), e.what()));
  }
}

}  // namespace

std::string render_html_report(const std::string& run_dir) {
  const fs::path dir(run_dir);
  if (!fs::is_directory(dir)) throw std::runtime_error(fmt::format("{}: not a folder", run_dir));
  Page page;
  std::string subtitle = esc(fs::absolute(dir).lexically_normal().string());

  bool training_run = false;
  std::optional<PowerLog> power_log;
  std::optional<PowerSummary> power;
  if (fs::exists(dir / "power.csv")) {
    power_log = read_power_csv((dir / "power.csv").string());
    power = summarize_power(*power_log);
  }
  if (fs::exists(dir / "report.json")) {
    const fs::path path = dir / "report.json";
    const json r = read_json(path.string());
    training_run = r.contains("training");
    from_json_file(path, [&] {
      subtitle = esc(r.value("config_file", "")) + " &middot; " + subtitle;
      summary_section(page, r, power ? &*power : nullptr);
      if (r.contains("training")) training_run_section(page, r.at("training"), dir);
      if (r.contains("config")) config_section(page, r);
      energy_section(page, r);
    });
    if (power) power_section(page, *power_log, *power);
    from_json_file(path, [&] {
      if (r.contains("counts")) counts_section(page, r);
      if (r.contains("result_check")) check_section(page, r);
    });
  } else if (power) {
    power_section(page, *power_log, *power);
  }
  // A training run's section above already holds train.csv's curves and its sample grids.
  if (!training_run) {
    if (fs::exists(dir / "train.csv")) train_csv_section(page, (dir / "train.csv").string());
    if (fs::is_directory(dir / "samples")) samples_section(page, dir / "samples");
  }
  if (fs::exists(dir / "compare.json")) {
    const fs::path path = dir / "compare.json";
    const json c = read_json(path.string());
    from_json_file(path, [&] { compare_section(page, c); });
  }
  if (fs::exists(dir / "sweep.json")) {
    const fs::path path = dir / "sweep.json";
    const json s = read_json(path.string());
    from_json_file(path, [&] { sweep_section(page, s); });
  }
  if (page.empty()) {
    throw std::runtime_error(fmt::format(
        "{}: nothing to report (no report.json, power.csv, train.csv, samples/*.png, compare.json or sweep.json)",
        run_dir));
  }
  return page.html("memgan report: " + dir.filename().string(), subtitle);
}

void write_html_report(const std::string& run_dir, const std::string& out_path) {
  write_file_atomically(out_path, render_html_report(run_dir));
}

}  // namespace memgan::report
