// Fused flash-style scaled dot-product attention on the CPU, forward and backward, for
// float32 (AVX2/FMA micro-kernels when the CPU has them, portable loops otherwise) and float64
// (portable loops; meant for gradient checks). Never materialises a len_q x len_k buffer: the
// masks of masks.h are applied per tile, and tiles a mask rules out are skipped.
//
//   using sf::attention::MaskSpec;
//   // q [batch, heads, len_q, dim], k [batch, heads, len_k, dim], v [batch, heads, len_k, dim_v]
//   at::Tensor out = sf::attention::FusedAttention(q, k, v, MaskSpec::Causal());
//   out.sum().backward();  // dq, dk, dv by the fused backward pass
//
//   // Self-attention on one QKV projection [batch, len, 3 * heads * dim], no layout copies:
//   at::Tensor merged = sf::attention::FusedSelfAttention(
//       at::linear(x, in_proj_weight, in_proj_bias), heads, MaskSpec::Causal());
//
//   // A packed batch of 3 sequences of 5, 9 and 2 tokens: q/k/v [16, heads, dim].
//   at::Tensor cu = torch::tensor({0, 5, 14, 16}, torch::kInt32);
//   at::Tensor packed = sf::attention::FusedAttentionVarlen(
//       q, k, v, cu, cu, /*max_seqlen_q=*/9, /*max_seqlen_k=*/9, MaskSpec::Causal());
//
// Semantics equal the reference attention of the project: softmax(scale * q k^T + mask) v with
// the mask rule of masks.h (bottom-right alignment when len_q != len_k), and a zero output row
// (with zero gradients) for a query that sees no key. Inputs may be any strided views whose
// last dimension is contiguous (e.g. heads split out of a [batch, len, 3, heads, dim]
// projection): they are read in place. The output [batch, heads, len_q, dim_v] is laid out in
// memory as [batch, len_q, heads, dim_v], so merging heads afterwards is a free view.
//
// Dropout is not implemented in the fused kernel: a non-zero dropout_p throws.
#ifndef SCRATCHFORMER_ATTENTION_FUSED_ATTENTION_H_
#define SCRATCHFORMER_ATTENTION_FUSED_ATTENTION_H_

#include <cstdint>
#include <optional>
#include <tuple>

#include <ATen/core/Tensor.h>

#include "attention/masks.h"

namespace sf::attention {

// Attention of query [B, H, Lq, D] over key [B, H, Lk, D] and value [B, H, Lk, Dv]
// (float32 or float64, CPU). `scale` defaults to 1/sqrt(D). Key padding comes from
// mask.key_lengths() ([B] or [1], each <= Lk). Differentiable in q, k and v.
at::Tensor FusedAttention(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value,
                          const MaskSpec& mask = MaskSpec(),
                          std::optional<double> scale = std::nullopt, double dropout_p = 0.0);

// Packed variable-length batch (the cu_seqlens convention of FlashAttention's varlen API):
// query [total_q, H, D], key [total_k, H, D], value [total_k, H, Dv]; sequence n owns rows
// [cu_seqlens_q[n], cu_seqlens_q[n + 1]) of query and [cu_seqlens_k[n], cu_seqlens_k[n + 1]) of
// key and value. cu_seqlens_* are int32 or int64 CPU tensors [N + 1] starting at 0,
// non-decreasing, ending at total_*; no sequence may exceed max_seqlen_*. The mask's causal,
// window and global rules apply within each sequence (positions restart at 0, bottom-right
// alignment per sequence); padding is implicit, so the mask must not carry key lengths.
// Returns [total_q, H, Dv]. Differentiable in query, key and value.
at::Tensor FusedAttentionVarlen(const at::Tensor& query, const at::Tensor& key,
                                const at::Tensor& value, const at::Tensor& cu_seqlens_q,
                                const at::Tensor& cu_seqlens_k, int64_t max_seqlen_q,
                                int64_t max_seqlen_k, const MaskSpec& mask = MaskSpec(),
                                std::optional<double> scale = std::nullopt,
                                double dropout_p = 0.0);

// Self-attention straight from the packed result of one input projection: qkv [B, L, 3*H*D]
// holds queries, keys and values of H heads in that order ([B, L, 3, H, D] in memory: the rows
// of at::linear(x, in_proj_weight) for a [3*H*D, d_model] weight). Returns [B, L, H*D], heads
// merged, ready for an output projection. Nothing is copied into another layout: the kernel
// reads qkv in place and writes the merged output directly, and the backward pass writes the
// gradient of qkv as one tensor. Masks, scale and dropout as in FusedAttention (key lengths
// [B] or [1], each <= L). Differentiable in qkv.
at::Tensor FusedSelfAttention(const at::Tensor& qkv, int64_t heads,
                              const MaskSpec& mask = MaskSpec(),
                              std::optional<double> scale = std::nullopt, double dropout_p = 0.0);

// Forward only, outside autograd: {output, log-sum-exp}. The log-sum-exp [B, H, Lq] is the
// natural log of each row's softmax normaliser (-inf for a row that sees no key), what a
// caller needs to merge attention over key chunks computed separately.
std::tuple<at::Tensor, at::Tensor> FusedAttentionForward(const at::Tensor& query,
                                                         const at::Tensor& key,
                                                         const at::Tensor& value,
                                                         const MaskSpec& mask = MaskSpec(),
                                                         std::optional<double> scale = std::nullopt);

// Whether the fused kernel takes tensors like `query`: CPU, float32 or float64.
bool FusedAttentionSupports(const at::Tensor& query);

}  // namespace sf::attention

#endif  // SCRATCHFORMER_ATTENTION_FUSED_ATTENTION_H_
