#include "tools/visualize/heatmap_grid.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "tools/visualize/colormap.h"
#include "vision/png_io.h"

namespace sf::visualize {
namespace {

Rgb PixelAt(const at::Tensor& image, int64_t y, int64_t x) {
  const auto level = [&](int64_t c) {
    return static_cast<uint8_t>(std::lround(image[c][y][x].item<float>() * 255.0f));
  };
  return Rgb{level(0), level(1), level(2)};
}

constexpr Rgb kWhite{255, 255, 255};

// Two layers x three heads of 2 x 2 weights, every entry different.
at::Tensor KnownWeights() {
  return at::arange(24, at::kDouble).reshape({2, 3, 2, 2}) / 23.0;
}

TEST(ComposeHeatmapGridTest, PanelsSitWhereTheLayoutSaysWithTheirWeightsColours) {
  const HeatmapGridStyle style{.cell = 3, .padding = 2, .colorbar_width = 4};
  const at::Tensor weights = KnownWeights();
  const at::Tensor image = ComposeHeatmapGrid(weights, style);
  const int64_t panel = 2 * style.cell;
  const int64_t grid_w = 3 * (panel + style.padding) + style.padding;
  const int64_t grid_h = 2 * (panel + style.padding) + style.padding;
  ASSERT_EQ(image.size(0), 3);
  ASSERT_EQ(image.size(1), grid_h);
  ASSERT_EQ(image.size(2), grid_w + style.padding + style.colorbar_width + style.padding);
  for (int64_t r = 0; r < 2; ++r) {
    for (int64_t c = 0; c < 3; ++c) {
      for (int64_t i = 0; i < 2; ++i) {
        for (int64_t j = 0; j < 2; ++j) {
          const int64_t y = style.padding + r * (panel + style.padding) + i * style.cell + 1;
          const int64_t x = style.padding + c * (panel + style.padding) + j * style.cell + 1;
          EXPECT_EQ(PixelAt(image, y, x), Viridis(weights[r][c][i][j].item<double>()))
              << "layer " << r << " head " << c << " entry (" << i << ", " << j << ")";
        }
      }
    }
  }
  EXPECT_EQ(PixelAt(image, 0, 0), kWhite);
  EXPECT_EQ(PixelAt(image, style.padding + panel, style.padding + panel), kWhite);
}

TEST(ComposeHeatmapGridTest, ColourBarSpansTheScaleTopToBottom) {
  const HeatmapGridStyle style{.cell = 3, .padding = 2, .colorbar_width = 4};
  const at::Tensor image = ComposeHeatmapGrid(KnownWeights(), style);
  const int64_t bar_x = image.size(2) - style.padding - style.colorbar_width;
  EXPECT_EQ(PixelAt(image, style.padding, bar_x), Viridis(1.0));
  EXPECT_EQ(PixelAt(image, image.size(1) - style.padding - 1, bar_x), Viridis(0.0));
  EXPECT_EQ(PixelAt(image, 0, bar_x), kWhite);
  EXPECT_EQ(PixelAt(image, style.padding, bar_x - 1), kWhite);
}

TEST(WriteHeatmapGridPngTest, TheFileHoldsTheSamePixels) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/grid.png";
  const HeatmapGridStyle style{.cell = 2, .padding = 1, .colorbar_width = 3};
  const at::Tensor weights = KnownWeights();
  ASSERT_TRUE(WriteHeatmapGridPng(path, weights, style).ok());
  absl::StatusOr<at::Tensor> read = vision::ReadPng(path, vision::PngChannels::kRgb);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(at::allclose(*read, ComposeHeatmapGrid(weights, style), 0.0, 1e-6));
}

TEST(ComposeHeatmapGridTest, RejectsASingleMatrix) {
  EXPECT_THROW(ComposeHeatmapGrid(at::zeros({4, 4}), {}), c10::Error);
}

}  // namespace
}  // namespace sf::visualize
