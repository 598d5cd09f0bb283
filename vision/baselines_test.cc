#include "vision/baselines.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <ATen/ATen.h>

#include "gtest/gtest.h"
#include "vision/masks.h"

namespace sf::vision {
namespace {

// f(x, y) sampled on an h x w grid, x = column, y = row, as [1, 1, h, w] doubles.
template <typename F>
at::Tensor Sample(int64_t h, int64_t w, F f) {
  at::Tensor image = at::empty({1, 1, h, w}, at::kDouble);
  auto a = image.accessor<double, 4>();
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      a[0][0][y][x] = f(static_cast<double>(x), static_cast<double>(y));
    }
  }
  return image;
}

at::Tensor InteriorHole(int64_t h, int64_t w) {
  at::Tensor mask = at::zeros({1, 1, h, w}, at::kDouble);
  mask.slice(2, 3, h - 4).slice(3, 2, w - 3).fill_(1.0);
  mask[0][0][4][w - 3] = 1.0;  // not convex
  return mask;
}

// Gauss-Seidel sweeps of the same discrete problem, one pixel at a time: every hole pixel
// becomes the mean of its in-image 4-neighbours.
at::Tensor GaussSeidelReference(const at::Tensor& image, const at::Tensor& mask) {
  at::Tensor u = MeanFill(image, mask).clone();
  auto a = u.accessor<double, 4>();
  auto m = mask.accessor<double, 4>();
  const int64_t h = u.size(2), w = u.size(3);
  for (int sweep = 0; sweep < 20000; ++sweep) {
    double change = 0.0;
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        if (m[0][0][y][x] < 0.5) continue;
        double sum = 0.0;
        int count = 0;
        if (y > 0) sum += a[0][0][y - 1][x], ++count;
        if (y + 1 < h) sum += a[0][0][y + 1][x], ++count;
        if (x > 0) sum += a[0][0][y][x - 1], ++count;
        if (x + 1 < w) sum += a[0][0][y][x + 1], ++count;
        const double next = sum / count;
        change = std::max(change, std::abs(next - a[0][0][y][x]));
        a[0][0][y][x] = next;
      }
    }
    if (change < 1e-13) break;
  }
  return u;
}

TEST(BaselinesTest, MeanFillUsesTheMeanOfKnownPixelsPerImageAndChannel) {
  at::Tensor images = at::zeros({2, 2, 3, 3});
  images[0][0].fill_(0.3);
  images[0][1] = at::arange(9, at::kFloat).reshape({3, 3}) / 10;
  images[1].fill_(0.8);
  at::Tensor masks = at::zeros({2, 1, 3, 3});
  masks[0][0][1][1] = 1;  // the centre: known values of channel 1 average to 0.4
  masks[0][0][0][0] = 1;  // and the corner: (36 - 4 - 0) / 7 / 10
  at::Tensor filled = MeanFill(images, masks);
  EXPECT_FLOAT_EQ(filled[0][0][1][1].item<float>(), 0.3f);
  EXPECT_FLOAT_EQ(filled[0][1][1][1].item<float>(), 3.2f / 7);
  EXPECT_FLOAT_EQ(filled[0][1][0][0].item<float>(), 3.2f / 7);
  EXPECT_TRUE(at::equal(filled[1], images[1]));  // no hole
  at::Tensor known = (masks == 0).expand_as(images);
  EXPECT_TRUE(at::equal(filled.masked_select(known), images.masked_select(known)));
}

TEST(BaselinesTest, DatasetMeanFillCopiesTheMeanImageIntoTheHole) {
  at::Tensor images = at::rand({3, 2, 4, 4});
  at::Tensor mean_image = at::rand({2, 4, 4});
  at::Tensor masks = at::zeros({3, 1, 4, 4});
  masks[1][0][2][3] = 1;
  at::Tensor filled = DatasetMeanFill(images, masks, mean_image);
  at::Tensor expected = images.clone();
  expected[1].select(1, 2).select(1, 3).copy_(mean_image.select(1, 2).select(1, 3));
  EXPECT_TRUE(at::equal(filled, expected));
  EXPECT_THROW(DatasetMeanFill(images, masks, at::rand({1, 4, 4})), c10::Error);
}

TEST(BaselinesTest, FullyMaskedImageIsMidGrey) {
  at::Tensor images = at::rand({1, 1, 5, 5});
  at::Tensor masks = at::ones({1, 1, 5, 5});
  EXPECT_TRUE(at::allclose(MeanFill(images, masks), at::full({1, 1, 5, 5}, 0.5f)));
  HarmonicFillStats stats;
  EXPECT_TRUE(at::allclose(HarmonicFill(images, masks, {}, &stats), at::full({1, 1, 5, 5}, 0.5f)));
  EXPECT_TRUE(stats.converged);
}

TEST(BaselinesTest, HarmonicFillReproducesHarmonicFunctionsExactly) {
  const int64_t h = 16, w = 14;
  at::Tensor mask = InteriorHole(h, w);
  const std::vector<at::Tensor> functions = {
      Sample(h, w, [](double x, double y) { return 0.1 + 0.03 * x + 0.02 * y; }),
      Sample(h, w, [](double x, double y) { return 0.5 + (x * x - y * y) / 400; }),
      Sample(h, w, [](double x, double y) { return 0.2 + x * y / 300; }),
  };
  for (const at::Tensor& u : functions) {
    HarmonicFillStats stats;
    at::Tensor filled = HarmonicFill(u, mask, {.tolerance = 1e-12}, &stats);
    EXPECT_TRUE(stats.converged);
    EXPECT_LE(stats.max_residual, 1e-12);
    EXPECT_GT(stats.iterations, 0);
    EXPECT_LT((filled - u).abs().max().item<double>(), 1e-10);
  }
}

