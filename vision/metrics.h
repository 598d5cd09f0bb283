// Image quality metrics for inpainting, per image and accumulated over a test set.
//
// Images are [N, C, H, W] floats with data range 1 (pixel values in [0, 1]); masks are
// [N, 1, H, W] with 1 = hole (see masks.h). Per-image results are double tensors [N].
//
//   - PSNR = 10 log10(1 / MSE) over the whole image, and over the hole only (MSE over the
//     hole pixels of every channel). MSE is floored at 1e-10, so a perfect reconstruction
//     scores 100 dB instead of infinity and averages stay finite.
//   - L1 over the hole: mean absolute error of the hole pixels.
//   - SSIM (Wang et al. 2004): 11 x 11 Gaussian window with sigma 1.5, K1 = 0.01, K2 = 0.03,
//     population (biased) variances, averaged over the 'valid' window positions (the window
//     lies fully inside the image: an 18 x 18 map for 28 x 28), then over channels. This equals
//     skimage.metrics.structural_similarity(x, y, data_range=1, gaussian_weights=True,
//     sigma=1.5, use_sample_covariance=False), which crops the same border off its map.
//     Images must be at least 11 x 11.
// Test-set figures are means of the per-image values (hole metrics over the images whose
// mask is not empty; NaN when every mask is empty).
//
//   InpaintingMetrics metrics;
//   for (...) metrics.Add(reconstruction, original, masks);
//   InpaintingScores scores = metrics.Scores();   // scores.psnr, scores.ssim, ...
#ifndef SCRATCHFORMER_VISION_METRICS_H_
#define SCRATCHFORMER_VISION_METRICS_H_

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace sf::vision {

inline constexpr double kSsimK1 = 0.01;
inline constexpr double kSsimK2 = 0.03;
inline constexpr int64_t kSsimWindow = 11;
inline constexpr double kSsimSigma = 1.5;
inline constexpr double kMinMse = 1e-10;

// Mean squared error per image [N].
at::Tensor MeanSquaredError(const at::Tensor& prediction, const at::Tensor& target);

// PSNR in dB per image [N], data range 1.
at::Tensor Psnr(const at::Tensor& prediction, const at::Tensor& target);

// PSNR over the hole pixels per image [N]; NaN for an image whose mask is empty.
at::Tensor HolePsnr(const at::Tensor& prediction, const at::Tensor& target,
                    const at::Tensor& masks);

// Mean absolute error over the hole pixels per image [N]; NaN for an empty mask.
at::Tensor HoleL1(const at::Tensor& prediction, const at::Tensor& target,
                  const at::Tensor& masks);

// The SSIM map over 'valid' window positions, [N, C, H - 10, W - 10].
at::Tensor SsimMap(const at::Tensor& prediction, const at::Tensor& target);

// Mean SSIM per image [N].
at::Tensor Ssim(const at::Tensor& prediction, const at::Tensor& target);

struct InpaintingScores {
  double psnr = 0.0;       // mean over images of the whole-image PSNR, dB
  double psnr_hole = 0.0;  // mean over images with a hole of the hole PSNR, dB (NaN: no hole)
  double l1_hole = 0.0;    // mean over images with a hole of the hole L1 (NaN: no hole)
  double ssim = 0.0;       // mean over images of SSIM
  double mse = 0.0;        // mean over images of the whole-image MSE
  int64_t images = 0;
  int64_t images_with_hole = 0;
};

// Streaming means of the per-image metrics over batches of a test set.
class InpaintingMetrics {
 public:
  // prediction, target [N, C, H, W]; masks [N, 1, H, W].
  void Add(const at::Tensor& prediction, const at::Tensor& target, const at::Tensor& masks);
  // The means so far (zeros before the first Add). The hole figures are NaN while no image
  // with a hole was added: reports show them as n/a, not as a score.
  InpaintingScores Scores() const;

 private:
  double psnr_sum_ = 0.0;
  double psnr_hole_sum_ = 0.0;
  double l1_hole_sum_ = 0.0;
  double ssim_sum_ = 0.0;
  double mse_sum_ = 0.0;
  int64_t images_ = 0;
  int64_t images_with_hole_ = 0;
};

}  // namespace sf::vision

#endif  // SCRATCHFORMER_VISION_METRICS_H_
