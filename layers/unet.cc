#include "layers/unet.h"

#include <vector>

#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/max_pool2d.h>
#include <ATen/ops/upsample_bilinear2d.h>
#include <ATen/ops/upsample_nearest2d.h>
#include <c10/util/Exception.h>

namespace sf::layers {
namespace {

ConvBlockOptions ConvOptions(const UNetBlockOptions& options, int64_t in, int64_t out) {
  return ConvBlockOptions(in, out, 3)
      .norm(options.norm())
      .groups(options.groups())
      .activation(options.activation())
      .gated(options.gated());
}

torch::nn::Sequential MakeConvs(const UNetBlockOptions& options, int64_t in, int64_t out) {
  TORCH_CHECK(options.convs() >= 1, "U-Net block: convs must be >= 1, got ", options.convs());
  torch::nn::Sequential convs;
  for (int64_t i = 0; i < options.convs(); ++i) {
    convs->push_back(ConvBlock(ConvOptions(options, i == 0 ? in : out, out)));
  }
  return convs;
}

void CheckChannels(const UNetBlockOptions& options, const char* block) {
  TORCH_CHECK(options.in_channels() > 0 && options.out_channels() > 0, block,
              ": channels must be positive, got in=", options.in_channels(),
              " out=", options.out_channels());
}

}  // namespace

at::Tensor MatchSpatialSize(const at::Tensor& x, int64_t height, int64_t width) {
  TORCH_CHECK(x.dim() >= 2, "MatchSpatialSize: expected [..., H, W], got ", x.sizes());
  TORCH_CHECK(height > 0 && width > 0, "MatchSpatialSize: target must be positive, got ", height,
              " x ", width);
  at::Tensor out = x;
  const int64_t targets[2] = {height, width};
  std::vector<int64_t> pad(4, 0);  // left, right, top, bottom: constant_pad_nd's order
  for (int d = 0; d < 2; ++d) {
    const int64_t dim = out.dim() - 2 + d;
    const int64_t diff = targets[d] - out.size(dim);
    if (diff < 0) {
      out = out.narrow(dim, (-diff) / 2, targets[d]);
    } else if (diff > 0) {
      const int64_t slot = d == 0 ? 2 : 0;
      pad[slot] = diff / 2;
      pad[slot + 1] = diff - diff / 2;
    }
  }
  if (pad[0] + pad[1] + pad[2] + pad[3] > 0) out = at::constant_pad_nd(out, pad, 0);
  return out;
}

UNetDownBlockImpl::UNetDownBlockImpl(const UNetBlockOptions& options) : options(options) {
  reset();
}

void UNetDownBlockImpl::reset() {
  CheckChannels(options, "UNetDownBlock");
  convs =
      register_module("convs", MakeConvs(options, options.in_channels(), options.out_channels()));
  if (options.downsampling() == Downsampling::kStridedConv) {
    strided = register_module(
        "strided",
        ConvBlock(ConvOptions(options, options.out_channels(), options.out_channels()).stride(2)));
  }
}

UNetDownOutput UNetDownBlockImpl::forward(const at::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options.in_channels(),
              "UNetDownBlock: expected input [B, ", options.in_channels(), ", H, W], got ",
              x.sizes());
  at::Tensor skip = convs->forward(x);
  at::Tensor down = strided ? strided->forward(skip)
                            : at::max_pool2d(skip, {2, 2}, {2, 2}, {0, 0}, {1, 1},
                                             /*ceil_mode=*/true);
  return {skip, down};
}

UNetUpBlockImpl::UNetUpBlockImpl(const UNetBlockOptions& options, int64_t skip_channels)
    : options(options), skip_channels(skip_channels) {
  reset();
}

void UNetUpBlockImpl::reset() {
  CheckChannels(options, "UNetUpBlock");
  TORCH_CHECK(skip_channels >= 0, "UNetUpBlock: skip_channels must be >= 0, got ", skip_channels);
  int64_t up_channels = options.in_channels();
  if (options.upsampling() == Upsampling::kTransposedConv) {
    up = register_module(
        "up", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(
                                             options.in_channels(), options.out_channels(), 2)
                                             .stride(2)));
    up_channels = options.out_channels();
  }
  convs = register_module("convs",
                          MakeConvs(options, up_channels + skip_channels, options.out_channels()));
}

