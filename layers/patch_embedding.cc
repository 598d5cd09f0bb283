#include "layers/patch_embedding.h"

#include <ATen/ops/constant_pad_nd.h>
#include <c10/util/Exception.h>

namespace sf::layers {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Zero-pads [B, C, H, W] at the bottom/right to multiples of p.
at::Tensor PadToMultiple(const at::Tensor& images, int64_t p) {
  const int64_t pad_h = CeilDiv(images.size(2), p) * p - images.size(2);
  const int64_t pad_w = CeilDiv(images.size(3), p) * p - images.size(3);
  if (pad_h == 0 && pad_w == 0) return images;
  return at::constant_pad_nd(images, {0, pad_w, 0, pad_h}, 0);
}

void CheckImages(const at::Tensor& images, int64_t patch_size, const char* owner) {
  TORCH_CHECK(patch_size > 0, owner, ": patch_size must be positive, got ", patch_size);
  TORCH_CHECK(images.dim() == 4, owner, ": expected images [B, C, H, W], got ", images.sizes());
}

}  // namespace

at::Tensor Patchify(const at::Tensor& images, int64_t patch_size) {
  CheckImages(images, patch_size, "Patchify");
  const int64_t p = patch_size;
  at::Tensor x = PadToMultiple(images, p);
  const int64_t b = x.size(0), c = x.size(1), gh = x.size(2) / p, gw = x.size(3) / p;
  return x.view({b, c, gh, p, gw, p}).permute({0, 2, 4, 1, 3, 5}).reshape({b, gh * gw, c * p * p});
}

at::Tensor Unpatchify(const at::Tensor& patches, int64_t patch_size, int64_t height,
                      int64_t width) {
  const int64_t p = patch_size;
  TORCH_CHECK(p > 0, "Unpatchify: patch_size must be positive, got ", p);
  TORCH_CHECK(height > 0 && width > 0, "Unpatchify: image size must be positive, got ", height,
              " x ", width);
  const int64_t gh = CeilDiv(height, p), gw = CeilDiv(width, p);
  TORCH_CHECK(patches.dim() == 3 && patches.size(1) == gh * gw && patches.size(2) % (p * p) == 0,
              "Unpatchify: a ", height, " x ", width, " image in ", p, " x ", p,
              " patches needs [B, ", gh * gw, ", C * ", p * p, "], got ", patches.sizes());
  const int64_t b = patches.size(0), c = patches.size(2) / (p * p);
  return patches.reshape({b, gh, gw, c, p, p})
      .permute({0, 3, 1, 4, 2, 5})
      .reshape({b, c, gh * p, gw * p})
      .slice(2, 0, height)
      .slice(3, 0, width);
}

PatchEmbeddingImpl::PatchEmbeddingImpl(const PatchEmbeddingOptions& options) : options(options) {
  reset();
}

void PatchEmbeddingImpl::reset() {
  TORCH_CHECK(options.in_channels() > 0 && options.d_model() > 0 && options.patch_size() > 0,
              "PatchEmbedding: sizes must be positive, got in_channels=", options.in_channels(),
              " d_model=", options.d_model(), " patch_size=", options.patch_size());
  proj = register_module(
      "proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels(), options.d_model(),
                                                         options.patch_size())
                                    .stride(options.patch_size())
                                    .bias(options.bias())));
}

at::Tensor PatchEmbeddingImpl::forward(const at::Tensor& images) {
  CheckImages(images, options.patch_size(), "PatchEmbedding");
  TORCH_CHECK(images.size(1) == options.in_channels(), "PatchEmbedding: expected ",
              options.in_channels(), " channels, got images ", images.sizes());
  return proj(PadToMultiple(images, options.patch_size())).flatten(2).transpose(1, 2);
}

PatchUnembeddingImpl::PatchUnembeddingImpl(const PatchUnembeddingOptions& options)
    : options(options) {
  reset();
}

void PatchUnembeddingImpl::reset() {
  TORCH_CHECK(options.out_channels() > 0 && options.d_model() > 0 && options.patch_size() > 0,
              "PatchUnembedding: sizes must be positive, got d_model=", options.d_model(),
              " out_channels=", options.out_channels(), " patch_size=", options.patch_size());
  const int64_t p = options.patch_size();
  proj = register_module(
      "proj",
      torch::nn::Linear(torch::nn::LinearOptions(options.d_model(), options.out_channels() * p * p)
                            .bias(options.bias())));
}

at::Tensor PatchUnembeddingImpl::forward(const at::Tensor& tokens, int64_t height, int64_t width) {
  TORCH_CHECK(tokens.dim() == 3 && tokens.size(2) == options.d_model(),
              "PatchUnembedding: expected tokens [B, N, ", options.d_model(), "], got ",
              tokens.sizes());
  return Unpatchify(proj(tokens), options.patch_size(), height, width);
}

}  // namespace sf::layers
