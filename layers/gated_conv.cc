#include "layers/gated_conv.h"

#include <vector>

#include <ATen/TensorOperators.h>
#include <ATen/ops/sigmoid.h>
#include <c10/util/Exception.h>

namespace sf::layers {

GatedConv2dImpl::GatedConv2dImpl(const torch::nn::Conv2dOptions& options, Activation activation)
    : options(options), activation(activation) {
  reset();
}

void GatedConv2dImpl::reset() {
  TORCH_CHECK(options.in_channels() > 0 && options.out_channels() > 0,
              "GatedConv2d: channels must be positive, got in=", options.in_channels(),
              " out=", options.out_channels());
  torch::nn::Conv2dOptions doubled = options;
  doubled.out_channels(2 * options.out_channels());
  conv = register_module("conv", torch::nn::Conv2d(doubled));
}

GatedConvParts GatedConv2dImpl::forward_parts(const at::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options.in_channels(),
              "GatedConv2d: expected input [B, ", options.in_channels(), ", H, W], got ",
              x.sizes());
  std::vector<at::Tensor> halves = conv(x).chunk(2, 1);
  return {halves[0], at::sigmoid(halves[1])};
}

at::Tensor GatedConv2dImpl::forward(const at::Tensor& x) {
  GatedConvParts parts = forward_parts(x);
  return ApplyActivation(parts.features, activation) * parts.gate;
}

}  // namespace sf::layers