at::Tensor UNetUpBlockImpl::forward(const at::Tensor& x, const at::Tensor& skip) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options.in_channels(),
              "UNetUpBlock: expected input [B, ", options.in_channels(), ", h, w], got ",
              x.sizes());
  TORCH_CHECK(skip.dim() == 4 && skip.size(0) == x.size(0) && skip.size(1) == skip_channels,
              "UNetUpBlock: expected skip [", x.size(0), ", ", skip_channels, ", H, W], got ",
              skip.sizes());
  const int64_t h = 2 * x.size(2);
  const int64_t w = 2 * x.size(3);
  at::Tensor upsampled;
  switch (options.upsampling()) {
    case Upsampling::kTransposedConv:
      upsampled = up->forward(x);
      break;
    case Upsampling::kNearest:
      upsampled = at::upsample_nearest2d(x, {h, w});
      break;
    case Upsampling::kBilinear:
      upsampled = at::upsample_bilinear2d(x, {h, w}, /*align_corners=*/false);
      break;
  }
  upsampled = MatchSpatialSize(upsampled, skip.size(2), skip.size(3));
  return convs->forward(at::cat({upsampled, skip}, 1));
}

UNetImpl::UNetImpl(const UNetOptions& options) : options(options) { reset(); }

void UNetImpl::reset() {
  TORCH_CHECK(options.depth() >= 0 && options.depth() <= 8, "UNet: depth must be in [0, 8], got ",
              options.depth());
  TORCH_CHECK(
      options.base_channels() > 0 && options.in_channels() > 0 && options.out_channels() > 0,
      "UNet: channels must be positive, got in=", options.in_channels(),
      " out=", options.out_channels(), " base=", options.base_channels());
  auto block = [&](int64_t in, int64_t out) {
    return UNetBlockOptions(in, out)
        .convs(options.convs())
        .norm(options.norm())
        .groups(options.groups())
        .activation(options.activation())
        .gated(options.gated())
        .downsampling(options.downsampling())
        .upsampling(options.upsampling());
  };
  const int64_t base = options.base_channels();
  const int64_t depth = options.depth();
  downs = register_module("downs", torch::nn::ModuleList());
  for (int64_t level = 0; level < depth; ++level) {
    int64_t in = level == 0 ? options.in_channels() : base << (level - 1);
    downs->push_back(UNetDownBlock(block(in, base << level)));
  }
  const int64_t bottleneck_in = depth == 0 ? options.in_channels() : base << (depth - 1);
  bottleneck = register_module(
      "bottleneck", MakeConvs(block(bottleneck_in, base << depth), bottleneck_in, base << depth));
  ups = register_module("ups", torch::nn::ModuleList());
  for (int64_t level = depth - 1; level >= 0; --level) {
    ups->push_back(UNetUpBlock(block(base << (level + 1), base << level), base << level));
  }
  head = register_module(
      "head", torch::nn::Conv2d(torch::nn::Conv2dOptions(base, options.out_channels(), 1)));
}

at::Tensor UNetImpl::forward(const at::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options.in_channels(), "UNet: expected input [B, ",
              options.in_channels(), ", H, W], got ", x.sizes());
  std::vector<at::Tensor> skips;
  at::Tensor h = x;
  for (size_t i = 0; i < downs->size(); ++i) {
    UNetDownOutput out = downs[i]->as<UNetDownBlockImpl>()->forward(h);
    skips.push_back(out.skip);
    h = out.down;
  }
  h = bottleneck->forward(h);
  for (size_t i = 0; i < ups->size(); ++i) {
    h = ups[i]->as<UNetUpBlockImpl>()->forward(h, skips[skips.size() - 1 - i]);
  }
  return head(h);
}

}  // namespace sf::layers
