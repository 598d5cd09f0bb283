#include "vision/masks.h"

#include <random>
#include <vector>

#include <ATen/ATen.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sf::vision {
namespace {

bool IsBinary(const at::Tensor& mask) {
  return at::logical_or(mask == 0, mask == 1).all().item<bool>();
}

TEST(MasksTest, CenterSquareCoversTheMiddle) {
  at::Tensor mask = CenterSquareMask(28, 28, 14);
  ASSERT_EQ(mask.sizes(), (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(mask.sum().item<float>(), 196.0f);
  EXPECT_EQ(mask.slice(1, 7, 21).slice(2, 7, 21).sum().item<float>(), 196.0f);
  EXPECT_EQ(mask[0][6][7].item<float>(), 0.0f);
  EXPECT_EQ(mask[0][20][20].item<float>(), 1.0f);
  EXPECT_EQ(mask[0][21][20].item<float>(), 0.0f);

  at::Tensor odd = CenterSquareMask(5, 6, 2);  // top (5 - 2) / 2 = 1, left 2
  EXPECT_TRUE(at::equal(odd.nonzero(),
                        at::tensor(std::vector<int64_t>{0, 1, 2, 0, 1, 3, 0, 2, 2, 0, 2, 3})
                            .reshape({4, 3})));
  EXPECT_EQ(CenterSquareMask(4, 4, 0).sum().item<float>(), 0.0f);
  EXPECT_THROW(CenterSquareMask(10, 8, 9), c10::Error);
}

TEST(MasksTest, NumMaskedPatchesRoundsHalfAwayFromZero) {
  EXPECT_EQ(NumMaskedPatches(49, 0.75), 37);  // 36.75
  EXPECT_EQ(NumMaskedPatches(196, 0.75), 147);
  EXPECT_EQ(NumMaskedPatches(5, 0.5), 3);     // 2.5
  // Decimal ratios stored just below their value, whose product is meant to be a half.
  EXPECT_EQ(NumMaskedPatches(100, 0.285), 29);  // 28.499999999999996 in doubles
  EXPECT_EQ(NumMaskedPatches(100, 0.575), 58);
  EXPECT_EQ(NumMaskedPatches(200, 0.0725), 15);
  EXPECT_EQ(NumMaskedPatches(100, 0.284), 28);
  EXPECT_EQ(NumMaskedPatches(100, 0.2851), 29);
  EXPECT_EQ(NumMaskedPatches(10, 0.0), 0);
  EXPECT_EQ(NumMaskedPatches(10, 1.0), 10);
  EXPECT_THROW(NumMaskedPatches(10, 1.5), c10::Error);
}

TEST(MasksTest, PatchMasksHaveExactlyTheRequestedRatio) {
  std::mt19937_64 gen(11);
  for (double ratio : {0.0, 0.25, 0.5, 0.75, 0.9, 1.0}) {
    const int64_t expected = NumMaskedPatches(49, ratio);
    for (int trial = 0; trial < 50; ++trial) {
      at::Tensor mask = RandomPatchMask(28, 28, 4, ratio, gen);
      ASSERT_EQ(mask.sizes(), (std::vector<int64_t>{1, 28, 28}));
      at::Tensor patches = PixelMaskToPatches(mask.unsqueeze(0), 4);
      ASSERT_TRUE(IsBinary(patches)) << "a patch is partly masked";
      EXPECT_EQ(patches.sum().item<float>(), static_cast<float>(expected)) << ratio;
      EXPECT_EQ(mask.sum().item<float>(), static_cast<float>(16 * expected)) << ratio;
    }
  }
}

TEST(MasksTest, PatchSelectionIsUniformOverPatches) {
  std::mt19937_64 gen(12);
  at::Tensor counts = at::zeros({16});
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) counts += RandomPatchSelection(16, 0.25, gen);
  at::Tensor frequency = counts / draws;
  // Each patch is masked with probability 4 / 16; sd of the frequency is 0.007.
  EXPECT_LT((frequency - 0.25).abs().max().item<float>(), 0.04f) << frequency;
}

TEST(MasksTest, PatchAndPixelMasksConvertBothWays) {
  at::Tensor patches = at::tensor({1.f, 0.f, 0.f, 1.f, 0.f, 1.f}).reshape({1, 6});
  at::Tensor pixels = PatchMaskToPixels(patches, 4, 6, 2);  // 2 x 3 patches of 2 x 2
  ASSERT_EQ(pixels.sizes(), (std::vector<int64_t>{1, 1, 4, 6}));
  EXPECT_EQ(pixels[0][0][0][0].item<float>(), 1.0f);
  EXPECT_EQ(pixels[0][0][1][1].item<float>(), 1.0f);
  EXPECT_EQ(pixels[0][0][1][2].item<float>(), 0.0f);
  EXPECT_EQ(pixels[0][0][2][0].item<float>(), 1.0f);
  EXPECT_EQ(pixels[0][0][3][5].item<float>(), 1.0f);
  EXPECT_TRUE(at::equal(PixelMaskToPatches(pixels, 2), patches));
  // A partly covered patch reports its masked fraction.
  at::Tensor center = CenterSquareMask(4, 4, 2).unsqueeze(0);
  EXPECT_TRUE(at::allclose(PixelMaskToPatches(center, 2), at::full({1, 4}, 0.25f)));
  EXPECT_THROW(PatchMaskToPixels(patches, 4, 5, 2), c10::Error);
}

TEST(MasksTest, RectangleMasksAreRectanglesOfTheRequestedSizes) {
  std::mt19937_64 gen(13);
  RectangleMaskOptions one{.min_count = 1, .max_count = 1, .min_size = 3, .max_size = 9};
  for (int trial = 0; trial < 100; ++trial) {
    at::Tensor mask = RandomRectangleMask(20, 16, one, gen);
    ASSERT_TRUE(IsBinary(mask));
    at::Tensor where = mask[0].nonzero();
    const int64_t top = where.select(1, 0).min().item<int64_t>();
    const int64_t bottom = where.select(1, 0).max().item<int64_t>();
    const int64_t left = where.select(1, 1).min().item<int64_t>();
    const int64_t right = where.select(1, 1).max().item<int64_t>();
    const int64_t h = bottom - top + 1, w = right - left + 1;
    EXPECT_EQ(mask.sum().item<float>(), static_cast<float>(h * w)) << "not a full rectangle";
    EXPECT_GE(h, 3);
    EXPECT_LE(h, 9);
    EXPECT_GE(w, 3);
    EXPECT_LE(w, 9);
  }
  // Sides are capped at the image size.
  RectangleMaskOptions big{.min_count = 1, .max_count = 1, .min_size = 50, .max_size = 60};
  EXPECT_EQ(RandomRectangleMask(8, 6, big, gen).sum().item<float>(), 48.0f);
}

TEST(MasksTest, FreeFormStrokesAreBinaryNonEmptyAndVaried) {
  std::mt19937_64 gen(14);
  double total = 0.0;
  double smallest = 1.0, largest = 0.0;
  at::Tensor hit = at::zeros({1, 28, 28});
  for (int trial = 0; trial < 300; ++trial) {
    at::Tensor mask = FreeFormMask(28, 28, StrokeMaskOptions(), gen);
    ASSERT_EQ(mask.sizes(), (std::vector<int64_t>{1, 28, 28}));
    ASSERT_TRUE(IsBinary(mask));
    const double covered = mask.mean().item<double>();
    total += covered;
    smallest = std::min(smallest, covered);
    largest = std::max(largest, covered);
    hit += mask;
  }
  EXPECT_GT(smallest, 0.0);
  EXPECT_LT(largest, 0.9);
  const double mean = total / 300;
  EXPECT_GT(mean, 0.05) << mean;
  EXPECT_LT(mean, 0.5) << mean;
  // Strokes reach every part of the image, corners included, thanks to the random flips.
  EXPECT_GT(hit.min().item<float>(), 0.0f);
}

TEST(MasksTest, ThinBrushDrawsAConnectedPolyline) {
  std::mt19937_64 gen(15);
  StrokeMaskOptions options{.min_strokes = 1, .max_strokes = 1, .min_vertices = 1,
                            .max_vertices = 1, .min_width = 1.5, .max_width = 1.5,
                            .average_radius = 8.0};
  for (int trial = 0; trial < 50; ++trial) {
    at::Tensor mask = FreeFormMask(32, 32, options, gen);
    // A single segment of width 1.5 touches at most ~ (length + 2) * 3 pixels and at least its
    // start pixel.
    const float covered = mask.sum().item<float>();
    EXPECT_GE(covered, 1.0f);
    EXPECT_LE(covered, (16.0f + 2.0f) * 3.0f);
  }
}

TEST(MasksTest, SameSeedSameMasksDifferentSeedDifferentMasks) {
  for (MaskKind kind : {MaskKind::kRectangles, MaskKind::kPatches, MaskKind::kStrokes}) {
    MaskOptions options{.kind = kind};
    std::mt19937_64 a(7), b(7), c(8);
    at::Tensor ma = SampleMasks(options, 16, 28, 28, a);
    at::Tensor mb = SampleMasks(options, 16, 28, 28, b);
    at::Tensor mc = SampleMasks(options, 16, 28, 28, c);
    ASSERT_EQ(ma.sizes(), (std::vector<int64_t>{16, 1, 28, 28}));
    EXPECT_TRUE(at::equal(ma, mb)) << MaskKindName(kind);
    EXPECT_FALSE(at::equal(ma, mc)) << MaskKindName(kind);
    EXPECT_FALSE(at::equal(ma[0], ma[1])) << MaskKindName(kind);
  }
  std::mt19937_64 gen(1);
  at::Tensor centers = SampleMasks(MaskOptions{.center_size = 10}, 3, 28, 28, gen);
  EXPECT_TRUE(at::equal(centers[2], CenterSquareMask(28, 28, 10)));
}

TEST(MasksTest, IndexedMasksDependOnlyOnSeedAndIndex) {
  MaskOptions options{.kind = MaskKind::kPatches, .patch_size = 7, .patch_ratio = 0.5};
  at::Tensor all = IndexedMasks(options, 99, 0, 12, 28, 28);
  at::Tensor middle = IndexedMasks(options, 99, 5, 4, 28, 28);
  EXPECT_TRUE(at::equal(all.slice(0, 5, 9), middle));
  EXPECT_FALSE(at::equal(all, IndexedMasks(options, 100, 0, 12, 28, 28)));
  EXPECT_EQ(IndexedMasks(options, 99, 3, 0, 28, 28).sizes(),
            (std::vector<int64_t>{0, 1, 28, 28}));
}

TEST(MasksTest, ParseMaskKind) {
  for (MaskKind kind :
       {MaskKind::kCenter, MaskKind::kRectangles, MaskKind::kPatches, MaskKind::kStrokes}) {
    absl::StatusOr<MaskKind> parsed = ParseMaskKind(MaskKindName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  absl::StatusOr<MaskKind> bad = ParseMaskKind("centre");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "\"centre\"")) << bad.status();
}

TEST(MasksTest, ApplyMaskPaintsTheHole) {
  at::Tensor images = at::full({2, 3, 4, 4}, 0.25f);
  at::Tensor masks = CenterSquareMask(4, 4, 2).unsqueeze(0).expand({2, 1, 4, 4});
  at::Tensor masked = ApplyMask(images, masks, 1.0);
  EXPECT_EQ(masked.sizes(), images.sizes());
  EXPECT_EQ(masked[1][2][1][1].item<float>(), 1.0f);
  EXPECT_EQ(masked[1][2][0][1].item<float>(), 0.25f);
  EXPECT_FLOAT_EQ(masked.sum().item<float>(), 2 * 3 * (12 * 0.25f + 4 * 1.0f));
  EXPECT_TRUE(at::equal(ApplyMask(images[0], masks[0]), images[0] * (1 - masks[0])));
}

}  // namespace
}  // namespace sf::vision
