// Inline SVG charts for the HTML report: generated text, no scripts, no external
// references (the SVG namespace comes from the HTML parser, so there is no xmlns URL).
// Numbers are laid out with "nice" 1-2-5 axis ticks; every text is HTML-escaped.
#pragma once

#include <string>
#include <vector>

namespace memgan::report {

// & < > " ' as entities.
std::string html_escape(const std::string& text);

struct Series {
  std::string name;
  std::vector<double> x, y;  // same length; non-finite y values are skipped (gaps)
  bool line = true;          // joined by a line
  bool markers = false;      // a dot at each point (a scatter: line false, markers true)
  std::vector<std::string> titles{};  // per point, shown on hover over its dot
};

struct LineChart {
  std::string x_label, y_label;
  std::vector<Series> series;  // drawn in order, colours from a colour-blind-safe palette
  bool y_from_zero = true;     // include 0 on the y axis (power, energy); false for losses
  int width = 960, height = 320;
  std::vector<double> x_include{};  // x values the axis spans even without data there (aligns stacked charts)
};
std::string svg_line_chart(const LineChart& chart);

struct Bar {
  std::string label;
  double value = 0;  // >= 0; bar lengths are relative to the largest
  std::string text;  // shown after the bar, e.g. "2.89 uJ  58.4%"
};
std::string svg_bar_chart(const std::vector<Bar>& bars, int width = 960);

// A timeline of busy spans per resource (one lane each): "one training step on the chip".
struct GanttSpan {
  double t0 = 0, t1 = 0;  // x units
  int kind = 0;           // index into GanttChart::kinds: its colour and legend entry
  std::string title;      // shown on hover
};
struct GanttLane {
  std::string name;
  std::vector<GanttSpan> spans;  // may overlap (drawn in order, semi-transparent)
};
struct GanttChart {
  std::string x_label;
  std::vector<std::string> kinds;  // legend, in palette order
  std::vector<GanttLane> lanes;
  double x0 = 0, x1 = 0;  // the axis range (x1 <= x0: the spans' own)
  int width = 960;
};
std::string svg_gantt_chart(const GanttChart& chart);

// At most `max_points` points that keep the shape of a long series: for each of
// max_points / 2 equal index buckets, its minimum and maximum (in index order), so peaks
// survive. Shorter series come back unchanged.
Series downsample(const Series& s, size_t max_points);

// Ticks at multiples of 1, 2 or 5 x 10^k, about `target` of them, from the last one at or
// below lo to the first one at or above hi.
std::vector<double> nice_ticks(double lo, double hi, int target);

}  // namespace memgan::report
