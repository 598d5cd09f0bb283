#include "layers/unet.h"

#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/optim/adam.h>

#include "gtest/gtest.h"
#include "attention/testing/gradient_check.h"

namespace sf::layers {
namespace {

using ::sf::testing::GradientsMatchFiniteDifferences;

using at::indexing::Slice;

std::vector<int64_t> Shape(int64_t b, int64_t c, int64_t h, int64_t w) { return {b, c, h, w}; }

TEST(MatchSpatialSizeTest, CropsAndPadsWithTheExtraAtTheBottomRight) {
  at::Tensor x = at::arange(8 * 6, at::kFloat).view({1, 1, 8, 6});
  // 8 rows -> 7: the last row goes (ceil-mode pooling added it at the bottom).
  at::Tensor cropped = MatchSpatialSize(x, 7, 6);
  EXPECT_TRUE(at::equal(cropped, x.index({Slice(), Slice(), Slice(0, 7)})));
  // 6 columns -> 9: one zero column left, two right; rows 8 -> 4 centre-cropped.
  at::Tensor mixed = MatchSpatialSize(x, 4, 9);
  ASSERT_EQ(mixed.sizes(), Shape(1, 1, 4, 9));
  EXPECT_TRUE(at::equal(mixed.index({0, 0, Slice(), Slice(1, 7)}), x.index({0, 0, Slice(2, 6)})));
  EXPECT_TRUE(at::all(mixed.index({0, 0, Slice(), 0}) == 0).item<bool>());
  EXPECT_TRUE(at::all(mixed.index({0, 0, Slice(), Slice(7, 9)}) == 0).item<bool>());
  EXPECT_TRUE(at::equal(MatchSpatialSize(x, 8, 6), x));
  EXPECT_THROW(MatchSpatialSize(x, 0, 6), c10::Error);
}

TEST(UNetBlocksTest, OddSizesComeBackExactly) {
  for (auto [height, width] : std::vector<std::pair<int64_t, int64_t>>{{28, 28}, {27, 31}}) {
    for (Downsampling down : {Downsampling::kMaxPool, Downsampling::kStridedConv}) {
      UNetDownBlock d1(UNetBlockOptions(1, 8).downsampling(down));
      UNetDownBlock d2(UNetBlockOptions(8, 16).downsampling(down));
      UNetDownBlock d3(UNetBlockOptions(16, 32).downsampling(down));
      at::Tensor x = at::randn({2, 1, height, width});
      UNetDownOutput o1 = d1->forward(x);
      UNetDownOutput o2 = d2->forward(o1.down);
      UNetDownOutput o3 = d3->forward(o2.down);
      EXPECT_EQ(o1.skip.sizes(), Shape(2, 8, height, width));
      EXPECT_EQ(o1.down.sizes(), Shape(2, 8, (height + 1) / 2, (width + 1) / 2));
      EXPECT_EQ(o3.down.sizes(), Shape(2, 32, 4, 4));  // 28 -> 14 -> 7 -> 4, 31 -> 16 -> 8 -> 4
      for (Upsampling up :
           {Upsampling::kTransposedConv, Upsampling::kNearest, Upsampling::kBilinear}) {
        UNetUpBlock u3(UNetBlockOptions(32, 16).upsampling(up), 32);
        UNetUpBlock u2(UNetBlockOptions(16, 8).upsampling(up), 16);
        UNetUpBlock u1(UNetBlockOptions(8, 4).upsampling(up), 8);
        at::Tensor y = u3->forward(o3.down, o3.skip);
        EXPECT_EQ(y.sizes(), Shape(2, 16, o3.skip.size(2), o3.skip.size(3)));
        y = u2->forward(y, o2.skip);
        y = u1->forward(y, o1.skip);
        EXPECT_EQ(y.sizes(), Shape(2, 4, height, width)) << height << "x" << width;
      }
    }
  }
}

TEST(UNetBlocksTest, RejectsMismatchedSkip) {
  UNetUpBlock up(UNetBlockOptions(16, 8), 8);
  EXPECT_THROW(up->forward(at::randn({1, 16, 4, 4}), at::randn({1, 4, 7, 7})), c10::Error);
  EXPECT_THROW(up->forward(at::randn({1, 8, 4, 4}), at::randn({1, 8, 7, 7})), c10::Error);
  UNetDownBlock down(UNetBlockOptions(3, 8));
  EXPECT_THROW(down->forward(at::randn({1, 1, 8, 8})), c10::Error);
}

TEST(UNetTest, OutputMatchesInputSizeForAnySize) {
  UNet unet(UNetOptions(1, 2).base_channels(4).depth(3).norm(NormKind::kGroup).groups(2));
  for (auto [height, width] :
       std::vector<std::pair<int64_t, int64_t>>{{28, 28}, {27, 31}, {5, 3}, {1, 1}}) {
    EXPECT_EQ(unet->forward(at::randn({2, 1, height, width})).sizes(), Shape(2, 2, height, width));
  }
  EXPECT_EQ(unet->downs->size(), 3u);
  EXPECT_EQ(unet->ups->size(), 3u);
  UNet flat(UNetOptions(3, 3).base_channels(4).depth(0));
  EXPECT_EQ(flat->forward(at::randn({1, 3, 7, 9})).sizes(), Shape(1, 3, 7, 9));
}

TEST(UNetTest, GradientsMatchFiniteDifferencesThroughCropAndPad) {
  UNet unet(UNetOptions(1, 1).base_channels(2).depth(1).convs(1).norm(NormKind::kNone));
  unet->to(at::kDouble);
  at::Tensor x = at::randn({1, 1, 5, 3}, at::kDouble).requires_grad_();
  at::Tensor w = at::randn({1, 1, 5, 3}, at::kDouble);
  std::vector<at::Tensor> leaves = unet->parameters();
  leaves.push_back(x);
  // ReLU kinks make finite differences unreliable only within eps of zero: rare at this size.
  EXPECT_TRUE(
      GradientsMatchFiniteDifferences([&] { return (unet->forward(x) * w).sum(); }, leaves));
}

TEST(UNetTest, TrainsOnAToyDenoisingTaskInEveryConfiguration) {
  at::manual_seed(0);
  at::Tensor ys = at::linspace(-1, 1, 13).view({1, 1, 13, 1});
  at::Tensor xs = at::linspace(-1, 1, 11).view({1, 1, 1, 11});
  at::Tensor clean = at::sin(3 * at::rand({8, 1, 1, 1}) * ys + 2 * xs);
  at::Tensor noisy = clean + 0.3 * at::randn_like(clean);
  struct Config {
    Downsampling down;
    Upsampling up;
    NormKind norm;
    bool gated;
  };
  for (const Config& c :
       {Config{Downsampling::kMaxPool, Upsampling::kTransposedConv, NormKind::kBatch, false},
        Config{Downsampling::kStridedConv, Upsampling::kBilinear, NormKind::kGroup, true},
        Config{Downsampling::kMaxPool, Upsampling::kNearest, NormKind::kInstance, false}}) {
    UNet unet(UNetOptions(1, 1)
                  .base_channels(4)
                  .depth(2)
                  .norm(c.norm)
                  .groups(2)
                  .gated(c.gated)
                  .downsampling(c.down)
                  .upsampling(c.up));
    torch::optim::Adam adam(unet->parameters(), torch::optim::AdamOptions(1e-2));
    auto loss = [&] { return (unet->forward(noisy) - clean).pow(2).mean(); };
    double first = loss().item<double>();
    for (int step = 0; step < 40; ++step) {
      adam.zero_grad();
      loss().backward();
      adam.step();
    }
    EXPECT_LT(loss().item<double>(), 0.5 * first) << NormKindName(c.norm);
  }
}

}  // namespace
}  // namespace sf::layers
