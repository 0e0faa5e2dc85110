#include "core/report/html_report.h"

#include <filesystem>
#include <fstream>
#include <cctype>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "core/report/svg_chart.h"

namespace memgan::report {
namespace {

namespace fs = std::filesystem;

const fs::path kRun = fs::path(MEMGAN_SOURCE_DIR) / "tests/report/data/run";
// A training run (report.json "training"): 3 evaluations, 4 phases, first and last grid.
const fs::path kTrainRun = fs::path(MEMGAN_SOURCE_DIR) / "tests/report/data/train_run";

// A scratch folder per test holding a chosen subset of the fixture run.
class RunCopy {
 public:
  explicit RunCopy(const std::vector<std::string>& files, const fs::path& from = kRun)
      : dir_(fs::temp_directory_path() /
             ("memgan_html_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
              std::to_string(serial_++))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const auto& f : files) fs::copy(from / f, dir_ / f, fs::copy_options::recursive);
  }
  ~RunCopy() { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name, std::ios::binary) << text; }
  // Replaces the first `what` in file `name` by `with`.
  void edit(const std::string& name, const std::string& what, const std::string& with) const {
    std::ifstream f(dir_ / name, std::ios::binary);
    std::string text(std::istreambuf_iterator<char>(f), {});
    const size_t at = text.find(what);
    ASSERT_NE(at, std::string::npos) << what;
    write(name, text.replace(at, what.size(), with));
  }
  fs::path path() const { return dir_; }
  std::string str() const { return dir_.string(); }

 private:
  static inline int serial_ = 0;  // several copies in one test
  fs::path dir_;
};

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Every non-void element closes, in order (the page is generated, so no optional end tags).
void expect_balanced(const std::string& html) {
  // A plain scan (no std::regex, which recurses per character and overflows on long tags).
  static const std::vector<std::string> kVoid = {"meta", "img", "br", "hr", "link", "input"};
  std::vector<std::string> stack;
  for (size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    size_t p = at + 1;
    const bool closing = p < html.size() && html[p] == '/';
    if (closing) ++p;
    if (p >= html.size() || !std::isalpha(static_cast<unsigned char>(html[p]))) continue;  // not a tag
    const size_t name_end = html.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", p);
    const size_t end = html.find('>', p);
    ASSERT_NE(end, std::string::npos) << "unterminated tag at offset " << at;
    const std::string name = html.substr(p, name_end - p);
    const bool self_closing = html[end - 1] == '/';
    if (self_closing || std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end()) continue;
    if (closing) {
      ASSERT_FALSE(stack.empty()) << "</" << name << "> without an opening tag";
      ASSERT_EQ(stack.back(), name) << "at offset " << at;
      stack.pop_back();
    } else {
      stack.push_back(name);
    }
  }
  EXPECT_TRUE(stack.empty()) << stack.size() << " unclosed, first " << (stack.empty() ? "" : stack.front());
}

// A plain scan, not std::regex: libstdc++'s regex recurses once per character matched, and a
// long polyline overflows the stack (ASan's larger frames made it fail in scripts/test-sanitizers.sh).
std::vector<size_t> polyline_sizes(const std::string& html) {
  const std::string open = "points=\"";
  std::vector<size_t> sizes;
  for (size_t at = html.find(open); at != std::string::npos; at = html.find(open, at)) {
    at += open.size();
    const size_t end = html.find('"', at);
    if (end == std::string::npos) break;
    sizes.push_back(count(html.substr(at, end - at), ","));
    at = end;
  }
  return sizes;
}

