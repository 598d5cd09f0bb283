// Scaled dot-product attention written with plain tensor ops: the readable reference that the
// fused kernel and LibTorch's implementation are checked against.
//
//   softmax(q k^T * scale + bias, masked to -inf where not allowed) v
//
//   using sf::attention::ScaledDotProductAttentionOptions;
//   auto r = sf::attention::ScaledDotProductAttention(
//       q, k, v,  // [B, H, Lq, D], [B, H, Lk, D], [B, H, Lk, Dv]
//       ScaledDotProductAttentionOptions()
//           .mask(sf::attention::MaskSpec::Causal().WithKeyLengths(lengths))
//           .dropout(0.1).training(true)
//           .need_weights(true));
//   r.output;   // [B, H, Lq, Dv]
//   r.weights;  // [B, H, Lq, Lk], the weights that multiplied v (after dropout)
//
// Masks follow masks.h (true = allowed). A query row with no allowed key (every score masked or
// -inf) gets zero weights and a zero output, with zero (finite) gradients, never NaN.
#ifndef SCRATCHFORMER_ATTENTION_SCALED_DOT_PRODUCT_ATTENTION_H_
#define SCRATCHFORMER_ATTENTION_SCALED_DOT_PRODUCT_ATTENTION_H_

#include <optional>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "attention/masks.h"

namespace sf::attention {

struct ScaledDotProductAttentionOptions {
  // Structured mask; applied together with (AND) `dense_mask`.
  TORCH_ARG(MaskSpec, mask) = MaskSpec();
  // Bool, true = allowed, broadcastable to [B, H, Lq, Lk]; undefined = no dense mask.
  TORCH_ARG(at::Tensor, dense_mask);
  // Floating, added to the scaled scores, broadcastable to [B, H, Lq, Lk] (ALiBi, T5 bias, or a
  // float mask with -inf entries); undefined = none.
  TORCH_ARG(at::Tensor, attn_bias);
  // Probability of zeroing an attention weight, applied only when `training` is true.
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(bool, training) = false;
  // Multiplies q k^T; defaults to 1 / sqrt(D).
  TORCH_ARG(std::optional<double>, scale) = std::nullopt;
  TORCH_ARG(bool, need_weights) = false;
  // Source of the dropout masks; the global default generator when unset.
  TORCH_ARG(std::optional<at::Generator>, generator) = std::nullopt;
};

struct ScaledDotProductAttentionResult {
  at::Tensor output;   // [B, H, Lq, Dv]
  at::Tensor weights;  // [B, H, Lq, Lk] when need_weights, else undefined
};

// Throws c10::Error naming the shapes or values when the arguments do not fit together.
ScaledDotProductAttentionResult ScaledDotProductAttention(
    const at::Tensor& query, const at::Tensor& key, const at::Tensor& value,
    const ScaledDotProductAttentionOptions& options = ScaledDotProductAttentionOptions());

// The argument checks every backend shares (c10::Error naming the bad shape or dtype):
// 4-D query/key/value of one dtype with matching batch, heads, head_dim and key/value lengths,
// and, when defined, a floating-point attn_bias that broadcasts to [B, H, Lq, Lk].
void CheckAttentionArguments(const at::Tensor& query, const at::Tensor& key,
                             const at::Tensor& value, const at::Tensor& attn_bias);

// The mask that `options.mask()` and `options.dense_mask()` describe together for these
// shapes, bool [B|1, H|1, Lq, Lk] on the query's device, or undefined when neither restricts
// anything. Shared with the other backends so they all apply the same mask.
at::Tensor CombinedAllowedMask(const MaskSpec& mask, const at::Tensor& dense_mask,
                               const at::Tensor& query, const at::Tensor& key);

}  // namespace sf::attention

#endif  // SCRATCHFORMER_ATTENTION_SCALED_DOT_PRODUCT_ATTENTION_H_
