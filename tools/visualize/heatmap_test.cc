#include "tools/visualize/heatmap.h"

#include <cmath>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "tools/visualize/colormap.h"

namespace sf::visualize {
namespace {

Rgb PixelAt(const at::Tensor& image, int64_t y, int64_t x) {
  const auto level = [&](int64_t c) {
    return static_cast<uint8_t>(std::lround(image[c][y][x].item<float>() * 255.0f));
  };
  return Rgb{level(0), level(1), level(2)};
}

TEST(RenderHeatmapTest, EveryCellHasTheColourOfItsWeight) {
  const at::Tensor weights = at::tensor({0.0, 1.0, 0.5, 0.25, 0.75, 0.1}, at::kDouble).reshape({2, 3});
  const int64_t cell = 4;
  const at::Tensor image = RenderHeatmap(weights, {.lo = 0.0, .hi = 1.0}, cell);
  ASSERT_EQ(image.sizes(), (at::IntArrayRef{3, 2 * cell, 3 * cell}));
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 3; ++j) {
      const Rgb expected = Viridis(weights[i][j].item<double>());
      for (int64_t dy = 0; dy < cell; ++dy) {
        for (int64_t dx = 0; dx < cell; ++dx) {
          EXPECT_EQ(PixelAt(image, cell * i + dy, cell * j + dx), expected)
              << "cell (" << i << ", " << j << ") pixel (" << dy << ", " << dx << ")";
        }
      }
    }
  }
  // Known colours, not only "whatever Viridis says": 0 is #440154, 1 is #fde725.
  EXPECT_EQ(HexColor(PixelAt(image, 0, 0)), "#440154");
  EXPECT_EQ(HexColor(PixelAt(image, 0, cell)), "#fde725");
}

TEST(RenderHeatmapTest, ScaleStretchesASmallRange) {
  const at::Tensor weights = at::tensor({0.1f, 0.2f}).reshape({1, 2});
  const at::Tensor image = RenderHeatmap(weights, {.lo = 0.1, .hi = 0.2}, 1);
  EXPECT_EQ(HexColor(PixelAt(image, 0, 0)), "#440154");
  EXPECT_EQ(HexColor(PixelAt(image, 0, 1)), "#fde725");
}

TEST(RenderColorBarTest, RunsFromHighAtTheTopToLowAtTheBottom) {
  const at::Tensor bar = RenderColorBar({.lo = 0.0, .hi = 2.0}, 5, 3);
  ASSERT_EQ(bar.sizes(), (at::IntArrayRef{3, 5, 3}));
  for (int64_t y = 0; y < 5; ++y) {
    const Rgb expected = Viridis(1.0 - y / 4.0);
    for (int64_t x = 0; x < 3; ++x) EXPECT_EQ(PixelAt(bar, y, x), expected) << y << ", " << x;
  }
}

TEST(RenderHeatmapTest, RejectsAVector) {
  EXPECT_THROW(RenderHeatmap(at::zeros({4}), {}, 2), c10::Error);
}

}  // namespace
}  // namespace sf::visualize
