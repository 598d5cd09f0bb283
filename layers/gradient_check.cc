#include "layers/gradient_check.h"

#include <cmath>
#include <cstdint>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <ATen/core/grad_mode.h>

namespace sf::layers {

::testing::AssertionResult GradientsMatchFiniteDifferences(const std::function<at::Tensor()>& f,
                                                           const std::vector<at::Tensor>& leaves,
                                                           double eps, double atol, double rtol) {
  for (size_t i = 0; i < leaves.size(); ++i) {
    const at::Tensor& leaf = leaves[i];
    if (leaf.scalar_type() != at::kDouble || !leaf.requires_grad() || !leaf.is_leaf() ||
        !leaf.is_contiguous()) {
      return ::testing::AssertionFailure()
             << "leaf " << i << " must be a contiguous double leaf tensor requiring grad, got "
             << leaf.scalar_type() << " " << leaf.sizes()
             << (leaf.requires_grad() ? "" : " without requires_grad");
    }
  }
  at::Tensor out = f();
  if (out.numel() != 1) {
    return ::testing::AssertionFailure() << "f() must return a scalar, got " << out.sizes();
  }
  std::vector<at::Tensor> analytic =
      torch::autograd::grad({out}, leaves, /*grad_outputs=*/{}, /*retain_graph=*/false,
                            /*create_graph=*/false, /*allow_unused=*/true);
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < leaves.size(); ++i) {
    at::Tensor flat = leaves[i].view({-1});
    at::Tensor grad = analytic[i].defined() ? analytic[i].reshape({-1}) : at::zeros_like(flat);
    for (int64_t k = 0; k < flat.numel(); ++k) {
      double original = flat[k].item<double>();
      flat[k].fill_(original + eps);
      double plus = f().item<double>();
      flat[k].fill_(original - eps);
      double minus = f().item<double>();
      flat[k].fill_(original);
      double numeric = (plus - minus) / (2 * eps);
      double autograd = grad[k].item<double>();
      if (std::abs(numeric - autograd) > atol + rtol * std::abs(numeric)) {
        return ::testing::AssertionFailure()
               << "leaf " << i << " " << leaves[i].sizes() << " entry " << k << ": autograd "
               << autograd << " vs finite difference " << numeric;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace sf::layers
