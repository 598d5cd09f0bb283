// Multi-head attention as a LibTorch module with its own parameters, written on the project's
// scaled dot-product attention, with a selectable backend.
//
//   auto mha = sf::attention::MultiHeadAttention(
//       sf::attention::MultiHeadAttentionOptions(/*d_model=*/256, /*heads=*/8)
//           .dropout(0.1)
//           .backend(sf::attention::AttentionBackend::kFused));
//   // Self-attention, causal, with per-sequence key lengths:
//   auto out = mha->forward(x, x, x, sf::attention::MaskSpec::Causal().WithKeyLengths(lens));
//   out.output;   // [batch, len_q, d_model]
//   out.weights;  // [batch, heads, len_q, len_k] when options.need_weights(true), else undefined
//
// Layout: inputs are batch-first [batch, len, d_model]. Parameters: one fused input projection
// `in_proj_weight` [3*d_model, d_model] (rows: q, k, v) and `in_proj_bias` [3*d_model], an
// output projection `out_proj` (Linear d_model -> d_model): the same layout as
// torch::nn::MultiheadAttention, so weights copy across one to one.
//
// Incremental decoding: pass a KeyValueCache; the new keys/values are appended to it and the
// queries attend to the whole cached prefix (bottom-right aligned causal mask, see masks.h).
#ifndef SCRATCHFORMER_ATTENTION_MULTI_HEAD_ATTENTION_H_
#define SCRATCHFORMER_ATTENTION_MULTI_HEAD_ATTENTION_H_

#include <cstdint>
#include <optional>
#include <string>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "attention/masks.h"

namespace sf::attention {

enum class AttentionBackend {
  kReference,  // the project's tensor-op scaled dot-product attention (any mask, dropout)
  kFused,      // the project's fused flash-style CPU kernel (float32)
  kLibTorch,   // at::_scaled_dot_product_attention, for comparison
};

// "reference" | "fused" | "libtorch" <-> enum. Parse throws c10::Error naming the value.
AttentionBackend ParseAttentionBackend(const std::string& name);
std::string AttentionBackendName(AttentionBackend backend);

struct MultiHeadAttentionOptions {
  MultiHeadAttentionOptions(int64_t d_model, int64_t heads) : d_model_(d_model), heads_(heads) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, heads);
  TORCH_ARG(double, dropout) = 0.0;        // on the attention weights, in training only
  TORCH_ARG(bool, bias) = true;            // biases of the projections
  TORCH_ARG(bool, need_weights) = false;   // return per-head attention weights
  TORCH_ARG(AttentionBackend, backend) = AttentionBackend::kReference;
};

// Keys and values of earlier steps, per layer, [batch, heads, len_cached, head_dim].
//
// Without autograd (NoGradGuard or inputs that need no gradient), `keys` and `values` are the
// leading positions of buffers with room to grow, whose capacity doubles when full: appending
// a token copies only its own keys/values, not the whole prefix. A buffer is written in place
// only while the cache's `keys`/`values` are the only tensors on it; a copy of the cache, a
// tensor taken from it and still held, or `keys`/`values` replaced by the caller (sliced,
// reordered) make the next append start a new buffer, so tensors taken from a cache never
// change. With gradients the prefix is concatenated anew at each step, so that backward sees
// every step's keys.
struct KeyValueCache {
  at::Tensor keys;
  at::Tensor values;
  int64_t length() const { return keys.defined() ? keys.size(2) : 0; }
  void Reset() { *this = KeyValueCache(); }
  // Keeps the first `length` positions (0 <= length <= length()); later appends write after
  // them, in place when nothing else holds the buffer.
  void Truncate(int64_t length);

  // Storage of the grow-in-place path: [batch, heads, capacity, head_dim].
  at::Tensor key_buffer;
  at::Tensor value_buffer;
};

struct AttentionOutput {
  at::Tensor output;   // [batch, len_q, d_model]
  at::Tensor weights;  // [batch, heads, len_q, len_k], or undefined
};

class MultiHeadAttentionImpl : public torch::nn::Cloneable<MultiHeadAttentionImpl> {
 public:
  explicit MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options);

  void reset() override;
  void reset_parameters();

  // query [B, Lq, d_model]; key/value [B, Lk, d_model]. `mask` is applied as in masks.h;
  // `attn_bias`, when defined, is added to the scores (broadcast to [B, H, Lq, Lk]).
  // With `cache`, key/value are the new positions only and are appended to the cache first.
  AttentionOutput forward(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value,
                          const MaskSpec& mask = MaskSpec(), KeyValueCache* cache = nullptr,
                          const at::Tensor& attn_bias = at::Tensor());

  void set_backend(AttentionBackend backend) { options.backend(backend); }

  MultiHeadAttentionOptions options;
  at::Tensor in_proj_weight;
  at::Tensor in_proj_bias;
  torch::nn::Linear out_proj{nullptr};
};

TORCH_MODULE(MultiHeadAttention);

}  // namespace sf::attention

#endif  // SCRATCHFORMER_ATTENTION_MULTI_HEAD_ATTENTION_H_
