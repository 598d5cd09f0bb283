#include "vision/image_grid.h"

#include <vector>

#include <ATen/ATen.h>

#include "gtest/gtest.h"
#include "vision/png_io.h"

namespace sf::vision {
namespace {

TEST(ImageGridTest, UpscaleNearestRepeatsPixels) {
  at::Tensor image = at::tensor({1.f, 2.f, 3.f, 4.f}).reshape({1, 2, 2});
  at::Tensor big = UpscaleNearest(image, 3);
  ASSERT_EQ(big.sizes(), (std::vector<int64_t>{1, 6, 6}));
  EXPECT_EQ(big[0][2][2].item<float>(), 1.f);
  EXPECT_EQ(big[0][2][3].item<float>(), 2.f);
  EXPECT_EQ(big[0][3][0].item<float>(), 3.f);
  EXPECT_EQ(big[0][5][5].item<float>(), 4.f);
  EXPECT_TRUE(at::equal(UpscaleNearest(image, 1), image));
  EXPECT_THROW(UpscaleNearest(image, 0), c10::Error);
}

TEST(ImageGridTest, CellsSitAtTheirDocumentedOffsets) {
  // 2 rows x 3 columns of 1 x 2 x 3 images; cell (r, c) is filled with 0.1 * (3 r + c).
  at::Tensor images = at::empty({2, 3, 1, 2, 3});
  for (int64_t r = 0; r < 2; ++r) {
    for (int64_t c = 0; c < 3; ++c) images[r][c].fill_(0.1 * (3 * r + c));
  }
  const GridOptions options{.padding = 1, .scale = 2, .pad_value = 0.95};
  at::Tensor grid = MakeImageGrid(images, options);
  // Height 2 * (4 + 1) + 1, width 3 * (6 + 1) + 1.
  ASSERT_EQ(grid.sizes(), (std::vector<int64_t>{1, 11, 22}));
  at::Tensor expected = at::full({1, 11, 22}, 0.95f);
  for (int64_t r = 0; r < 2; ++r) {
    for (int64_t c = 0; c < 3; ++c) {
      expected.slice(1, 1 + 5 * r, 1 + 5 * r + 4).slice(2, 1 + 7 * c, 1 + 7 * c + 6)
          .fill_(0.1 * (3 * r + c));
    }
  }
  EXPECT_TRUE(at::equal(grid, expected));
}

TEST(ImageGridTest, ComparisonGridPutsEachBatchInAColumnAndPromotesGray) {
  at::Tensor originals = at::full({2, 1, 4, 4}, 0.25);
  at::Tensor colour = at::zeros({2, 3, 4, 4});
  colour.select(1, 0).fill_(1.0);  // red
  at::Tensor grid = MakeComparisonGrid({originals, colour}, {.padding = 2, .pad_value = 0.0});
  ASSERT_EQ(grid.sizes(), (std::vector<int64_t>{3, 14, 14}));
  // Row 1, column 0: gray replicated to RGB; row 1, column 1: red.
  EXPECT_TRUE(at::equal(grid.slice(1, 8, 12).slice(2, 2, 6), at::full({3, 4, 4}, 0.25f)));
  EXPECT_TRUE(at::equal(grid.slice(1, 8, 12).slice(2, 8, 12), colour[1]));
  EXPECT_EQ(grid.slice(1, 0, 2).sum().item<float>(), 0.0f);
  EXPECT_THROW(MakeComparisonGrid({originals, at::zeros({3, 1, 4, 4})}), c10::Error);
  EXPECT_THROW(MakeComparisonGrid({}), c10::Error);
}

TEST(ImageGridTest, WritesThePngItDescribes) {
  at::Generator gen = at::detail::createCPUGenerator(1);
  at::Tensor a = at::randint(0, 256, {3, 1, 5, 5}, gen).div(255.0).to(at::kFloat);
  at::Tensor b = 1 - a;
  const GridOptions options{.padding = 3, .scale = 2};
  const std::string path = ::testing::TempDir() + "grid.png";
  ASSERT_TRUE(WriteComparisonGrid(path, {a, b}, options).ok());
  absl::StatusOr<at::Tensor> read = ReadPng(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->sizes(), (std::vector<int64_t>{1, 3 * 13 + 3, 2 * 13 + 3}));
  EXPECT_TRUE(at::allclose(*read, MakeComparisonGrid({a, b}, options), 0, 1e-6));
}

}  // namespace
}  // namespace sf::vision
