// Patch embedding and un-embedding for ViT-style models (Dosovitskiy et al. 2021): an image is
// cut into non-overlapping p x p patches, each flattened and mapped linearly to a token; the
// un-embedding maps tokens back to patches and reassembles the image (as fold / pixel shuffle).
//
//   auto embed = sf::layers::PatchEmbedding(
//       sf::layers::PatchEmbeddingOptions(/*in_channels=*/1, /*d_model=*/64, /*patch_size=*/4));
//   at::Tensor tokens = embed->forward(images);             // [B, 1, 28, 28] -> [B, 49, 64]
//   auto unembed = sf::layers::PatchUnembedding(
//       sf::layers::PatchUnembeddingOptions(/*d_model=*/64, /*out_channels=*/1, 4));
//   at::Tensor images2 = unembed->forward(tokens, 28, 28);  // [B, 49, 64] -> [B, 1, 28, 28]
//
// Tokens are in row-major patch order; a flattened patch is ordered (channel, row, column), as
// torch's unfold orders it and as a [d_model, C, p, p] convolution weight flattens. Sizes that
// are not multiples of p are zero-padded at the bottom/right, and the un-embedding crops the
// padding again, so any H x W goes through.
#ifndef SCRATCHFORMER_LAYERS_PATCH_EMBEDDING_H_
#define SCRATCHFORMER_LAYERS_PATCH_EMBEDDING_H_

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace sf::layers {

// images [B, C, H, W] -> patches [B, ceil(H/p) * ceil(W/p), C * p * p].
at::Tensor Patchify(const at::Tensor& images, int64_t patch_size);

// The inverse: patches [B, ceil(H/p) * ceil(W/p), C * p * p] -> images [B, C, height, width].
at::Tensor Unpatchify(const at::Tensor& patches, int64_t patch_size, int64_t height, int64_t width);

struct PatchEmbeddingOptions {
  PatchEmbeddingOptions(int64_t in_channels, int64_t d_model, int64_t patch_size)
      : in_channels_(in_channels), d_model_(d_model), patch_size_(patch_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, patch_size);
  TORCH_ARG(bool, bias) = true;
};

// A convolution with kernel = stride = patch_size: the same map as a Linear on Patchify's
// output with weight proj->weight.view({d_model, -1}), without materialising the patches.
class PatchEmbeddingImpl : public torch::nn::Cloneable<PatchEmbeddingImpl> {
 public:
  explicit PatchEmbeddingImpl(const PatchEmbeddingOptions& options);

  void reset() override;

  // images [B, in_channels, H, W] -> tokens [B, ceil(H/p) * ceil(W/p), d_model].
  at::Tensor forward(const at::Tensor& images);

  PatchEmbeddingOptions options;
  torch::nn::Conv2d proj{nullptr};  // weight [d_model, in_channels, p, p]
};

TORCH_MODULE(PatchEmbedding);

struct PatchUnembeddingOptions {
  PatchUnembeddingOptions(int64_t d_model, int64_t out_channels, int64_t patch_size)
      : d_model_(d_model), out_channels_(out_channels), patch_size_(patch_size) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, patch_size);
  TORCH_ARG(bool, bias) = true;
};

class PatchUnembeddingImpl : public torch::nn::Cloneable<PatchUnembeddingImpl> {
 public:
  explicit PatchUnembeddingImpl(const PatchUnembeddingOptions& options);

  void reset() override;

  // tokens [B, ceil(height/p) * ceil(width/p), d_model] -> [B, out_channels, height, width].
  at::Tensor forward(const at::Tensor& tokens, int64_t height, int64_t width);

  PatchUnembeddingOptions options;
  torch::nn::Linear proj{nullptr};  // d_model -> out_channels * p * p
};

TORCH_MODULE(PatchUnembedding);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_PATCH_EMBEDDING_H_