TEST(BaselinesTest, RampRunningIntoABorderHoleFlattensInsteadOfContinuing) {
  const int64_t h = 8, w = 10;
  const at::Tensor ramp = Sample(h, w, [](double x, double) { return 0.1 + 0.05 * x; });
  at::Tensor mask = at::zeros({1, 1, h, w}, at::kDouble);
  mask.slice(3, w - 3, w).fill_(1.0);  // the last three columns, along the right border
  HarmonicFillStats stats;
  const at::Tensor filled = HarmonicFill(ramp, mask, {.tolerance = 1e-12}, &stats);
  ASSERT_TRUE(stats.converged);
  // Zero flux across the border: every hole column takes the last known column's value.
  const at::Tensor last_known = ramp.slice(3, w - 4, w - 3);
  EXPECT_LT((filled.slice(3, w - 3, w) - last_known).abs().max().item<double>(), 1e-9);
  EXPECT_GT((filled - ramp).abs().max().item<double>(), 0.1);
}

TEST(BaselinesTest, HarmonicFillMatchesGaussSeidelIncludingHolesOnTheBorder) {
  at::Generator gen = at::detail::createCPUGenerator(3);
  at::Tensor image = at::rand({1, 1, 20, 20}, gen, at::kDouble);
  std::mt19937_64 mask_gen(4);
  at::Tensor mask =
      RandomRectangleMask(20, 20, {.min_count = 3, .max_count = 3, .min_size = 6, .max_size = 9},
                          mask_gen)
          .unsqueeze(0)
          .to(at::kDouble);
  mask.slice(2, 0, 5).slice(3, 0, 5).fill_(1.0);  // a corner, touching two borders
  HarmonicFillStats stats;
  at::Tensor filled = HarmonicFill(image, mask, {.tolerance = 1e-11}, &stats);
  ASSERT_TRUE(stats.converged);
  EXPECT_LT((filled - GaussSeidelReference(image, mask)).abs().max().item<double>(), 1e-9);
}

TEST(BaselinesTest, BatchesAreSolvedIndependentlyAndKnownPixelsKept) {
  at::Generator gen = at::detail::createCPUGenerator(5);
  // More images than one solver chunk, so that chunks are stitched together.
  const int64_t n = 300;
  at::Tensor images = at::rand({n, 3, 28, 28}, gen);
  MaskOptions options{.kind = MaskKind::kStrokes};
  at::Tensor masks = IndexedMasks(options, 6, 0, n, 28, 28);
  HarmonicFillStats stats;
  at::Tensor filled = HarmonicFill(images, masks, {}, &stats);
  EXPECT_EQ(filled.scalar_type(), at::kFloat);
  EXPECT_TRUE(stats.converged);
  EXPECT_LE(stats.max_residual, 1e-6);
  at::Tensor known = (masks == 0).expand_as(images);
  EXPECT_TRUE(at::equal(filled.masked_select(known), images.masked_select(known)));
  for (int64_t i : {int64_t{0}, int64_t{1}, int64_t{130}, n - 1}) {
    at::Tensor alone = HarmonicFill(images.slice(0, i, i + 1), masks.slice(0, i, i + 1));
    EXPECT_LT((alone - filled.slice(0, i, i + 1)).abs().max().item<float>(), 1e-5f) << i;
  }
  // Maximum principle: the fill stays within the range of the image's known pixels.
  for (int64_t i = 0; i < n; ++i) {
    at::Tensor k = known[i];
    at::Tensor known_values = images[i].masked_select(k);
    EXPECT_GE(filled[i].min().item<float>(), known_values.min().item<float>() - 1e-5f);
    EXPECT_LE(filled[i].max().item<float>(), known_values.max().item<float>() + 1e-5f);
  }
}

TEST(BaselinesTest, HarmonicFillBeatsMeanFillOnSmoothImages) {
  at::Tensor u = Sample(28, 28, [](double x, double y) {
    return 0.5 + 0.4 * std::sin(x / 5.0) * std::cos(y / 7.0);
  });
  at::Tensor mask = CenterSquareMask(28, 28, 14).unsqueeze(0).to(at::kDouble);
  const double harmonic_error = (HarmonicFill(u, mask) - u).abs().max().item<double>();
  const double mean_error = (MeanFill(u, mask) - u).abs().max().item<double>();
  EXPECT_LT(harmonic_error, 0.5 * mean_error);
}

TEST(BaselinesTest, IterationCapIsReportedAsNotConverged) {
  at::Tensor u = at::rand({1, 1, 28, 28});
  at::Tensor mask = CenterSquareMask(28, 28, 14).unsqueeze(0);
  HarmonicFillStats stats;
  HarmonicFill(u, mask, {.tolerance = 1e-12, .max_iterations = 2}, &stats);
  EXPECT_EQ(stats.iterations, 2);
  EXPECT_FALSE(stats.converged);
  EXPECT_GT(stats.max_residual, 1e-12);
  EXPECT_THROW(HarmonicFill(u, mask.squeeze(0)), c10::Error);
}

}  // namespace
}  // namespace sf::vision
