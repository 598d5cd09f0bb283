// Gated convolution (Yu et al. 2019, "Free-Form Image Inpainting with Gated Convolution"):
// one convolution computes features and a soft per-pixel, per-channel gate, and
//   O = act(Features) * sigmoid(Gating),
// so the network learns where to let information through (holes, sketches, borders) instead
// of a hand-written mask rule as in partial convolution.
//
//   auto gated = sf::layers::GatedConv2d(
//       torch::nn::Conv2dOptions(/*in=*/4, /*out=*/32, /*kernel=*/3).padding(1),
//       sf::layers::Activation::kELU);
//   at::Tensor y = gated->forward(x);  // [B, 4, H, W] -> [B, 32, H, W]
//
// Features and gate come from a single convolution with 2 * out_channels outputs (the first
// half features, the second half gates): the same function as two separate convolutions, in
// one call.
#ifndef SCRATCHFORMER_LAYERS_GATED_CONV_H_
#define SCRATCHFORMER_LAYERS_GATED_CONV_H_

#include <ATen/core/Tensor.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/options/conv.h>
#include <torch/nn/pimpl.h>

#include "layers/activation.h"

namespace sf::layers {

struct GatedConvParts {
  at::Tensor features;  // before the activation, [B, out, H', W']
  at::Tensor gate;      // after the sigmoid, in (0, 1), same shape
};

class GatedConv2dImpl : public torch::nn::Cloneable<GatedConv2dImpl> {
 public:
  // `options` describe the gated convolution as a whole (out_channels = outputs of O).
  explicit GatedConv2dImpl(const torch::nn::Conv2dOptions& options,
                           Activation activation = Activation::kELU);

  void reset() override;

  // act(features) * gate.
  at::Tensor forward(const at::Tensor& x);
  // The two halves, for blocks that normalise the features before the activation and for
  // looking at the learned gates.
  GatedConvParts forward_parts(const at::Tensor& x);

  torch::nn::Conv2dOptions options;
  Activation activation;
  torch::nn::Conv2d conv{nullptr};  // out_channels * 2 outputs
};

TORCH_MODULE(GatedConv2d);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_GATED_CONV_H_
