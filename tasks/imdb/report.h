// Per-epoch results as files people look at: a CSV table and an SVG line chart.
//
//   LineChart chart{.title = "IMDB", .x_label = "epoch", .x = {1, 2, 3}};
//   chart.series.push_back({"validation accuracy", {0.86, 0.89, 0.9}});
//   std::string svg = LineChartSvg(chart);
//   std::string csv = CsvTable({"epoch", "accuracy"}, {{1, 0.86}, {2, 0.89}});
#ifndef SCRATCHFORMER_TASKS_IMDB_REPORT_H_
#define SCRATCHFORMER_TASKS_IMDB_REPORT_H_

#include <string>
#include <vector>

namespace sf::tasks::imdb {

struct ChartSeries {
  std::string name;
  std::vector<double> y;  // one per x; non-finite values are left out
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::vector<double> x;
  std::vector<ChartSeries> series;
};

// A self-contained SVG document: axes with ticks, one coloured polyline with markers per
// series, a legend. The y range covers the data with a margin.
std::string LineChartSvg(const LineChart& chart);

// Header line and rows, comma-separated, numbers with up to 6 significant digits.
std::string CsvTable(const std::vector<std::string>& header,
                     const std::vector<std::vector<double>>& rows);

}  // namespace sf::tasks::imdb

#endif  // SCRATCHFORMER_TASKS_IMDB_REPORT_H_
