#include "core/report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace memgan::report {
namespace {

// Okabe-Ito: distinguishable with the common colour-vision deficiencies.
const char* const kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"};

std::string num(double v) { return fmt::format("{:.1f}", v); }
std::string tick_label(double v) { return fmt::format("{:g}", std::fabs(v) < 1e-12 ? 0.0 : v); }

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
  for (double k = first; k <= last; ++k) ticks.push_back(k * step);
  return ticks;
}

Series downsample(const Series& s, size_t max_points) {
  const size_t n = s.x.size();
  if (n <= max_points || max_points < 2) return s;
  Series out{s.name, {}, {}};
  const size_t buckets = max_points / 2;
  for (size_t b = 0; b < buckets; ++b) {
    const size_t lo = b * n / buckets, hi = (b + 1) * n / buckets;
    size_t imin = lo, imax = lo;
    for (size_t i = lo; i < hi; ++i) {
      if (!std::isfinite(s.y[i])) continue;
      if (!std::isfinite(s.y[imin]) || s.y[i] < s.y[imin]) imin = i;
      if (!std::isfinite(s.y[imax]) || s.y[i] > s.y[imax]) imax = i;
    }
    for (size_t i : {std::min(imin, imax), std::max(imin, imax)}) {
      out.x.push_back(s.x[i]);
      out.y.push_back(s.y[i]);
      if (imin == imax) break;
    }
  }
  return out;
}

std::string svg_line_chart(const LineChart& c) {
  const double left = 78, right = 24, top = 34, bottom = 48;
  const double pw = c.width - left - right, ph = c.height - top - bottom;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : c.series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
    }
  }
  if (!std::isfinite(y0)) y0 = 0, y1 = 1;
  for (double x : c.x_include) {
    if (std::isfinite(x)) x0 = std::min(x0, x), x1 = std::max(x1, x);
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1;
  if (c.y_from_zero) y0 = std::min(y0, 0.0), y1 = std::max(y1, 0.0);
  if (!(x1 > x0)) x1 = x0 + 1;
  if (!(y1 > y0)) y1 = y0 + 1;
  const auto yt = nice_ticks(y0, y1, 5);
  y0 = std::min(y0, yt.front());
  y1 = std::max(y1, yt.back());
  const auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  const auto py = [&](double y) { return top + ph - (y - y0) / (y1 - y0) * ph; };

  std::string svg = fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" role=\"img\">\n", c.width, c.height);
  for (double t : yt) {
    svg += fmt::format("<line class=\"grid\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>", num(left), num(left + pw), num(py(t)));
    svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", num(left - 6),
                       num(py(t) + 4), tick_label(t));
  }
  for (double t : nice_ticks(x0, x1, 8)) {
    if (t < x0 || t > x1) continue;
    svg += fmt::format("<line class=\"axis\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>", num(px(t)), num(top + ph),
                       num(top + ph + 5));
    svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(px(t)),
                       num(top + ph + 18), tick_label(t));
  }
  svg += fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n", num(left), num(top),
                     num(pw), num(ph));
  svg += fmt::format("<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(left + pw / 2),
                     num(c.height - 8.0), html_escape(c.x_label));
  svg += fmt::format("<text class=\"label\" transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                     num(top + ph / 2), html_escape(c.y_label));
  double lx = left;
  for (size_t k = 0; k < c.series.size(); ++k) {
    const auto& s = c.series[k];
    const char* colour = kPalette[k % std::size(kPalette)];
    std::string points;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isfinite(s.y[i])) points += fmt::format("{}{},{}", points.empty() ? "" : " ", num(px(s.x[i])), num(py(s.y[i])));
    }
    if (s.line)
      svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\" stroke-linejoin=\"round\" points=\"{}\"><title>{}</title></polyline>\n",
                         colour, points, html_escape(s.name));
    if (s.markers) {
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!std::isfinite(s.y[i])) continue;
        svg += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\"><title>{}</title></circle>\n", num(px(s.x[i])),
                           num(py(s.y[i])), colour, html_escape(i < s.titles.size() ? s.titles[i] : s.name));
      }
    }
    svg += fmt::format("<rect x=\"{}\" y=\"10\" width=\"14\" height=\"4\" fill=\"{}\"/><text class=\"legend\" x=\"{}\" y=\"16\">{}</text>\n",
                       num(lx), colour, num(lx + 18), html_escape(s.name));
    lx += 30 + 7.0 * static_cast<double>(s.name.size());
  }
  return svg + "</svg>\n";
}

