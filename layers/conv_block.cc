#include "layers/conv_block.h"

#include <string>

#include <ATen/TensorOperators.h>
#include <c10/util/Exception.h>

namespace sf::layers {

NormKind ParseNormKind(const std::string& name) {
  if (name == "none") return NormKind::kNone;
  if (name == "batch") return NormKind::kBatch;
  if (name == "group") return NormKind::kGroup;
  if (name == "instance") return NormKind::kInstance;
  TORCH_CHECK(false, "unknown normalisation \"", name,
              "\"; expected none, batch, group or instance");
}

std::string NormKindName(NormKind kind) {
  switch (kind) {
    case NormKind::kNone:
      return "none";
    case NormKind::kBatch:
      return "batch";
    case NormKind::kGroup:
      return "group";
    case NormKind::kInstance:
      return "instance";
  }
  TORCH_CHECK(false, "invalid NormKind value ", static_cast<int>(kind));
}

ConvBlockImpl::ConvBlockImpl(const ConvBlockOptions& options) : options(options) { reset(); }

void ConvBlockImpl::reset() {
  TORCH_CHECK(options.in_channels() > 0 && options.out_channels() > 0,
              "ConvBlock: channels must be positive, got in=", options.in_channels(),
              " out=", options.out_channels());
  TORCH_CHECK(options.kernel_size() > 0 && options.stride() > 0 && options.dilation() > 0,
              "ConvBlock: kernel_size, stride and dilation must be positive, got ",
              options.kernel_size(), ", ", options.stride(), ", ", options.dilation());
  TORCH_CHECK(options.padding() >= -1, "ConvBlock: padding must be >= 0 (or -1 for \"same\"), got ",
              options.padding());
  const int64_t out = options.out_channels();
  if (options.norm() == NormKind::kGroup) {
    TORCH_CHECK(options.groups() > 0 && out % options.groups() == 0, "ConvBlock: ", out,
                " channels cannot be split into ", options.groups(), " groups");
  }
  const int64_t padding = options.padding() >= 0
                              ? options.padding()
                              : options.dilation() * (options.kernel_size() - 1) / 2;
  torch::nn::Conv2dOptions conv_options =
      torch::nn::Conv2dOptions(options.in_channels(), out, options.kernel_size())
          .stride(options.stride())
          .padding(padding)
          .dilation(options.dilation())
          // Gates keep their bias even under a norm: only the features are normalised.
          .bias(options.norm() == NormKind::kNone || options.gated());
  if (options.gated()) {
    gated_conv = register_module("conv", GatedConv2d(conv_options, options.activation()));
  } else {
    conv = register_module("conv", torch::nn::Conv2d(conv_options));
  }
  switch (options.norm()) {
    case NormKind::kNone:
      break;
    case NormKind::kBatch:
      batch_norm = register_module("norm", torch::nn::BatchNorm2d(out));
      break;
    case NormKind::kGroup:
      group_norm = register_module("norm", torch::nn::GroupNorm(options.groups(), out));
      break;
    case NormKind::kInstance:
      instance_norm = register_module(
          "norm", torch::nn::InstanceNorm2d(torch::nn::InstanceNorm2dOptions(out).affine(true)));
      break;
  }
}

at::Tensor ConvBlockImpl::Normalize(const at::Tensor& x) {
  if (batch_norm) return batch_norm(x);
  if (group_norm) return group_norm(x);
  if (instance_norm) return instance_norm(x);
  return x;
}

at::Tensor ConvBlockImpl::forward(const at::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options.in_channels(), "ConvBlock: expected input [B, ",
              options.in_channels(), ", H, W], got ", x.sizes());
  if (gated_conv) {
    GatedConvParts parts = gated_conv->forward_parts(x);
    return ApplyActivation(Normalize(parts.features), options.activation()) * parts.gate;
  }
  return ApplyActivation(Normalize(conv(x)), options.activation());
}

}  // namespace sf::layers
