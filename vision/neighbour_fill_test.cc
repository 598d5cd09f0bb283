#include "vision/neighbour_fill.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include "vision/masks.h"

namespace sf::vision {
namespace {

// The definition, one query at a time in float64: exact mean squared distances over the
// known pixels to every database image, the k smallest, softmax weights.
at::Tensor BruteForce(const at::Tensor& database, const at::Tensor& images,
                      const at::Tensor& masks, const NeighbourFillOptions& options,
                      const std::vector<int64_t>& exclude = {}) {
  const at::Tensor db = database.to(at::kDouble).reshape({database.size(0), -1});
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < images.size(0); ++i) {
    const at::Tensor known =
        (masks[i] <= 0.5).to(at::kDouble).expand_as(images[i]).reshape({1, -1});
    const at::Tensor q = images[i].to(at::kDouble).reshape({1, -1});
    at::Tensor d = ((db - q).square() * known).sum(1) / known.sum().clamp_min(1);
    if (!exclude.empty() && exclude[i] >= 0) d[exclude[i]] = INFINITY;
    auto [nearest, which] = d.topk(options.k, 0, /*largest=*/false);
    const at::Tensor w = at::softmax(-nearest / options.temperature, 0);
    out.push_back((db.index_select(0, which) * w.unsqueeze(1)).sum(0).reshape(images[i].sizes()));
  }
  return at::stack(out).to(at::kFloat);
}

at::Tensor PatchMasks(int64_t n, int64_t side, uint64_t seed) {
  MaskOptions options;
  options.kind = MaskKind::kPatches;
  options.patch_size = 4;
  options.patch_ratio = 0.75;
  return IndexedMasks(options, seed, 0, n, side, side);
}

// Images made of constant 4 x 4 blocks, so the coarse search's block means are exact for
// block-aligned masks.
at::Tensor BlockImages(int64_t n, int64_t channels, int64_t side, uint64_t seed) {
  at::manual_seed(seed);
  return at::upsample_nearest2d(at::rand({n, channels, side / 4, side / 4}), {side, side});
}

// NeighbourFill's prediction equals the definition's to float precision.
void ExpectDefinition(const at::Tensor& database, const at::Tensor& images,
                      const at::Tensor& masks, const NeighbourFillOptions& options) {
  const at::Tensor got = NeighbourFill(database, options).Predict(images, masks);
  ASSERT_EQ(got.sizes(), images.sizes());
  EXPECT_LT((got - BruteForce(database, images, masks, options)).abs().max().item<float>(),
            1e-5);
}

TEST(NeighbourFillTest, ExactSearchMatchesTheDefinition) {
  at::manual_seed(1);
  // candidates >= N: every database image is ranked on the exact distance.
  ExpectDefinition(at::rand({40, 1, 12, 12}), at::rand({5, 1, 12, 12}), PatchMasks(5, 12, 7),
                   {.k = 4, .temperature = 0.01, .candidates = 40});
}

TEST(NeighbourFillTest, CandidatesGatheredInPiecesGiveTheSameFill) {
  at::manual_seed(6);
  // 1,200 bytes hold 2 candidate images of 12 x 12: each query's 40 candidates come in 20
  // pieces, and the queries one at a time.
  ExpectDefinition(at::rand({40, 1, 12, 12}), at::rand({5, 1, 12, 12}), PatchMasks(5, 12, 8),
                   {.k = 4, .temperature = 0.01, .candidates = 40, .gather_bytes = 1200});
  // The coarse stage's 20 candidates in pieces of 3 images.
  ExpectDefinition(BlockImages(500, 1, 28, 2), BlockImages(7, 1, 28, 3), PatchMasks(7, 28, 11),
                   {.k = 5, .temperature = 0.003, .candidates = 20, .gather_bytes = 10000});
}

TEST(NeighbourFillTest, CoarseSearchFindsTheNearestWhenBlockMeansAreExact) {
  // 70 queries: more than one chunk.
  ExpectDefinition(BlockImages(500, 1, 28, 2), BlockImages(70, 1, 28, 3), PatchMasks(70, 28, 11),
                   {.k = 5, .temperature = 0.003, .candidates = 20});
}

TEST(NeighbourFillTest, ColourImagesCountEveryChannel) {
  ExpectDefinition(BlockImages(300, 3, 16, 4), BlockImages(6, 3, 16, 5), PatchMasks(6, 16, 13),
                   {.k = 3, .temperature = 0.01, .candidates = 30});
}

TEST(NeighbourFillTest, AnImageIsItsOwnNeighbourUnlessExcluded) {
  const at::Tensor database = BlockImages(200, 1, 28, 6);
  const std::vector<int64_t> ids = {3, 50, 199};
  const at::Tensor images = database.index_select(0, at::tensor(ids, at::kLong));
  const at::Tensor masks = PatchMasks(3, 28, 17);
  const NeighbourFillOptions options{.k = 1, .temperature = 0.003, .candidates = 10};
  const NeighbourFill fill(database, options);
  EXPECT_TRUE(at::equal(fill.Predict(images, masks), images));

  const at::Tensor exclude = at::tensor(ids, at::kLong);
  const at::Tensor without = fill.Predict(images, masks, exclude);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_FALSE(at::equal(without[i], images[i])) << "image " << ids[i];
  }
  EXPECT_LT((without - BruteForce(database, images, masks, options, ids)).abs().max().item<float>(),
            1e-5);
  // -1 excludes nothing.
  const at::Tensor none = at::full({3}, -1, at::kLong);
  EXPECT_TRUE(at::equal(fill.Predict(images, masks, none), images));
}

