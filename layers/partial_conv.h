// Partial convolution (Liu et al. 2018, "Image Inpainting for Irregular Holes Using Partial
// Convolutions"): the convolution sees only the valid pixels of each window and is re-scaled
// by how many there were, and the validity mask is updated alongside,
//
//   y = W^T (X * M) * sum(1) / sum(M) + b   where sum(M) > 0, else 0,
//   m' = 1                                  where sum(M) > 0, else 0,
//
// with sum(1) the window size (kernel area times input channels). Zero padding counts as
// invalid, so borders are re-weighted too (Liu et al. 2018, "Partial Convolution based
// Padding").
//
//   auto pconv = sf::layers::PartialConv2d(
//       torch::nn::Conv2dOptions(/*in=*/3, /*out=*/64, /*kernel=*/7).stride(2).padding(3));
//   sf::layers::PartialConvOutput out = pconv->forward(image, mask);  // mask [B, 1|3, H, W]
//   out.output;  // [B, 64, H', W']
//   out.mask;    // [B, 1, H', W'], 1 where any valid pixel was seen
#ifndef SCRATCHFORMER_LAYERS_PARTIAL_CONV_H_
#define SCRATCHFORMER_LAYERS_PARTIAL_CONV_H_

#include <ATen/core/Tensor.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/options/conv.h>
#include <torch/nn/pimpl.h>

namespace sf::layers {

struct PartialConvOutput {
  at::Tensor output;  // [B, out, H', W']
  at::Tensor mask;    // [B, 1, H', W'], values 0 or 1
};

class PartialConv2dImpl : public torch::nn::Cloneable<PartialConv2dImpl> {
 public:
  // Grouped convolutions and padding modes other than zeros are not supported.
  explicit PartialConv2dImpl(const torch::nn::Conv2dOptions& options);

  void reset() override;

  // x [B, in, H, W]; mask [B, 1, H, W] (shared by the channels) or [B, in, H, W], 1 = valid.
  PartialConvOutput forward(const at::Tensor& x, const at::Tensor& mask);

  torch::nn::Conv2dOptions options;
  torch::nn::Conv2d conv{nullptr};  // weight and bias; applied without bias to X * M
};

TORCH_MODULE(PartialConv2d);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_PARTIAL_CONV_H_