std::string svg_bar_chart(const std::vector<Bar>& bars, int width) {
  const double label_w = 170, text_w = 170, row = 24, top = 6;
  const double bw = width - label_w - text_w;
  double max = 0;
  for (const auto& b : bars) max = std::max(max, b.value);
  const double height = top * 2 + row * static_cast<double>(bars.size());
  std::string svg = fmt::format("<svg class=\"chart\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" role=\"img\">\n",
                                width, num(height));
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = top + row * static_cast<double>(i);
    const double len = max > 0 ? std::max(0.0, b.value) / max * bw : 0;
    svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", num(label_w - 8),
                       num(y + 16), html_escape(b.label));
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>",
                       num(label_w), num(y + 4), num(std::max(len, 1.0)), num(row - 8), kPalette[0], html_escape(b.label),
                       html_escape(b.text));
    svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\">{}</text>\n", num(label_w + len + 6), num(y + 16),
                       html_escape(b.text));
  }
  return svg + "</svg>\n";
}

std::string svg_gantt_chart(const GanttChart& chart) {
  const double label_w = 120, right = 16, row = 18, top = 8, axis_h = 34, legend_h = 22;
  const double plot_w = chart.width - label_w - right;
  double x0 = chart.x0, x1 = chart.x1;
  if (!(x1 > x0)) {
    x0 = std::numeric_limits<double>::infinity(), x1 = -x0;
    for (const auto& l : chart.lanes)
      for (const auto& s : l.spans) x0 = std::min(x0, s.t0), x1 = std::max(x1, s.t1);
    if (!(x1 > x0)) x0 = 0, x1 = 1;
  }
  const auto x = [&](double t) { return label_w + (std::clamp(t, x0, x1) - x0) / (x1 - x0) * plot_w; };
  const double lanes_h = row * static_cast<double>(chart.lanes.size());
  const double height = top + lanes_h + axis_h + legend_h;
  std::string svg = fmt::format("<svg class=\"chart\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" role=\"img\">\n",
                                chart.width, num(height));
  const size_t colours = sizeof(kPalette) / sizeof(kPalette[0]);
  for (size_t i = 0; i < chart.lanes.size(); ++i) {
    const auto& lane = chart.lanes[i];
    const double y = top + row * static_cast<double>(i);
    if (i % 2 == 0)
      svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f3f3f3\"/>", num(label_w), num(y),
                         num(plot_w), num(row));
    svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", num(label_w - 6),
                       num(y + 13), html_escape(lane.name));
    for (const auto& s : lane.spans) {
      const double a = x(s.t0), b = x(s.t1);
      svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" fill-opacity=\"0.8\"><title>{}</title></rect>",
                         num(a), num(y + 2), num(std::max(b - a, 0.5)), num(row - 4),
                         kPalette[size_t(std::max(0, s.kind)) % colours], html_escape(s.title));
    }
    svg += "\n";
  }
  // Time axis.
  const double axis_y = top + lanes_h;
  svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>", num(label_w), num(axis_y),
                     num(label_w + plot_w), num(axis_y));
  for (double t : nice_ticks(x0, x1, 8)) {
    if (t < x0 - 1e-9 * (x1 - x0) || t > x1 + 1e-9 * (x1 - x0)) continue;
    svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", num(x(t)),
                       num(axis_y + 14), tick_label(t));
  }
  svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     num(label_w + plot_w / 2), num(axis_y + 29), html_escape(chart.x_label));
  // Legend.
  double lx = label_w;
  const double ly = axis_y + axis_h + 4;
  for (size_t k = 0; k < chart.kinds.size(); ++k) {
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text class=\"tick\" x=\"{}\" "
                       "y=\"{}\">{}</text>",
                       num(lx), num(ly), kPalette[k % colours], num(lx + 16), num(ly + 10), html_escape(chart.kinds[k]));
    lx += 16 + 7.0 * static_cast<double>(chart.kinds[k].size()) + 18;
  }
  return svg + "\n</svg>\n";
}

}  // namespace memgan::report
