// U-Net building blocks (Ronneberger et al. 2015) that bring any image size back exactly:
// a down block convolves (its output is the skip connection) then halves the size rounding
// up (28 -> 14 -> 7 -> 4, 27 x 31 -> 14 x 16 -> 7 x 8 -> 4 x 4); an up block doubles the size,
// crops or pads it to the skip's size (8 -> 7), concatenates the skip and convolves.
//
//   auto unet = sf::layers::UNet(sf::layers::UNetOptions(/*in=*/1, /*out=*/1)
//                                    .base_channels(32).depth(3)
//                                    .norm(sf::layers::NormKind::kGroup));
//   at::Tensor y = unet->forward(images);  // [B, 1, 28, 28] -> [B, 1, 28, 28]
//
//   // Or by hand:
//   auto down = sf::layers::UNetDownBlock(sf::layers::UNetBlockOptions(1, 32));
//   auto up = sf::layers::UNetUpBlock(sf::layers::UNetBlockOptions(64, 32), /*skip=*/32);
//   sf::layers::UNetDownOutput d = down->forward(x);  // d.skip [B,32,H,W], d.down [B,32,H/2,W/2]
//   at::Tensor y = up->forward(middle(d.down), d.skip);  // [B, 32, H, W]
#ifndef SCRATCHFORMER_LAYERS_UNET_H_
#define SCRATCHFORMER_LAYERS_UNET_H_

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "layers/activation.h"
#include "layers/conv_block.h"

namespace sf::layers {

// Zero-pads or centre-crops the last two dimensions of x [..., H, W] to [height, width]; an odd
// difference puts the extra row/column at the bottom/right, where ceil-mode down-sampling
// added it.
at::Tensor MatchSpatialSize(const at::Tensor& x, int64_t height, int64_t width);

enum class Downsampling {
  kMaxPool,      // 2 x 2 max pooling, ceil mode
  kStridedConv,  // 3 x 3 convolution block with stride 2, padding 1 (also rounds up)
};

enum class Upsampling {
  kTransposedConv,  // 2 x 2 transposed convolution with stride 2, in -> out channels
  kNearest,         // nearest-neighbour x2, channels unchanged
  kBilinear,        // bilinear x2 (align_corners false), channels unchanged
};

struct UNetBlockOptions {
  UNetBlockOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, convs) = 2;  // 3 x 3 convolution blocks per U-Net block
  TORCH_ARG(NormKind, norm) = NormKind::kBatch;
  TORCH_ARG(int64_t, groups) = 8;  // of the group norm
  TORCH_ARG(Activation, activation) = Activation::kReLU;
  TORCH_ARG(bool, gated) = false;  // gated convolutions throughout
  TORCH_ARG(Downsampling, downsampling) = Downsampling::kMaxPool;
  TORCH_ARG(Upsampling, upsampling) = Upsampling::kTransposedConv;
};

struct UNetDownOutput {
  at::Tensor skip;  // [B, out, H, W], for the matching up block
  at::Tensor down;  // [B, out, ceil(H / 2), ceil(W / 2)]
};

class UNetDownBlockImpl : public torch::nn::Cloneable<UNetDownBlockImpl> {
 public:
  explicit UNetDownBlockImpl(const UNetBlockOptions& options);

  void reset() override;

  UNetDownOutput forward(const at::Tensor& x);

  UNetBlockOptions options;
  torch::nn::Sequential convs{nullptr};
  ConvBlock strided{nullptr};  // set with Downsampling::kStridedConv
};

TORCH_MODULE(UNetDownBlock);

class UNetUpBlockImpl : public torch::nn::Cloneable<UNetUpBlockImpl> {
 public:
  UNetUpBlockImpl(const UNetBlockOptions& options, int64_t skip_channels);

  void reset() override;

  // x [B, in, h, w], skip [B, skip_channels, H, W] with H in {2h - 1, 2h} (any H works: the
  // up-sampled map is cropped or padded to it) -> [B, out, H, W].
  at::Tensor forward(const at::Tensor& x, const at::Tensor& skip);

  UNetBlockOptions options;
  int64_t skip_channels;
  torch::nn::ConvTranspose2d up{nullptr};  // set with Upsampling::kTransposedConv
  torch::nn::Sequential convs{nullptr};
};

TORCH_MODULE(UNetUpBlock);

struct UNetOptions {
  UNetOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, base_channels) = 32;  // doubled at every level
  TORCH_ARG(int64_t, depth) = 3;           // number of down (and up) blocks
  TORCH_ARG(int64_t, convs) = 2;
  TORCH_ARG(NormKind, norm) = NormKind::kBatch;
  TORCH_ARG(int64_t, groups) = 8;
  TORCH_ARG(Activation, activation) = Activation::kReLU;
  TORCH_ARG(bool, gated) = false;
  TORCH_ARG(Downsampling, downsampling) = Downsampling::kMaxPool;
  TORCH_ARG(Upsampling, upsampling) = Upsampling::kTransposedConv;
};

// depth down blocks, a bottleneck of `convs` blocks at base * 2^depth channels, depth up blocks
// and a 1 x 1 convolution to out_channels; output size == input size for any input size.
class UNetImpl : public torch::nn::Cloneable<UNetImpl> {
 public:
  explicit UNetImpl(const UNetOptions& options);

  void reset() override;

  at::Tensor forward(const at::Tensor& x);

  UNetOptions options;
  torch::nn::ModuleList downs{nullptr};
  torch::nn::Sequential bottleneck{nullptr};
  torch::nn::ModuleList ups{nullptr};
  torch::nn::Conv2d head{nullptr};
};

TORCH_MODULE(UNet);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_UNET_H_
