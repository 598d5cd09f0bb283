#include "tasks/imdb/report.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace sf::tasks::imdb {
namespace {

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(ReportTest, ChartHasOneLineAndMarkersPerSeries) {
  LineChart chart{.title = "loss & accuracy", .x_label = "epoch", .x = {1, 2, 3}};
  chart.series.push_back({"accuracy", {0.8, 0.85, 0.9}});
  chart.series.push_back({"loss", {0.5, NAN, 0.3}});
  const std::string svg = LineChartSvg(chart);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(Count(svg, "<polyline"), 2);
  EXPECT_EQ(Count(svg, "<circle"), 5);  // the NaN is left out
  EXPECT_NE(svg.find("loss &amp; accuracy"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

TEST(ReportTest, EmptyChartIsStillAValidDocument) {
  const std::string svg = LineChartSvg(LineChart{.title = "nothing"});
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(ReportTest, CsvRows) {
  EXPECT_EQ(CsvTable({"epoch", "acc"}, {{1, 0.5}, {2, 0.875}}), "epoch,acc\n1,0.5\n2,0.875\n");
}

}  // namespace
}  // namespace sf::tasks::imdb
