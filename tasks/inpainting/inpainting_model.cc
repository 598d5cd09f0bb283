#include "tasks/inpainting/inpainting_model.h"

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

}  // namespace sf::tasks::inpainting