TEST(NeighbourFillTest, FillKeepsTheKnownPixelsAndTakesTheHolesFromThePrediction) {
  at::manual_seed(7);
  const at::Tensor images = at::rand({4, 1, 12, 12});
  const at::Tensor masks = PatchMasks(4, 12, 9);
  const NeighbourFill fill(at::rand({30, 1, 12, 12}), {.k = 3, .candidates = 30});
  const at::Tensor filled = fill.Fill(images, masks);
  const at::Tensor hole = masks.expand_as(images) > 0.5;
  EXPECT_TRUE(filled.masked_select(~hole).equal(images.masked_select(~hole)));
  EXPECT_TRUE(filled.masked_select(hole).equal(fill.Predict(images, masks).masked_select(hole)));
}

TEST(NeighbourFillTest, NoKnownPixelGivesTheMeanImage) {
  const at::Tensor database = BlockImages(50, 1, 8, 8);
  const NeighbourFill fill(database, {.k = 3, .temperature = 0.01, .candidates = 10});
  const at::Tensor images = BlockImages(2, 1, 8, 9);
  at::Tensor masks = at::zeros({2, 1, 8, 8});
  masks[1].fill_(1.0);
  const at::Tensor got = fill.Predict(images, masks);
  EXPECT_LT((got[1] - database.mean(0)).abs().max().item<float>(), 1e-6);
  EXPECT_TRUE(at::isfinite(got).all().item<bool>());
}

TEST(NeighbourFillTest, OddSizesSearchWithoutBlocks) {
  at::manual_seed(10);
  const at::Tensor database = at::rand({60, 1, 7, 9});
  const at::Tensor images = at::rand({4, 1, 7, 9});
  ExpectDefinition(database, images, (at::rand({4, 1, 7, 9}) < 0.6).to(at::kFloat),
                   {.k = 2, .temperature = 0.01, .candidates = 30});
}

TEST(ImagesFingerprintTest, TellsImageSetsApart) {
  const at::Tensor images = BlockImages(20, 1, 8, 12);
  at::Tensor changed = images.clone();
  changed[7][0][3][3] = 0.0;
  const std::string fingerprint = ImagesFingerprint(images);
  EXPECT_EQ(fingerprint, ImagesFingerprint(images.clone()));
  EXPECT_EQ(fingerprint, ImagesFingerprint(images.to(at::kDouble)));
  EXPECT_NE(fingerprint, ImagesFingerprint(changed));
  EXPECT_NE(fingerprint, ImagesFingerprint(images.reshape({20, 1, 4, 16})));
  EXPECT_EQ(fingerprint.rfind("20x1x8x8:", 0), 0u) << fingerprint;
  EXPECT_EQ(fingerprint.size(), std::string("20x1x8x8:").size() + 8) << fingerprint;
}

TEST(NeighbourFillTest, RejectsBadOptionsAndShapes) {
  const at::Tensor database = BlockImages(10, 1, 8, 13);
  const auto message = [&](const NeighbourFillOptions& options) -> std::string {
    try {
      NeighbourFill fill(database, options);
    } catch (const c10::Error& e) {
      return e.what_without_backtrace();
    }
    return "";
  };
  EXPECT_NE(message({.k = 10}).find("k must be in [1, 9]"), std::string::npos);
  EXPECT_NE(message({.k = 0}).find("k must be"), std::string::npos);
  EXPECT_NE(message({.k = 3, .candidates = 3}).find("candidates"), std::string::npos);
  EXPECT_NE(message({.k = 3, .temperature = 0}).find("temperature"), std::string::npos);
  EXPECT_NE(message({.k = 3, .gather_bytes = 0}).find("gather_bytes"), std::string::npos);
  EXPECT_THROW(NeighbourFill(at::rand({0, 1, 8, 8}), {.k = 1}), c10::Error);

  const NeighbourFill fill(database, {.k = 2, .candidates = 5});
  const at::Tensor masks = at::zeros({2, 1, 8, 8});
  EXPECT_THROW(fill.Predict(at::rand({2, 1, 8, 9}), masks), c10::Error);
  EXPECT_THROW(fill.Predict(at::rand({2, 3, 8, 8}), masks), c10::Error);
  EXPECT_THROW(fill.Predict(at::rand({2, 1, 8, 8}), at::zeros({3, 1, 8, 8})), c10::Error);
  EXPECT_THROW(fill.Predict(at::rand({2, 1, 8, 8}), masks, at::tensor({0, 10}, at::kLong)),
               c10::Error);
  EXPECT_THROW(fill.Predict(at::rand({2, 1, 8, 8}), masks, at::tensor({0}, at::kLong)),
               c10::Error);
}

}  // namespace
}  // namespace sf::vision
