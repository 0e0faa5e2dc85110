#include "report/html_report.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "report/svg_chart.h"

namespace memgan::report {
namespace {

namespace fs = std::filesystem;

const fs::path kRun = fs::path(MEMGAN_SOURCE_DIR) / "tests/report/data/run";

// A scratch folder per test holding a chosen subset of the fixture run.
class RunCopy {
 public:
  explicit RunCopy(const std::vector<std::string>& files)
      : dir_(fs::temp_directory_path() /
             ("memgan_html_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const auto& f : files) fs::copy(kRun / f, dir_ / f, fs::copy_options::recursive);
  }
  ~RunCopy() { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name, std::ios::binary) << text; }
  std::string str() const { return dir_.string(); }

 private:
  fs::path dir_;
};

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Every non-void element closes, in order (the page is generated, so no optional end tags).
void expect_balanced(const std::string& html) {
  static const std::regex tag(R"(<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>)");
  static const std::vector<std::string> kVoid = {"meta", "img", "br", "hr", "link", "input"};
  std::vector<std::string> stack;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[2];
    if ((*it)[3] == "/" || std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end()) continue;
    if ((*it)[1] == "/") {
      ASSERT_FALSE(stack.empty()) << "</" << name << "> without an opening tag";
      ASSERT_EQ(stack.back(), name) << "at offset " << it->position();
      stack.pop_back();
    } else {
      stack.push_back(name);
    }
  }
  EXPECT_TRUE(stack.empty()) << stack.size() << " unclosed, first " << (stack.empty() ? "" : stack.front());
}

std::vector<size_t> polyline_sizes(const std::string& html) {
  static const std::regex points("points=\"([^\"]*)\"");
  std::vector<size_t> sizes;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), points); it != std::sregex_iterator(); ++it) {
    sizes.push_back(count((*it)[1].str(), ",") );
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
}

}  // namespace
}  // namespace memgan::report
