// The convolution block every vision model of the project is built from:
//   conv -> norm (batch | group | instance | none) -> activation,
// optionally with a gated convolution (Yu et al. 2019) in place of the plain one, in which case
// the block computes act(norm(features)) * sigmoid(gate).
//
//   auto block = sf::layers::ConvBlock(
//       sf::layers::ConvBlockOptions(/*in=*/1, /*out=*/32)   // 3x3, "same" padding
//           .norm(sf::layers::NormKind::kGroup).groups(8)
//           .activation(sf::layers::Activation::kSiLU));
//   at::Tensor y = block->forward(images);  // [B, 1, H, W] -> [B, 32, H, W]
//
// The convolution has no bias when a normalisation follows (the norm's shift replaces it),
// except in gated mode, where the gates need theirs.
#ifndef SCRATCHFORMER_LAYERS_CONV_BLOCK_H_
#define SCRATCHFORMER_LAYERS_CONV_BLOCK_H_

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
// instancenorm.h uses the functional form without including it.
#include <torch/nn/functional/instancenorm.h>
#include <torch/nn/modules/instancenorm.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "layers/activation.h"
#include "layers/gated_conv.h"

namespace sf::layers {

enum class NormKind { kNone, kBatch, kGroup, kInstance };

// "none" | "batch" | "group" | "instance" <-> enum. Parse throws c10::Error naming the value.
NormKind ParseNormKind(const std::string& name);
std::string NormKindName(NormKind kind);

struct ConvBlockOptions {
  ConvBlockOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size = 3)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(int64_t, stride) = 1;
  // -1: dilation * (kernel_size - 1) / 2, which keeps the size at stride 1 for odd kernels.
  TORCH_ARG(int64_t, padding) = -1;
  TORCH_ARG(int64_t, dilation) = 1;
  TORCH_ARG(NormKind, norm) = NormKind::kBatch;
  TORCH_ARG(int64_t, groups) = 8;  // of the group norm; must divide out_channels
  TORCH_ARG(Activation, activation) = Activation::kReLU;
  TORCH_ARG(bool, gated) = false;
};

class ConvBlockImpl : public torch::nn::Cloneable<ConvBlockImpl> {
 public:
  explicit ConvBlockImpl(const ConvBlockOptions& options);

  void reset() override;

  // [B, in, H, W] -> [B, out, H', W'].
  at::Tensor forward(const at::Tensor& x);

  ConvBlockOptions options;
  // Exactly one of the two convolutions is set, as is at most one normalisation; each is
  // registered as "conv" and "norm".
  torch::nn::Conv2d conv{nullptr};
  GatedConv2d gated_conv{nullptr};
  torch::nn::BatchNorm2d batch_norm{nullptr};
  torch::nn::GroupNorm group_norm{nullptr};
  torch::nn::InstanceNorm2d instance_norm{nullptr};

 private:
  at::Tensor Normalize(const at::Tensor& x);
};

TORCH_MODULE(ConvBlock);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_CONV_BLOCK_H_
