// Line charts as standalone SVG text: several named series over one x axis, linear or
// logarithmic axes, a legend. No dependency beyond the standard library and Abseil's strings,
// so any binary can write a chart next to its JSON/CSV results.
//
//   sf::plot::LinePlotOptions options;
//   options.title = "forward time vs L";
//   options.x_label = "sequence length L";
//   options.y_label = "ms";
//   options.log_x = options.log_y = true;
//   std::string svg = sf::plot::RenderLinePlot(
//       {{"fused", {64, 128, 256}, {0.4, 1.1, 3.9}}, {"reference", {64, 128, 256}, {0.5, 1.9, 7.7}}},
//       options);
//
// Points that cannot be drawn (NaN, infinite, or <= 0 on a logarithmic axis) are left out of
// their series, which then breaks into separate polylines rather than drawing a false segment.
#ifndef SCRATCHFORMER_TOOLS_PLOT_SVG_LINE_PLOT_H_
#define SCRATCHFORMER_TOOLS_PLOT_SVG_LINE_PLOT_H_

#include <string>
#include <vector>

namespace sf::plot {

struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;  // same size as x
};

struct LinePlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
  int width = 760;
  int height = 480;
};

// A complete SVG document. Series names and labels are XML-escaped. With no drawable point the
// chart still renders, with the text "no data".
std::string RenderLinePlot(const std::vector<Series>& series, const LinePlotOptions& options);

// Tick positions inside [low, high]: 1-2-5 steps (about five ticks) on a linear axis and on a
// log axis spanning less than a factor 4; otherwise the powers of 2 (span under 2^12) or of 10.
std::vector<double> AxisTicks(double low, double high, bool log_scale);

}  // namespace sf::plot

#endif  // SCRATCHFORMER_TOOLS_PLOT_SVG_LINE_PLOT_H_
