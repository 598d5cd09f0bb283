#include "vision/metrics.h"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>

#include "gtest/gtest.h"
#include "vision/masks.h"

namespace sf::vision {
namespace {

at::Tensor Rand(std::vector<int64_t> sizes, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::rand(sizes, gen, at::kDouble);
}

// SSIM of two single-channel images by the definition: for every window position fully
// inside the image, Gaussian-weighted means, population variances and covariance summed
// directly over the 11 x 11 neighbourhood.
double ReferenceSsim(const at::Tensor& x_tensor, const at::Tensor& y_tensor) {
  auto x = x_tensor.accessor<double, 2>();
  auto y = y_tensor.accessor<double, 2>();
  const int64_t h = x_tensor.size(0), w = x_tensor.size(1);
  double weights[11][11];
  double total = 0.0;
  for (int i = 0; i < 11; ++i) {
    for (int j = 0; j < 11; ++j) {
      weights[i][j] = std::exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / (2.0 * 1.5 * 1.5));
      total += weights[i][j];
    }
  }
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  double sum = 0.0;
  int64_t positions = 0;
  for (int64_t top = 0; top + 11 <= h; ++top) {
    for (int64_t left = 0; left + 11 <= w; ++left) {
      double mx = 0, my = 0;
      for (int i = 0; i < 11; ++i) {
        for (int j = 0; j < 11; ++j) {
          mx += weights[i][j] / total * x[top + i][left + j];
          my += weights[i][j] / total * y[top + i][left + j];
        }
      }
      double vx = 0, vy = 0, cxy = 0;
      for (int i = 0; i < 11; ++i) {
        for (int j = 0; j < 11; ++j) {
          const double dx = x[top + i][left + j] - mx, dy = y[top + i][left + j] - my;
          vx += weights[i][j] / total * dx * dx;
          vy += weights[i][j] / total * dy * dy;
          cxy += weights[i][j] / total * dx * dy;
        }
      }
      sum += (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      ++positions;
    }
  }
  return sum / positions;
}

TEST(MetricsTest, PsnrOfKnownMse) {
  at::Tensor target = at::zeros({2, 1, 8, 8}, at::kDouble);
  at::Tensor prediction = target.clone();
  prediction[0].fill_(0.1);    // MSE 0.01 -> 20 dB
  prediction[1].fill_(0.01);   // MSE 1e-4 -> 40 dB
  at::Tensor psnr = Psnr(prediction, target);
  EXPECT_NEAR(psnr[0].item<double>(), 20.0, 1e-6);
  EXPECT_NEAR(psnr[1].item<double>(), 40.0, 1e-6);
  EXPECT_NEAR(MeanSquaredError(prediction, target)[0].item<double>(), 0.01, 1e-9);
  // Identical images hit the MSE floor: 100 dB, not infinity.
  EXPECT_NEAR(Psnr(target, target)[0].item<double>(), 100.0, 1e-9);
  // Half the pixels off by 0.2: MSE 0.02.
  at::Tensor half = target.clone();
  half.slice(2, 0, 4).fill_(0.2);
  EXPECT_NEAR(Psnr(half, target)[0].item<double>(), -10 * std::log10(0.02), 1e-9);
}

TEST(MetricsTest, HolePsnrAndL1CountOnlyHolePixels) {
  at::Tensor target = at::zeros({1, 3, 4, 4}, at::kDouble);
  at::Tensor masks = CenterSquareMask(4, 4, 2).unsqueeze(0);  // 4 of 16 pixels
  at::Tensor prediction = target.clone();
  prediction[0][0].slice(0, 1, 3).slice(1, 1, 3).fill_(0.5);  // channel 0, hole only
  prediction[0][1][0][0] = 0.9;                                // outside the hole
  // Hole: 12 values, 4 of them off by 0.5: MSE 1/12, L1 1/6.
  EXPECT_NEAR(HolePsnr(prediction, target, masks)[0].item<double>(), -10 * std::log10(1.0 / 12),
              1e-9);
  EXPECT_NEAR(HoleL1(prediction, target, masks)[0].item<double>(), 1.0 / 6, 1e-12);
  // Whole image: (4 * 0.25 + 0.81) / 48.
  EXPECT_NEAR(Psnr(prediction, target)[0].item<double>(), -10 * std::log10(1.81 / 48), 1e-9);
}

TEST(MetricsTest, EmptyHoleGivesNan) {
  at::Tensor target = at::zeros({2, 1, 4, 4});
  at::Tensor masks = at::zeros({2, 1, 4, 4});
  masks[1][0][0][0] = 1;
  at::Tensor prediction = at::full({2, 1, 4, 4}, 0.5);
  at::Tensor hole = HolePsnr(prediction, target, masks);
  EXPECT_TRUE(std::isnan(hole[0].item<double>()));
  EXPECT_NEAR(hole[1].item<double>(), -10 * std::log10(0.25), 1e-9);
  EXPECT_TRUE(std::isnan(HoleL1(prediction, target, masks)[0].item<double>()));
}

TEST(MetricsTest, SsimOfIdenticalImagesIsOne) {
  at::Tensor x = Rand({3, 2, 16, 20}, 1);
  at::Tensor ssim = Ssim(x, x);
  EXPECT_TRUE(at::allclose(ssim, at::ones({3}, at::kDouble), 0, 1e-12)) << ssim;
  EXPECT_EQ(SsimMap(x, x).sizes(), (std::vector<int64_t>{3, 2, 6, 10}));
}

TEST(MetricsTest, SsimOfConstantImagesIsTheLuminanceTerm) {
  const double a = 0.5, b = 0.25, c1 = 1e-4;
  at::Tensor x = at::full({1, 1, 28, 28}, a);
  at::Tensor y = at::full({1, 1, 28, 28}, b);
  // Zero variances: SSIM = (2ab + C1) / (a^2 + b^2 + C1).
  EXPECT_NEAR(Ssim(x, y).item<double>(), (2 * a * b + c1) / (a * a + b * b + c1), 1e-12);
  EXPECT_EQ(SsimMap(x, y).sizes(), (std::vector<int64_t>{1, 1, 18, 18}));
}

TEST(MetricsTest, SsimMatchesAStraightforwardDoubleLoop) {
  at::Tensor x = Rand({1, 1, 14, 13}, 2);
  at::Tensor y = (x + 0.3 * Rand({1, 1, 14, 13}, 3)).clamp(0, 1);
  const double expected = ReferenceSsim(x[0][0], y[0][0]);
  EXPECT_NEAR(Ssim(x, y).item<double>(), expected, 1e-12);
  EXPECT_NEAR(Ssim(y, x).item<double>(), expected, 1e-12);
  EXPECT_LT(expected, 0.99);
  // Float inputs and several channels: the mean of the per-channel values.
  at::Tensor x2 = Rand({1, 2, 12, 12}, 4), y2 = Rand({1, 2, 12, 12}, 5);
  const double per_channel =
      (ReferenceSsim(x2[0][0], y2[0][0]) + ReferenceSsim(x2[0][1], y2[0][1])) / 2;
  EXPECT_NEAR(Ssim(x2.to(at::kFloat), y2.to(at::kFloat)).item<double>(), per_channel, 1e-6);
}

TEST(MetricsTest, SsimOfAnInvertedImageIsNegative) {
  at::Tensor x = Rand({1, 1, 16, 16}, 6);
  EXPECT_LT(Ssim(x, 1 - x).item<double>(), 0.0);
  EXPECT_THROW(Ssim(at::zeros({1, 1, 10, 12}), at::zeros({1, 1, 10, 12})), c10::Error);
}

TEST(MetricsTest, AccumulatorAveragesPerImageValuesAcrossBatches) {
  at::Tensor target = Rand({5, 1, 12, 12}, 7);
  at::Tensor prediction = (target + 0.1 * Rand({5, 1, 12, 12}, 8)).clamp(0, 1);
  at::Tensor masks = CenterSquareMask(12, 12, 6).unsqueeze(0).repeat({5, 1, 1, 1});
  masks[4].zero_();  // no hole: excluded from the hole means only

  InpaintingMetrics whole;
  whole.Add(prediction, target, masks);
  InpaintingMetrics split;
  split.Add(prediction.slice(0, 0, 2), target.slice(0, 0, 2), masks.slice(0, 0, 2));
  split.Add(prediction.slice(0, 2), target.slice(0, 2), masks.slice(0, 2));

  for (const InpaintingScores& s : {whole.Scores(), split.Scores()}) {
    EXPECT_EQ(s.images, 5);
    EXPECT_EQ(s.images_with_hole, 4);
    EXPECT_NEAR(s.psnr, Psnr(prediction, target).mean().item<double>(), 1e-9);
    EXPECT_NEAR(s.mse, MeanSquaredError(prediction, target).mean().item<double>(), 1e-12);
    EXPECT_NEAR(s.ssim, Ssim(prediction, target).mean().item<double>(), 1e-12);
    EXPECT_NEAR(s.psnr_hole,
                HolePsnr(prediction, target, masks).slice(0, 0, 4).mean().item<double>(), 1e-9);
    EXPECT_NEAR(s.l1_hole, HoleL1(prediction, target, masks).slice(0, 0, 4).mean().item<double>(),
                1e-12);
  }
  EXPECT_EQ(InpaintingMetrics().Scores().images, 0);
}

TEST(MetricsTest, HoleFiguresAreNanWhenNoImageHasAHole) {
  at::Tensor target = Rand({3, 1, 12, 12}, 9);
  InpaintingMetrics metrics;
  metrics.Add(target * 0.5, target, at::zeros({3, 1, 12, 12}));
  const InpaintingScores s = metrics.Scores();
  EXPECT_EQ(s.images, 3);
  EXPECT_EQ(s.images_with_hole, 0);
  EXPECT_TRUE(std::isnan(s.psnr_hole)) << s.psnr_hole;
  EXPECT_TRUE(std::isnan(s.l1_hole)) << s.l1_hole;
  EXPECT_GT(s.psnr, 0.0);
}

TEST(MetricsTest, ShapeMismatchesAreProgrammerErrors) {
  EXPECT_THROW(Psnr(at::zeros({1, 1, 4, 4}), at::zeros({1, 1, 4, 5})), c10::Error);
  EXPECT_THROW(HolePsnr(at::zeros({1, 1, 4, 4}), at::zeros({1, 1, 4, 4}), at::zeros({1, 4, 4})),
               c10::Error);
}

}  // namespace
}  // namespace sf::vision
