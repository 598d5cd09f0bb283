#include "tasks/imdb/report.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace sf::tasks::imdb {
namespace {

constexpr double kWidth = 640, kHeight = 400;
constexpr double kLeft = 60, kRight = 200, kTop = 40, kBottom = 50;
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#17becf"};

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Number(double v) { return absl::StrFormat("%.6g", v); }

}  // namespace

std::string LineChartSvg(const LineChart& chart) {
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min;
  double y_min = x_min, y_max = -x_min;
  for (double x : chart.x) {
    x_min = std::min(x_min, x);
    x_max = std::max(x_max, x);
  }
  for (const ChartSeries& s : chart.series) {
    for (size_t i = 0; i < s.y.size() && i < chart.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      y_min = std::min(y_min, s.y[i]);
      y_max = std::max(y_max, s.y[i]);
    }
  }
  if (!std::isfinite(x_min)) x_min = 0, x_max = 1;
  if (!std::isfinite(y_min)) y_min = 0, y_max = 1;
  if (x_max == x_min) x_min -= 1, x_max += 1;
  const double margin = y_max > y_min ? 0.05 * (y_max - y_min) : 0.5;
  y_min -= margin;
  y_max += margin;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) { return kTop + (y_max - y) / (y_max - y_min) * plot_h; };

  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%g\" y=\"22\" font-size=\"15\">%s</text>\n"
      "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#444\"/>\n",
      kWidth, kHeight, kLeft, Escape(chart.title), kLeft, kTop, plot_w, plot_h);
  for (int t = 0; t <= 5; ++t) {
    const double y = y_min + (y_max - y_min) * t / 5.0;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                          kLeft, py(y), kLeft + plot_w, py(y), kLeft - 6, py(y) + 4,
                          absl::StrFormat("%.3g", y));
  }
  for (double x : chart.x) {
    absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%s</text>\n",
                          px(x), kTop + plot_h + 18, Number(x));
  }
  absl::StrAppendFormat(&svg, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n",
                        kLeft + plot_w / 2, kHeight - 10, Escape(chart.x_label));
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const ChartSeries& s = chart.series[k];
    const char* color = kColors[k % (sizeof(kColors) / sizeof(kColors[0]))];
    std::vector<std::string> points;
    for (size_t i = 0; i < s.y.size() && i < chart.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      points.push_back(absl::StrFormat("%.1f,%.1f", px(chart.x[i]), py(s.y[i])));
      absl::StrAppendFormat(&svg, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                            px(chart.x[i]), py(s.y[i]), color);
    }
    absl::StrAppendFormat(&svg,
                          "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                          "stroke-width=\"2\"/>\n",
                          absl::StrJoin(points, " "), color);
    const double ly = kTop + 10 + 20 * k;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"%s\" "
                          "stroke-width=\"2\"/><text x=\"%g\" y=\"%g\">%s</text>\n",
                          kLeft + plot_w + 12, ly, kLeft + plot_w + 32, ly, color,
                          kLeft + plot_w + 38, ly + 4, Escape(s.name));
  }
  svg += "</svg>\n";
  return svg;
}

std::string CsvTable(const std::vector<std::string>& header,
                     const std::vector<std::vector<double>>& rows) {
  std::string csv = absl::StrCat(absl::StrJoin(header, ","), "\n");
  for (const std::vector<double>& row : rows) {
    std::vector<std::string> cells;
    for (double v : row) cells.push_back(Number(v));
    absl::StrAppend(&csv, absl::StrJoin(cells, ","), "\n");
  }
  return csv;
}

}  // namespace sf::tasks::imdb
