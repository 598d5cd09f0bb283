#include "tools/plot/svg_line_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace sf::plot {
namespace {

// Colour-blind-safe palette (Okabe-Ito), then greys for further series.
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#999999"};

// Margins around the plotting area: left for tick labels and the y label, right for the legend.
constexpr double kLeft = 78, kRight = 170, kTop = 40, kBottom = 58;

std::string Escape(const std::string& text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

bool Drawable(double v, bool log_scale) { return std::isfinite(v) && (!log_scale || v > 0); }

std::vector<double> LinearTicks(double low, double high) {
  const double raw = (high - low) / 5.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(low / step) * step; t <= high * (1 + 1e-12) + 1e-300; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

std::string TickLabel(double v) {
  if (v == 0) return "0";
  const double a = std::abs(v);
  if (a >= 1e5 || a < 1e-3) return absl::StrFormat("%.0e", v);
  if (a >= 100 || v == std::round(v)) return absl::StrFormat("%.0f", v);
  return absl::StrFormat("%.3g", v);
}

// Maps data values to pixels along one axis.
struct Axis {
  double low = 0, high = 1;
  bool log_scale = false;
  double pixel_low = 0, pixel_high = 1;

  double Map(double v) const {
    const double a = log_scale ? std::log(low) : low;
    const double b = log_scale ? std::log(high) : high;
    const double t = ((log_scale ? std::log(v) : v) - a) / (b - a);
    return pixel_low + t * (pixel_high - pixel_low);
  }
};

// [min, max] of the drawable values, widened so that points do not sit on the frame and a
// single value still spans a range.
std::pair<double, double> Range(const std::vector<double>& values, bool log_scale) {
  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  for (double v : values) {
    if (!Drawable(v, log_scale)) continue;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  if (!(low <= high)) return {1, 10};
  if (log_scale) {
    if (high / low < 1.01) return {low / 2, high * 2};
    const double pad = std::pow(high / low, 0.04);
    return {low / pad, high * pad};
  }
  if (high - low < 1e-12 * std::max(1.0, std::abs(high))) {
    const double half = std::max(1.0, std::abs(high) * 0.5);
    return {low - half, high + half};
  }
  const double pad = (high - low) * 0.05;
  return {low - pad, high + pad};
}

}  // namespace

std::vector<double> AxisTicks(double low, double high, bool log_scale) {
  if (!(low < high)) return {low};
  if (!log_scale || high / low < 4) return LinearTicks(low, high);
  const double base = high / low < 4096 ? 2.0 : 10.0;
  std::vector<double> ticks;
  for (double e = std::ceil(std::log(low) / std::log(base) - 1e-9);
       std::pow(base, e) <= high * (1 + 1e-9); e += 1) {
    ticks.push_back(std::pow(base, e));
  }
  return ticks;
}

std::string RenderLinePlot(const std::vector<Series>& series, const LinePlotOptions& options) {
  std::vector<double> xs, ys;
  for (const Series& s : series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (Drawable(s.x[i], options.log_x) && Drawable(s.y[i], options.log_y)) {
        xs.push_back(s.x[i]);
        ys.push_back(s.y[i]);
      }
    }
  }
  const double w = options.width, h = options.height;
  Axis x_axis, y_axis;
  std::tie(x_axis.low, x_axis.high) = Range(xs, options.log_x);
  std::tie(y_axis.low, y_axis.high) = Range(ys, options.log_y);
  x_axis.log_scale = options.log_x;
  y_axis.log_scale = options.log_y;
  x_axis.pixel_low = kLeft;
  x_axis.pixel_high = w - kRight;
  y_axis.pixel_low = h - kBottom;  // y grows upwards
  y_axis.pixel_high = kTop;

  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      options.width, options.height, options.width, options.height);
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
                        (kLeft + w - kRight) / 2, Escape(options.title));

  // Grid, ticks and frame.
  for (double t : AxisTicks(x_axis.low, x_axis.high, options.log_x)) {
    const double px = x_axis.Map(t);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                          px, kTop, px, h - kBottom, px, h - kBottom + 16, TickLabel(t));
  }
  for (double t : AxisTicks(y_axis.low, y_axis.high, options.log_y)) {
    const double py = y_axis.Map(t);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                          kLeft, py, w - kRight, py, kLeft - 6, py + 4, TickLabel(t));
  }
  absl::StrAppendFormat(&svg,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                        "stroke=\"#333\"/>\n",
                        kLeft, kTop, w - kLeft - kRight, h - kTop - kBottom);
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s%s</text>\n",
                        (kLeft + w - kRight) / 2, h - 16, Escape(options.x_label),
                        options.log_x ? " (log scale)" : "");
  absl::StrAppendFormat(&svg,
                        "<text transform=\"translate(18 %.1f) rotate(-90)\" "
                        "text-anchor=\"middle\">%s%s</text>\n",
                        (kTop + h - kBottom) / 2, Escape(options.y_label),
                        options.log_y ? " (log scale)" : "");
  if (xs.empty()) {
    absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data</text>\n",
                          (kLeft + w - kRight) / 2, (kTop + h - kBottom) / 2);
  }

  // One polyline per unbroken run of drawable points, a dot per point, a legend entry.
  for (size_t s = 0; s < series.size(); ++s) {
    const Series& line = series[s];
    const char* colour = kColours[std::min(s, std::size(kColours) - 1)];
    absl::StrAppendFormat(&svg, "<g class=\"series\" stroke=\"%s\" fill=\"%s\">\n", colour, colour);
    std::string points, dots;
    auto flush = [&] {
      if (!points.empty()) {
        absl::StrAppend(&svg, "<polyline fill=\"none\" stroke-width=\"2\" points=\"", points,
                        "\"/>\n");
      }
      points.clear();
    };
    for (size_t i = 0; i < line.x.size() && i < line.y.size(); ++i) {
      if (!Drawable(line.x[i], options.log_x) || !Drawable(line.y[i], options.log_y)) {
        flush();
        continue;
      }
      const double px = x_axis.Map(line.x[i]), py = y_axis.Map(line.y[i]);
      absl::StrAppendFormat(&points, "%s%.1f,%.1f", points.empty() ? "" : " ", px, py);
      absl::StrAppendFormat(&dots, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>\n", px, py);
    }
    flush();
    absl::StrAppend(&svg, dots);
    const double ly = kTop + 10 + 20.0 * s;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke-width=\"2\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" stroke=\"none\" fill=\"#000\">%s</text>\n",
                          w - kRight + 12, ly, w - kRight + 36, ly, w - kRight + 42, ly + 4,
                          Escape(line.name));
    absl::StrAppend(&svg, "</g>\n");
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

}  // namespace sf::plot