TEST(HtmlReport, RunReportHasEverySectionAndIsSelfContained) {
  RunCopy run({"report.json", "power.csv"});
  const std::string html = render_html_report(run.str());
  expect_balanced(html);
  for (const char* id : {"summary", "config", "energy", "power", "counts", "check"}) {
    EXPECT_EQ(count(html, std::string("<section id=\"") + id + "\">"), 1u) << id;
  }
  for (const char* absent : {"training", "samples", "compare"}) {
    EXPECT_EQ(count(html, std::string("id=\"") + absent + "\""), 0u) << absent;
  }
  EXPECT_EQ(count(html, "http"), 0u);
  EXPECT_EQ(count(html, "<script"), 0u);
  EXPECT_EQ(count(html, "src="), 0u);
  // Figures from report.json / power.csv of the default run.
  for (const char* text : {"4.951 uJ", "58.89 mW", "411 mW", "within bound", "tile0.xbar0.writes", "131&#8201;072",
                           "arch.adc.bits", "configs/default.yaml"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
  // Energy by kind (bar chart + table), power chart: total + 4 kinds, 85 windows as steps.
  EXPECT_EQ(count(html, "<svg "), 2u);
  const auto sizes = polyline_sizes(html);
  ASSERT_EQ(sizes.size(), 5u);
  for (size_t n : sizes) EXPECT_EQ(n, 2u * 85);
}

TEST(HtmlReport, OptionalSectionsFromTrainingSamplesAndCompare) {
  RunCopy run({"report.json", "power.csv", "train.csv", "samples", "compare.json"});
  const std::string html = render_html_report(run.str());
  expect_balanced(html);
  for (const char* id : {"training", "samples", "compare"}) {
    EXPECT_EQ(count(html, std::string("<section id=\"") + id + "\">"), 1u) << id;
  }
  // The last grid in natural order (step_1000 after step_900), embedded as a PNG data URI.
  EXPECT_NE(html.find("step_1000.png (68 x 68 px; the last of 2 grids)"), std::string::npos);
  EXPECT_NE(html.find("src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos);
  EXPECT_EQ(count(html, "src="), 1u);
  // Losses (d_loss, g_loss) and the sparse fid column, plus dataflow totals.
  EXPECT_NE(html.find("<title>g_loss</title>"), std::string::npos);
  EXPECT_NE(html.find("<title>fid</title>"), std::string::npos);
  EXPECT_NE(html.find("zero_free backward"), std::string::npos);
  EXPECT_NE(html.find("3.80x"), std::string::npos);  // zero_free backward speedup
  EXPECT_NE(html.find("Every layer (12 rows)"), std::string::npos);
  EXPECT_EQ(count(html, "http"), 0u);
}

TEST(HtmlReport, CompareFolderAloneIsEnough) {
  RunCopy run({"compare.json"});
  const std::string html = render_html_report(run.str());
  expect_balanced(html);
  EXPECT_EQ(count(html, "<section id="), 1u);
  EXPECT_NE(html.find("Network dcgan64 at batch 16"), std::string::npos);
}

TEST(HtmlReport, TextIsEscaped) {
  RunCopy run({"report.json"});
  std::string json;
  {
    std::ifstream f(kRun / "report.json");
    json.assign(std::istreambuf_iterator<char>(f), {});
  }
  json.replace(json.find("\"configs/default.yaml\""), 22, "\"<script>alert('x')</script>&\"");
  run.write("report.json", json);
  const std::string html = render_html_report(run.str());
  EXPECT_EQ(count(html, "<script"), 0u);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"), std::string::npos);
  expect_balanced(html);
}

// ---- Training runs: report.json "training" ----

const std::vector<std::string> kTrainFiles = {"report.json", "power.csv", "samples"};

size_t position(const std::string& html, const std::string& what) {
  const size_t at = html.find(what);
  EXPECT_NE(at, std::string::npos) << what;
  return at;
}

TEST(HtmlReport, TrainingRunHasATrainingSectionNearTheTop) {
  RunCopy run(kTrainFiles, kTrainRun);
  const std::string html = render_html_report(run.str());
  expect_balanced(html);
  EXPECT_EQ(count(html, "<section id=\"training\">\n<h2>Training</h2>"), 1u);
  // Right after the summary cards, before the configuration.
  EXPECT_LT(position(html, "<section id=\"summary\">"), position(html, "<section id=\"training\">"));
  EXPECT_LT(position(html, "<section id=\"training\">"), position(html, "<section id=\"config\">"));
  EXPECT_LT(position(html, "href=\"#summary\""), position(html, "href=\"#training\""));
  // Summary table.
  for (const char* text : {"<td>network</td><td class=\"num\">dcgan28-small</td>", ">analog<", ">adam<", ">pixel_wise<",
                           "<td>steps</td><td class=\"num\">20</td>", "371.30 &rarr; 30.10 (-91.9%)", "507 ns",
                           "462.5 nJ", "120 ms (2.4 s in all)",
                           "<td>simulated time / energy of all training ops (from step 0)</td>"
                           "<td class=\"num\">10.14 us / 9.25 uJ",
                           "1&#8201;234&#8201;567 / 9&#8201;876&#8201;543",
                           "1&#8201;250 of 5&#8201;000&#8201;000 conversions (0.025%)"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
  // Four training charts before the energy bars and the power chart. Step 0 is left out of
  // the loss and D charts (placeholder zeros), kept in score and energy.
  EXPECT_EQ(count(html, "<svg "), 6u);
  const auto sizes = polyline_sizes(html);
  ASSERT_GE(sizes.size(), 6u);
  EXPECT_EQ(std::vector<size_t>(sizes.begin(), sizes.begin() + 6), (std::vector<size_t>{3, 2, 2, 2, 2, 3}));
  for (const char* name : {"score", "D loss", "G loss", "D(real)", "D(fake)", "energy"}) {
    EXPECT_NE(html.find(std::string("<title>") + name + "</title>"), std::string::npos) << name;
  }
  EXPECT_NE(html.find("3 evaluations from report.json, steps 0 to 20. Step 0 is left out"), std::string::npos);
  EXPECT_NE(html.find(">energy (uJ)</text>"), std::string::npos);
  // First and last grid, embedded; no separate Samples or train.csv section.
  EXPECT_EQ(count(html, "src=\"data:image/png;base64,iVBORw0KGgo"), 2u);
  EXPECT_EQ(count(html, "src="), 2u);
  EXPECT_LT(position(html, "first: samples/step_000000.png (38 x 38 px)"),
            position(html, "last: samples/step_000020.png (38 x 38 px)"));
  EXPECT_EQ(count(html, "id=\"samples\""), 0u);
  // Phases by time, descending, with shares of the total.
  const size_t update = position(html, "<td>update G.up1</td>"), forward = position(html, "<td>forward G.fc</td>"),
               backward = position(html, "<td>backward_data D.down2</td>"), latent = position(html, "<td>latent</td>");
  EXPECT_LT(update, forward);
  EXPECT_LT(forward, backward);
  EXPECT_LT(backward, latent);
  // Its split on the critical path (compute, data movement, stalls) and busiest resource.
  EXPECT_NE(html.find("<td>update G.up1</td><td class=\"num\">20</td><td class=\"num\">5.2 us</td>"
                      "<td class=\"num\">51.3%</td><td class=\"num\">50.0%</td><td class=\"num\">40.0%</td>"
                      "<td class=\"num\">10.0%</td><td>tiles</td><td class=\"num\">5.348 uJ</td>"
                      "<td class=\"num\">57.8%</td>"),
            std::string::npos);
  EXPECT_NE(html.find("6 of 8 arrays (2 tiles x 4), every layer resident"), std::string::npos);
  EXPECT_NE(html.find("compute 300 ns (60.0%), data movement 150 ns (30.0%), stalls 50 ns (10.0%); busiest: bus"),
            std::string::npos);
  EXPECT_NE(html.find("<td>total</td><td class=\"num\">140</td><td class=\"num\">10.14 us</td>"), std::string::npos);
  EXPECT_NE(html.find("By layer and phase (4 rows"), std::string::npos);
  EXPECT_EQ(count(html, "http"), 0u);
  EXPECT_EQ(count(html, "<script"), 0u);
}

TEST(HtmlReport, TrainingRunWithoutItsGridSaysSo) {
  RunCopy run({"report.json"}, kTrainRun);
  const std::string html = render_html_report(run.str());
  expect_balanced(html);
  EXPECT_NE(html.find("last sample grid samples/step_000020.png is missing from the run folder."), std::string::npos);
  EXPECT_NE(html.find("first sample grid samples/step_000000.png is missing from the run folder."), std::string::npos);
  EXPECT_EQ(count(html, "src="), 0u);
  // A path out of the run folder is not read.
  run.edit("report.json", "\"last_grid\": \"samples/step_000020.png\"", "\"last_grid\": \"../../etc/passwd\"");
  EXPECT_NE(render_html_report(run.str()).find("last sample grid ../../etc/passwd is not a file inside the run folder."),
            std::string::npos);
  // No evaluation at all: no curves, no grids, still a page.
  RunCopy empty({"report.json"}, kTrainRun);
  empty.edit("report.json", "\"last_grid\": \"samples/step_000020.png\"", "\"last_grid\": \"\"");
  empty.edit("report.json", "\"curve\": [", "\"curve\": [], \"unused\": [");
  const std::string bare = render_html_report(empty.str());
  expect_balanced(bare);
  EXPECT_NE(bare.find("No evaluations yet"), std::string::npos);
  EXPECT_NE(bare.find("No sample grid: no evaluation ran."), std::string::npos);
}

TEST(HtmlReport, TrainingRunEscapesTextFromJson) {
  RunCopy run(kTrainFiles, kTrainRun);
  run.edit("report.json", "\"latent\":", "\"<b onmouseover='x'>latent</b>&\":");
  run.edit("report.json", "\"network\": \"dcgan28-small\"", "\"network\": \"<script>alert(1)</script>\"");
  run.edit("report.json", "\"last_grid\": \"samples/step_000020.png\"", "\"last_grid\": \"<i>missing.png\"");
  const std::string html = render_html_report(run.str());
  expect_balanced(html);
  EXPECT_EQ(count(html, "<script"), 0u);
  EXPECT_EQ(count(html, "<b "), 0u);
  EXPECT_EQ(count(html, "<i>"), 0u);
  EXPECT_NE(html.find("<td>&lt;b onmouseover=&#39;x&#39;&gt;latent&lt;/b&gt;&amp;</td>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;i&gt;missing.png is missing"), std::string::npos);
}

// report.json's step_chart becomes the "one step on the chip" figure: a lane per block, a bar
// per span with its operation (and part) on hover.
TEST(HtmlReport, TrainingRunDrawsTheLastStepOnTheChip) {
  RunCopy run(kTrainFiles, kTrainRun);
  run.edit("report.json", "\"last_grid\": \"samples/step_000020.png\"",
           "\"last_grid\": \"samples/step_000020.png\", \"step_chart\": {\"step\": 19, \"time_ns\": 2000, "
           "\"labels\": [\"forward G.fc\", \"<update>\"], \"kinds\": [\"forward G\", \"update\"], \"lanes\": ["
           "{\"name\": \"tile 0\", \"spans\": [[0, 500, 0, 0, 0, 2], [600, 1100, 0, 0, 1, 2]]}, "
           "{\"name\": \"digital unit\", \"spans\": [[1200, 1900, 1, 1, 0, 1]]}]}");
  const std::string html = render_html_report(run.str());
  expect_balanced(html);
  EXPECT_NE(html.find("<h3>One step on the chip (step 19, 2 us)</h3>"), std::string::npos);
  EXPECT_NE(html.find("3 spans"), std::string::npos);
  EXPECT_NE(html.find(">tile 0</text>"), std::string::npos);
  EXPECT_NE(html.find(">digital unit</text>"), std::string::npos);
  EXPECT_NE(html.find("<title>forward G.fc [2/2]: 600 ns to 1.1 us (500 ns)</title>"), std::string::npos);
  EXPECT_NE(html.find("<title>&lt;update&gt;: 1.2 us to 1.9 us (700 ns)</title>"), std::string::npos);
  EXPECT_EQ(count(html, "<svg "), 7u) << "the six charts and this one";
}

TEST(HtmlReport, TrainingCurvesComeFromTrainCsvWhenItHasTheColumns) {
  RunCopy run(kTrainFiles, kTrainRun);
  // After a resume train.csv also holds the earlier run's evaluations.
  run.write("train.csv",
            "step,d_loss,g_loss,d_real,d_fake,score,sim_time_ns,energy_pj,cells_written,write_pulses\n"
            "0,0,0,0,0,371.3,0,0,0,0\n5,1.3,0.8,0.6,0.45,250,2500,2.3e6,100,900\n"
            "10,1.21,0.87,0.62,0.41,122.45,5070,4.6e6,200,1800\n20,1.05,1.12,0.66,0.35,30.1,10140,9.25e6,300,2700\n");
  std::string html = render_html_report(run.str());
  EXPECT_NE(html.find("4 evaluations from train.csv, steps 0 to 20."), std::string::npos);
  auto sizes = polyline_sizes(html);
  ASSERT_GE(sizes.size(), 6u);
  EXPECT_EQ(std::vector<size_t>(sizes.begin(), sizes.begin() + 6), (std::vector<size_t>{4, 3, 3, 3, 3, 4}));
  EXPECT_EQ(count(html, "id=\"training\""), 1u);  // no second section from train.csv
  // Without the columns (another tool's CSV), the curve of report.json.
  run.write("train.csv", "step,d_loss,g_loss,fid\n0,1,3,320\n");
  html = render_html_report(run.str());
  EXPECT_NE(html.find("3 evaluations from report.json"), std::string::npos);
  EXPECT_EQ(count(html, "id=\"training\""), 1u);
}

TEST(HtmlReport, TrainingRunErrorsNameTheFile) {
  RunCopy run({"report.json"}, kTrainRun);
  run.edit("report.json", "\"steps_done\": 20", "\"steps_done\": \"twenty\"");
  try {
    render_html_report(run.str());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(run.str() + "/report.json: unexpected content"), std::string::npos) << e.what();
  }
}

TEST(HtmlReport, LongPowerLogIsDownsampledKeepingThePeak) {
  RunCopy run({});
  std::string csv = "window_start_ns,window_end_ns,a_dyn_W,a_leak_W,total_W,cumulative_energy_pJ\n";
  for (int i = 0; i < 100000; ++i) {
    const double w = i == 77777 ? 9.5 : 1 + 0.001 * (i % 10);
    csv += std::to_string(i) + "," + std::to_string(i + 1) + "," + std::to_string(w) + ",0," + std::to_string(w) + ",0\n";
  }
  run.write("power.csv", csv);
  const std::string html = render_html_report(run.str());
  const auto sizes = polyline_sizes(html);
  ASSERT_EQ(sizes.size(), 2u);  // total and kind "a"
  for (size_t n : sizes) EXPECT_LE(n, 2000u);
  EXPECT_NE(html.find("9.5 W over [77.78 us, 77.78 us)"), std::string::npos);
  // The peak survives downsampling: the y axis reaches 10 W (nice tick above 9.5).
  EXPECT_NE(html.find(">10</text>"), std::string::npos);
}

TEST(HtmlReport, ErrorsNameTheFile) {
  RunCopy run({});
  EXPECT_THROW(
      {
        try {
          render_html_report(run.str());
        } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find(run.str() + ": nothing to report"), std::string::npos);
          throw;
        }
      },
      std::runtime_error);
  run.write("compare.json", R"({"network": "n", "batch": 1, "layers": []})");
  try {
    render_html_report(run.str());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(run.str() + "/compare.json: unexpected content"), std::string::npos) << e.what();
  }
  EXPECT_THROW(write_html_report(kRun.string(), "/nonexistent/dir/report.html"), std::runtime_error);
}

TEST(SvgChart, NiceTicksAndDownsample) {
  EXPECT_EQ(nice_ticks(0, 411, 5), (std::vector<double>{0, 100, 200, 300, 400, 500}));
  EXPECT_EQ(nice_ticks(0.66, 3.3, 5), (std::vector<double>{0, 1, 2, 3, 4}));
  const std::vector<double> fine = nice_ticks(0.66, 1.3, 5), expected = {0.6, 0.8, 1, 1.2, 1.4};
  ASSERT_EQ(fine.size(), expected.size());
  for (size_t i = 0; i < fine.size(); ++i) EXPECT_NEAR(fine[i], expected[i], 1e-12);
  Series s{"s", {}, {}};
  for (int i = 0; i < 10000; ++i) {
    s.x.push_back(i);
    s.y.push_back(i == 4321 ? -5 : i % 7);
  }
  const Series d = downsample(s, 100);
  EXPECT_LE(d.x.size(), 100u);
  EXPECT_NE(std::find(d.y.begin(), d.y.end(), -5.0), d.y.end());
  EXPECT_NE(std::find(d.y.begin(), d.y.end(), 6.0), d.y.end());
  EXPECT_TRUE(std::is_sorted(d.x.begin(), d.x.end()));
  EXPECT_EQ(html_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
  // x_include widens the x axis beyond the data (stacked charts share one range).
  LineChart chart{"x", "y", {Series{"s", {10, 20}, {1, 2}}}};
  EXPECT_EQ(svg_line_chart(chart).find("\"middle\">0</text>"), std::string::npos);
  chart.x_include = {0, 20};
  EXPECT_NE(svg_line_chart(chart).find("\"middle\">0</text>"), std::string::npos);
}


// The step chart: one lane per block, a bar per busy span at its place on the time axis, its
// title on hover, a legend entry per kind; spans beyond the axis are clipped to it.
TEST(SvgChart, GanttLanesSpansAndLegend) {
  GanttChart g;
  g.x_label = "time (ms)";
  g.kinds = {"forward G", "update"};
  g.x0 = 0, g.x1 = 10;
  g.lanes = {GanttLane{"tile 0", {GanttSpan{0, 5, 0, "forward G.fc <1/2>"}, GanttSpan{5, 20, 1, "late"}}},
             GanttLane{"digital unit", {}}};
  g.width = 1000;  // 120 px of labels, 16 at the right: 864 px for 10 ms
  const std::string svg = svg_gantt_chart(g);
  EXPECT_NE(svg.find(">tile 0</text>"), std::string::npos);
  EXPECT_NE(svg.find(">digital unit</text>"), std::string::npos);
  EXPECT_NE(svg.find("<rect x=\"120.0\" y=\"10.0\" width=\"432.0\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("<rect x=\"552.0\" y=\"10.0\" width=\"432.0\""), std::string::npos) << "clipped at 10 ms";
  EXPECT_NE(svg.find("<title>forward G.fc &lt;1/2&gt;</title>"), std::string::npos);
  EXPECT_NE(svg.find(">forward G</text>"), std::string::npos);
  EXPECT_NE(svg.find(">update</text>"), std::string::npos);
  EXPECT_NE(svg.find(">time (ms)</text>"), std::string::npos);
  EXPECT_NE(svg.find("\"middle\">10</text>"), std::string::npos);
}

}  // namespace
}  // namespace memgan::report
