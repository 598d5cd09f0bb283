#include "tools/visualize/colormap.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace sf::visualize {
namespace {

// Entries of matplotlib's 256-colour viridis table, converted to 8-bit levels.
struct TableEntry {
  int index;
  Rgb color;
};

TEST(ViridisTest, EndsAndMiddleAreTheTableColours) {
  EXPECT_EQ(HexColor(Viridis(0.0)), "#440154");
  EXPECT_EQ(HexColor(Viridis(1.0)), "#fde725");
  EXPECT_EQ(HexColor(Viridis(128.0 / 255.0)), "#21918c");
}

TEST(ViridisTest, BetweenAnchorsStaysWithinTwoLevelsOfTheFullTable) {
  const TableEntry entries[] = {
      {8, {71, 13, 96}},      // 0.277018, 0.050344, 0.375715
      {100, {42, 118, 142}},  // 0.166617, 0.463708, 0.558119
      {140, {30, 156, 137}},  // 0.119423, 0.611141, 0.538982
      {152, {34, 167, 133}},  // 0.132268, 0.655014, 0.519661
      {200, {112, 207, 87}},  // 0.440137, 0.811138, 0.340967
      {250, {241, 229, 29}},  // 0.945636, 0.899815, 0.112838
  };
  for (const TableEntry& e : entries) {
    const Rgb c = Viridis(e.index / 255.0);
    EXPECT_LE(std::abs(c.r - e.color.r), 2) << "entry " << e.index;
    EXPECT_LE(std::abs(c.g - e.color.g), 2) << "entry " << e.index;
    EXPECT_LE(std::abs(c.b - e.color.b), 2) << "entry " << e.index;
  }
}

TEST(ViridisTest, LightnessGrowsWithValue) {
  double previous = -1.0;
  for (int k = 0; k <= 64; ++k) {
    const Rgb c = Viridis(k / 64.0);
    const double luma = 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
    EXPECT_GT(luma, previous) << "t = " << k / 64.0;
    previous = luma;
  }
}

TEST(ViridisTest, OutOfRangeAndNanAreClamped) {
  EXPECT_EQ(Viridis(-3.0), Viridis(0.0));
  EXPECT_EQ(Viridis(7.0), Viridis(1.0));
  EXPECT_EQ(Viridis(std::numeric_limits<double>::quiet_NaN()), Viridis(0.0));
}

TEST(ScalePositionTest, MapsTheRangeOntoTheUnitInterval) {
  EXPECT_DOUBLE_EQ(ScalePosition(0.25, 0.0, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(ScalePosition(-1.0, 0.0, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(ScalePosition(2.0, 0.0, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(ScalePosition(3.0, 1.0, 1.0), 0.0);
}

TEST(ViridisImageTest, ColoursEveryEntry) {
  const at::Tensor values = at::tensor({0.0, 0.5, 1.0, 2.0}, at::kDouble).reshape({2, 2});
  const at::Tensor image = ViridisImage(values, 0.0, 2.0);
  ASSERT_EQ(image.sizes(), (at::IntArrayRef{3, 2, 2}));
  ASSERT_EQ(image.scalar_type(), at::kFloat);
  const double positions[2][2] = {{0.0, 0.25}, {0.5, 1.0}};
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      const Rgb expected = Viridis(positions[i][j]);
      EXPECT_FLOAT_EQ(image[0][i][j].item<float>(), expected.r / 255.0f);
      EXPECT_FLOAT_EQ(image[1][i][j].item<float>(), expected.g / 255.0f);
      EXPECT_FLOAT_EQ(image[2][i][j].item<float>(), expected.b / 255.0f);
    }
  }
}

TEST(ViridisImageTest, AcceptsBooleanMasks) {
  const at::Tensor mask = at::tensor({1, 0}).to(at::kBool);
  const at::Tensor image = ViridisImage(mask, 0.0, 1.0);
  EXPECT_FLOAT_EQ(image[0][0].item<float>(), Viridis(1.0).r / 255.0f);
  EXPECT_FLOAT_EQ(image[0][1].item<float>(), Viridis(0.0).r / 255.0f);
}

}  // namespace
}  // namespace sf::visualize
