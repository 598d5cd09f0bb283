#include "tools/plot/svg_line_plot.h"

#include <cmath>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace sf::plot {
namespace {

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(SvgLinePlotTest, DrawsOnePolylineAndOneDotPerPointForEachSeries) {
  LinePlotOptions options;
  options.title = "time vs L";
  options.log_x = options.log_y = true;
  const std::string svg = RenderLinePlot(
      {{"fused", {64, 128, 256}, {1, 2, 4}}, {"reference", {64, 128, 256}, {1, 4, 16}}}, options);
  EXPECT_TRUE(absl::StartsWith(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(absl::EndsWith(svg, "</svg>\n"));
  EXPECT_EQ(Count(svg, "<polyline"), 2);
  EXPECT_EQ(Count(svg, "<circle"), 6);
  EXPECT_TRUE(absl::StrContains(svg, ">fused</text>"));
  EXPECT_TRUE(absl::StrContains(svg, ">reference</text>"));
  EXPECT_TRUE(absl::StrContains(svg, ">time vs L</text>"));
}

TEST(SvgLinePlotTest, LogScaleLeavesOutNonPositiveAndNonFinitePointsAndBreaksTheLine) {
  LinePlotOptions options;
  options.log_y = true;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::string svg =
      RenderLinePlot({{"a", {1, 2, 3, 4, 5}, {1, 0, 3, nan, 5}}}, options);
  EXPECT_EQ(Count(svg, "<circle"), 3);
  EXPECT_EQ(Count(svg, "<polyline"), 3);  // {1}, {3}, {5}: no segment crosses a gap
}

TEST(SvgLinePlotTest, PointsAreMappedMonotonicallyWithYUpwards) {
  LinePlotOptions options;
  const std::string svg = RenderLinePlot({{"a", {0, 1, 2}, {0, 10, 20}}}, options);
  const size_t begin = svg.find("points=\"") + 8;
  const std::string points = svg.substr(begin, svg.find('"', begin) - begin);
  std::vector<std::pair<double, double>> xy;
  for (absl::string_view p : absl::StrSplit(points, ' ')) {
    std::vector<std::string> parts = absl::StrSplit(p, ',');
    ASSERT_EQ(parts.size(), 2u);
    xy.emplace_back(std::stod(parts[0]), std::stod(parts[1]));
  }
  ASSERT_EQ(xy.size(), 3u);
  EXPECT_LT(xy[0].first, xy[1].first);
  EXPECT_GT(xy[0].second, xy[1].second);  // larger y is higher on the page
  // Linear axes: equal steps in data are equal steps in pixels.
  EXPECT_NEAR(xy[1].first - xy[0].first, xy[2].first - xy[1].first, 0.11);
  EXPECT_NEAR(xy[1].second - xy[0].second, xy[2].second - xy[1].second, 0.11);
}

TEST(SvgLinePlotTest, EscapesTextAndSaysNoDataWhenNothingIsDrawable) {
  LinePlotOptions options;
  options.title = "a<b & \"c\"";
  const std::string svg = RenderLinePlot({{"x<y", {}, {}}}, options);
  EXPECT_TRUE(absl::StrContains(svg, "a&lt;b &amp; &quot;c&quot;"));
  EXPECT_TRUE(absl::StrContains(svg, "x&lt;y"));
  EXPECT_FALSE(absl::StrContains(svg, "x<y"));
  EXPECT_TRUE(absl::StrContains(svg, ">no data</text>"));
}

TEST(AxisTicksTest, LinearStepsOfOneTwoOrFive) {
  EXPECT_EQ(AxisTicks(0, 10, false), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(AxisTicks(0.5, 3.2, false), (std::vector<double>{1, 2, 3}));
}

TEST(AxisTicksTest, LogAxesUsePowersOfTwoOrTen) {
  EXPECT_EQ(AxisTicks(60, 9000, true), (std::vector<double>{64, 128, 256, 512, 1024, 2048, 4096, 8192}));
  EXPECT_EQ(AxisTicks(0.05, 2000, true), (std::vector<double>{0.1, 1, 10, 100, 1000}));
}

}  // namespace
}  // namespace sf::plot
