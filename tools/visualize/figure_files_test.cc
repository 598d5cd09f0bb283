#include "tools/visualize/figure_files.h"

#include <cstdlib>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "training/file_io.h"
#include "vision/png_io.h"

namespace sf::visualize {
namespace {

HeatmapFigure SmallFigure() {
  HeatmapFigure figure;
  figure.title = "two heads";
  figure.weights = at::tensor({1.0, 0.0, 0.5, 0.5, 0.25, 0.75, 0.0, 1.0}, at::kDouble)
                       .reshape({1, 2, 2, 2});
  figure.panel_titles = {"layer 0 head 0", "layer 0 head 1"};
  figure.query_labels = {"a", "b\xff"};
  figure.key_labels = {"a", "b\xff"};
  return figure;
}

TEST(HeatmapFigureJsonTest, HoldsTheRawWeightsAndValidLabels) {
  const nlohmann::json json = HeatmapFigureJson(SmallFigure());
  EXPECT_EQ(json["shape"], nlohmann::json({1, 2, 2, 2}));
  EXPECT_EQ(json["weights"][0][1][0][1].get<double>(), 0.75);
  EXPECT_EQ(json["weights"][0][0][1][0].get<double>(), 0.5);
  EXPECT_EQ(json["query_labels"][1].get<std::string>(), "b\xef\xbf\xbd");
  EXPECT_EQ(json["panel_titles"][1].get<std::string>(), "layer 0 head 1");
  EXPECT_NO_THROW((void)json.dump());
}

TEST(WriteHeatmapFigureTest, WritesPngSvgAndJson) {
  const std::string prefix = std::string(std::getenv("TEST_TMPDIR")) + "/figure";
  absl::StatusOr<FigureFiles> files =
      WriteHeatmapFigure(prefix, SmallFigure(), {.cell = 2, .padding = 1}, {.cell = 10});
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(files->png, prefix + ".png");
  absl::StatusOr<at::Tensor> png = vision::ReadPng(files->png);
  ASSERT_TRUE(png.ok()) << png.status();
  EXPECT_EQ(png->size(0), 3);
  absl::StatusOr<std::string> svg = training::ReadFileToString(files->svg);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_NE(svg->find(">two heads</text>"), std::string::npos);
  absl::StatusOr<std::string> json = training::ReadFileToString(files->json);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(nlohmann::json::parse(*json)["title"], "two heads");
}

TEST(WriteHeatmapFigureTest, UnwritableDirectoryIsAnErrorNamingThePath) {
  absl::StatusOr<FigureFiles> files = WriteHeatmapFigure(
      "/nonexistent-dir/figure", SmallFigure(), {.cell = 2}, {.cell = 10});
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.status().message().find("/nonexistent-dir/figure"), absl::string_view::npos);
}

}  // namespace
}  // namespace sf::visualize
