#include "layers/residual.h"

#include <string>
#include <vector>

#include <c10/util/Exception.h>

namespace sf::layers {

NormPlacement ParseNormPlacement(const std::string& name) {
  if (name == "post") return NormPlacement::kPostNorm;
  if (name == "pre") return NormPlacement::kPreNorm;
  TORCH_CHECK(false, "unknown norm placement \"", name, "\"; expected post or pre");
}

std::string NormPlacementName(NormPlacement placement) {
  switch (placement) {
    case NormPlacement::kPostNorm:
      return "post";
    case NormPlacement::kPreNorm:
      return "pre";
  }
  TORCH_CHECK(false, "invalid NormPlacement value ", static_cast<int>(placement));
}

ResidualNormImpl::ResidualNormImpl(const ResidualNormOptions& options) : options(options) {
  reset();
}

void ResidualNormImpl::reset() {
  TORCH_CHECK(options.d_model() > 0, "ResidualNorm: d_model must be positive, got ",
              options.d_model());
  TORCH_CHECK(options.dropout() >= 0.0 && options.dropout() < 1.0,
              "ResidualNorm: dropout must be in [0, 1), got ", options.dropout());
  norm = register_module(
      "norm",
      torch::nn::LayerNorm(
          torch::nn::LayerNormOptions(std::vector<int64_t>{options.d_model()}).eps(options.eps())));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
}

at::Tensor ResidualNormImpl::forward(const at::Tensor& x, const Sublayer& sublayer) {
  TORCH_CHECK(x.dim() >= 1 && x.size(-1) == options.d_model(),
              "ResidualNorm: expected input [..., ", options.d_model(), "], got ", x.sizes());
  if (options.placement() == NormPlacement::kPreNorm) {
    return x + dropout(sublayer(norm(x)));
  }
  return norm(x + dropout(sublayer(x)));
}

}  // namespace sf::layers
