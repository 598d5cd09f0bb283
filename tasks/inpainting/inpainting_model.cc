#include "tasks/inpainting/inpainting_model.h"

#include <cmath>

#include <ATen/ATen.h>

namespace sf::tasks::inpainting {

at::Tensor Composite(const at::Tensor& prediction, const at::Tensor& images,
                     const at::Tensor& masks) {
  return images * (1 - masks) + prediction.clamp(0.0, 1.0) * masks;
}

at::Tensor MaskedMse(const at::Tensor& prediction, const at::Tensor& target,
                     const at::Tensor& weights) {
  const at::Tensor expanded = weights.expand_as(prediction);
  return ((prediction - target).square() * expanded).sum() / expanded.sum().clamp_min(1.0);
}

at::Tensor PsnrLoss(const at::Tensor& prediction, const at::Tensor& target,
                    const at::Tensor& weights, double eps) {
  TORCH_CHECK(prediction.dim() == 4 && prediction.sizes() == target.sizes(),
              "PsnrLoss: prediction and target must be [B, C, H, W] of one shape, got ",
              prediction.sizes(), " and ", target.sizes());
  TORCH_CHECK(eps > 0, "PsnrLoss: eps must be positive, got ", eps);
  const at::Tensor expanded = weights.expand_as(prediction);
  const double pixels =
      static_cast<double>(prediction.size(1) * prediction.size(2) * prediction.size(3));
  const at::Tensor mse = ((prediction - target).square() * expanded).flatten(1).sum(1) / pixels;
  const at::Tensor scored = (expanded.flatten(1).sum(1) > 0).to(prediction.dtype());
  const at::Tensor db = (10.0 / std::log(10.0)) * (mse + eps).log();
  return (db * scored).sum() / scored.sum().clamp_min(1.0);
}

}  // namespace sf::tasks::inpainting
