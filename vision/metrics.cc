#include "vision/metrics.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

namespace sf::vision {
namespace {

void CheckPair(const at::Tensor& prediction, const at::Tensor& target) {
  TORCH_CHECK(prediction.dim() == 4, "images must be [N, C, H, W], got ", prediction.sizes());
  TORCH_CHECK(prediction.sizes() == target.sizes(), "prediction ", prediction.sizes(),
              " and target ", target.sizes(), " differ in shape");
}

void CheckMasks(const at::Tensor& target, const at::Tensor& masks) {
  TORCH_CHECK(masks.dim() == 4 && masks.size(0) == target.size(0) && masks.size(1) == 1 &&
                  masks.size(2) == target.size(2) && masks.size(3) == target.size(3),
              "masks must be [", target.size(0), ", 1, ", target.size(2), ", ", target.size(3),
              "], got ", masks.sizes());
}

at::Tensor PsnrFromMse(const at::Tensor& mse) {
  return -10.0 * at::log10(mse.clamp_min(kMinMse));
}

// Per image: sum over hole pixels of `error` [N, C, H, W] / number of hole values (NaN if 0).
at::Tensor HoleMean(const at::Tensor& error, const at::Tensor& masks) {
  const at::Tensor m = masks.to(at::kDouble);
  const at::Tensor total = (error * m).sum({1, 2, 3});
  const at::Tensor count = m.sum({1, 2, 3}) * error.size(1);
  return at::where(count > 0, total / count.clamp_min(1.0),
                   at::full_like(total, std::numeric_limits<double>::quiet_NaN()));
}

// Normalised 1-D Gaussian of kSsimWindow taps: the 2-D window is its outer product.
at::Tensor GaussianTaps() {
  at::Tensor x = at::arange(kSsimWindow, at::kDouble) - (kSsimWindow - 1) / 2;
  at::Tensor g = at::exp(-(x * x) / (2.0 * kSsimSigma * kSsimSigma));
  return g / g.sum();
}

// Gaussian-weighted local means over valid positions of x [B, 1, H, W].
at::Tensor Smooth(const at::Tensor& x, const at::Tensor& taps) {
  at::Tensor rows = at::conv2d(x, taps.view({1, 1, kSsimWindow, 1}));
  return at::conv2d(rows, taps.view({1, 1, 1, kSsimWindow}));
}

}  // namespace

at::Tensor MeanSquaredError(const at::Tensor& prediction, const at::Tensor& target) {
  CheckPair(prediction, target);
  return (prediction.to(at::kDouble) - target.to(at::kDouble)).square().mean({1, 2, 3});
}

at::Tensor Psnr(const at::Tensor& prediction, const at::Tensor& target) {
  return PsnrFromMse(MeanSquaredError(prediction, target));
}

at::Tensor HolePsnr(const at::Tensor& prediction, const at::Tensor& target,
                    const at::Tensor& masks) {
  CheckPair(prediction, target);
  CheckMasks(target, masks);
  const at::Tensor error = (prediction.to(at::kDouble) - target.to(at::kDouble)).square();
  return PsnrFromMse(HoleMean(error, masks));
}

at::Tensor HoleL1(const at::Tensor& prediction, const at::Tensor& target,
                  const at::Tensor& masks) {
  CheckPair(prediction, target);
  CheckMasks(target, masks);
  const at::Tensor error = (prediction.to(at::kDouble) - target.to(at::kDouble)).abs();
  return HoleMean(error, masks);
}

at::Tensor SsimMap(const at::Tensor& prediction, const at::Tensor& target) {
  CheckPair(prediction, target);
  const int64_t n = target.size(0), c = target.size(1), h = target.size(2), w = target.size(3);
  TORCH_CHECK(h >= kSsimWindow && w >= kSsimWindow, "SSIM needs images of at least ",
              kSsimWindow, " x ", kSsimWindow, ", got ", target.sizes());
  const at::Tensor x = prediction.to(at::kDouble).reshape({n * c, 1, h, w});
  const at::Tensor y = target.to(at::kDouble).reshape({n * c, 1, h, w});
  const at::Tensor taps = GaussianTaps();
  const at::Tensor mu_x = Smooth(x, taps), mu_y = Smooth(y, taps);
  const at::Tensor var_x = Smooth(x * x, taps) - mu_x * mu_x;
  const at::Tensor var_y = Smooth(y * y, taps) - mu_y * mu_y;
  const at::Tensor cov = Smooth(x * y, taps) - mu_x * mu_y;
  constexpr double c1 = kSsimK1 * kSsimK1, c2 = kSsimK2 * kSsimK2;
  const at::Tensor map = ((2.0 * mu_x * mu_y + c1) * (2.0 * cov + c2)) /
                         ((mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2));
  return map.reshape({n, c, h - kSsimWindow + 1, w - kSsimWindow + 1});
}

at::Tensor Ssim(const at::Tensor& prediction, const at::Tensor& target) {
  return SsimMap(prediction, target).mean({1, 2, 3});
}

void InpaintingMetrics::Add(const at::Tensor& prediction, const at::Tensor& target,
                            const at::Tensor& masks) {
  const at::Tensor mse = MeanSquaredError(prediction, target);
  const at::Tensor hole_psnr = HolePsnr(prediction, target, masks);
  const at::Tensor hole_l1 = HoleL1(prediction, target, masks);
  const at::Tensor has_hole = hole_psnr.isnan().logical_not();
  mse_sum_ += mse.sum().item<double>();
  psnr_sum_ += PsnrFromMse(mse).sum().item<double>();
  psnr_hole_sum_ += hole_psnr.masked_select(has_hole).sum().item<double>();
  l1_hole_sum_ += hole_l1.masked_select(has_hole).sum().item<double>();
  ssim_sum_ += Ssim(prediction, target).sum().item<double>();
  images_ += target.size(0);
  images_with_hole_ += has_hole.sum().item<int64_t>();
}

InpaintingScores InpaintingMetrics::Scores() const {
  InpaintingScores scores;
  scores.images = images_;
  scores.images_with_hole = images_with_hole_;
  if (images_ > 0) {
    scores.psnr = psnr_sum_ / images_;
    scores.ssim = ssim_sum_ / images_;
    scores.mse = mse_sum_ / images_;
  }
  if (images_with_hole_ > 0) {
    scores.psnr_hole = psnr_hole_sum_ / images_with_hole_;
    scores.l1_hole = l1_hole_sum_ / images_with_hole_;
  } else {
    // 0 would read as a score (a terrible PSNR, a perfect L1); there is no hole to score.
    scores.psnr_hole = std::numeric_limits<double>::quiet_NaN();
    scores.l1_hole = std::numeric_limits<double>::quiet_NaN();
  }
  return scores;
}

}  // namespace sf::vision
