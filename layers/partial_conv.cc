#include "layers/partial_conv.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/conv2d.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/where.h>
#include <ATen/ops/zeros_like.h>
#include <c10/util/Exception.h>
#include <c10/util/variant.h>

namespace sf::layers {

PartialConv2dImpl::PartialConv2dImpl(const torch::nn::Conv2dOptions& options) : options(options) {
  reset();
}

void PartialConv2dImpl::reset() {
  TORCH_CHECK(options.groups() == 1, "PartialConv2d: grouped convolution is not supported, got ",
              options.groups(), " groups");
  TORCH_CHECK(c10::get_if<torch::enumtype::kZeros>(&options.padding_mode()) != nullptr,
              "PartialConv2d: only zero padding is supported");
  TORCH_CHECK(c10::get_if<torch::ExpandingArray<2>>(&options.padding()) != nullptr,
              "PartialConv2d: padding must be given as numbers, not \"same\"/\"valid\"");
  conv = register_module("conv", torch::nn::Conv2d(options));
}

PartialConvOutput PartialConv2dImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
  const int64_t in = options.in_channels();
  TORCH_CHECK(x.dim() == 4 && x.size(1) == in, "PartialConv2d: expected input [B, ", in,
              ", H, W], got ", x.sizes());
  TORCH_CHECK(mask.dim() == 4 && mask.size(0) == x.size(0) &&
                  (mask.size(1) == 1 || mask.size(1) == in) && mask.size(2) == x.size(2) &&
                  mask.size(3) == x.size(3),
              "PartialConv2d: mask must be [B, 1 or ", in, ", H, W] matching the input ", x.sizes(),
              ", got ", mask.sizes());
  at::Tensor m = mask.to(x.scalar_type()).expand_as(x);
  const auto& padding = c10::get<torch::ExpandingArray<2>>(options.padding());
  const auto& kernel = options.kernel_size();
  at::Tensor valid_count;
  {
    // The mask carries no gradient: it is a fixed function of the input holes.
    at::NoGradGuard no_grad;
    at::Tensor ones = at::ones({1, in, kernel->at(0), kernel->at(1)}, x.options());
    valid_count = at::conv2d(m, ones, {}, *options.stride(), *padding, *options.dilation());
  }
  const double window = static_cast<double>(in * kernel->at(0) * kernel->at(1));
  at::Tensor seen = valid_count > 0;
  at::Tensor scale =
      at::where(seen, window / valid_count.clamp_min(1), at::zeros_like(valid_count));
  at::Tensor out =
      at::conv2d(x * m, conv->weight, {}, *options.stride(), *padding, *options.dilation()) * scale;
  if (conv->bias.defined()) {
    out = out + conv->bias.view({1, -1, 1, 1}) * seen.to(out.scalar_type());
  }
  return {out, seen.to(x.scalar_type())};
}

}  // namespace sf::layers
