#include "tools/visualize/heatmap_svg.h"

#include <regex>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "tools/visualize/colormap.h"

namespace sf::visualize {
namespace {

std::vector<std::string> CellFills(const std::string& svg) {
  static const std::regex kCell(
      R"re(<rect x="[^"]*" y="[^"]*" width="[^"]*" height="[^"]*" fill="(#[0-9a-f]{6})"/>)re");
  std::vector<std::string> fills;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kCell); it != std::sregex_iterator();
       ++it) {
    fills.push_back((*it)[1]);
  }
  return fills;
}

int Count(const std::string& text, const std::string& piece) {
  int n = 0;
  for (size_t pos = text.find(piece); pos != std::string::npos; pos = text.find(piece, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(RenderHeatmapSvgTest, CellsHaveTheColoursOfTheirWeightsInRowMajorOrder) {
  HeatmapFigure figure;
  figure.title = "known";
  figure.weights = at::tensor({0.0, 1.0, 0.5, 0.25}, at::kDouble).reshape({1, 1, 2, 2});
  const std::vector<std::string> fills = CellFills(RenderHeatmapSvg(figure));
  EXPECT_EQ(fills, (std::vector<std::string>{"#440154", "#fde725", HexColor(Viridis(0.5)),
                                             HexColor(Viridis(0.25))}));
}

TEST(RenderHeatmapSvgTest, PanelsFollowLayersThenHeads) {
  HeatmapFigure figure;
  figure.weights = at::zeros({2, 2, 1, 1}, at::kDouble);
  figure.weights[1][0][0][0] = 1.0;  // layer 1, head 0: third panel
  figure.panel_titles = {"L0 H0", "L0 H1", "L1 H0", "L1 H1"};
  const std::string svg = RenderHeatmapSvg(figure);
  EXPECT_EQ(CellFills(svg),
            (std::vector<std::string>{"#440154", "#440154", "#fde725", "#440154"}));
  for (const std::string& title : figure.panel_titles) {
    EXPECT_NE(svg.find(">" + title + "</text>"), std::string::npos) << title;
  }
}

TEST(RenderHeatmapSvgTest, TokensLabelBothAxesEscaped) {
  HeatmapFigure figure;
  figure.title = "a <b> & \"c\"";
  figure.weights = at::full({1, 1, 2, 2}, 0.25, at::kDouble);
  figure.query_labels = {"<cls>", "fun&games"};
  figure.key_labels = {"<cls>", "fun&games"};
  const std::string svg = RenderHeatmapSvg(figure);
  EXPECT_EQ(Count(svg, ">&lt;cls&gt;</text>"), 2);
  EXPECT_EQ(Count(svg, ">fun&amp;games</text>"), 2);
  EXPECT_NE(svg.find(">a &lt;b&gt; &amp; &quot;c&quot;</text>"), std::string::npos);
  EXPECT_EQ(svg.find("<cls>"), std::string::npos);
}

TEST(RenderHeatmapSvgTest, ColourBarHasTicksAndLegend) {
  HeatmapFigure figure;
  figure.weights = at::zeros({1, 1, 3, 3});
  figure.scale = {.lo = 0.0, .hi = 0.5};
  figure.scale_label = "attention weight";
  std::string svg = RenderHeatmapSvg(figure);
  for (const char* tick : {">0</text>", ">0.125</text>", ">0.25</text>", ">0.375</text>",
                           ">0.5</text>"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
  EXPECT_NE(svg.find(">attention weight</text>"), std::string::npos);
  EXPECT_NE(svg.find("url(#colorbar)"), std::string::npos);

  figure.ticks = {{0.0, "blocked"}, {0.5, "allowed"}};
  svg = RenderHeatmapSvg(figure);
  EXPECT_NE(svg.find(">blocked</text>"), std::string::npos);
  EXPECT_NE(svg.find(">allowed</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">0.125</text>"), std::string::npos);
}

TEST(RenderHeatmapSvgTest, MismatchedLabelsAreProgrammerErrors) {
  HeatmapFigure figure;
  figure.weights = at::zeros({1, 1, 2, 2});
  figure.query_labels = {"only one"};
  EXPECT_THROW(RenderHeatmapSvg(figure), c10::Error);
}

TEST(EscapeXmlTest, ReplacesInvalidUtf8AndControlCharacters) {
  EXPECT_EQ(EscapeXml("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(EscapeXml("a\xff" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(EscapeXml("tab\there"), "tab\xef\xbf\xbdhere");
}

TEST(ShortenLabelTest, CutsAtCodePointsWithAnEllipsis) {
  EXPECT_EQ(ShortenLabel("short", 12), "short");
  EXPECT_EQ(ShortenLabel("abcdefgh", 4), "abc\u2026");
  EXPECT_EQ(ShortenLabel("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3), "\xc3\xa9\xc3\xa9\u2026");
}

}  // namespace
}  // namespace sf::visualize
