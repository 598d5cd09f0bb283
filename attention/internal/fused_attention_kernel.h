// The tiling driver of the fused attention kernel, below the tensor API of
// attention/fused_attention.h: a batch of independent (sequence, head) problems described by raw
// row pointers and strides, so dense [batch, heads, len, dim] tensors of any row layout and
// packed variable-length batches share one code path.
//
//   AttentionProblem<float> problem;
//   problem.heads.push_back({q, q_stride, k, k_stride, v, v_stride, out, out_stride, lse,
//                            len_q, len_k, /*key_limit=*/len_k});
//   problem.dim_qk = 64; problem.dim_v = 64; problem.scale = 0.125;
//   problem.mask = MaskRule::From(MaskSpec::Causal());
//   FusedForward(problem);   // fills out and lse
//
// Algorithm (FlashAttention-2 on the CPU): queries are processed in blocks of kBlockQ rows,
// keys in tiles of kBlockK rows; a block keeps a running maximum, sum and output accumulator
// per row (online softmax) and normalises once at the end, so memory is O(blocks), never
// O(len_q * len_k). The backward pass recomputes the probabilities from the saved per-row
// log-sum-exp. Masks are applied per tile from the rule in masks.h: tiles outside the band
// of a block are never visited, tiles inside it need no mask, only tiles crossing the band's
// edges are masked element by element. Global tokens are handled without any dense buffer:
// global keys outside a block's band are gathered into extra tiles, and global query rows
// (which see every key) form their own blocks.
#ifndef SCRATCHFORMER_ATTENTION_INTERNAL_FUSED_ATTENTION_KERNEL_H_
#define SCRATCHFORMER_ATTENTION_INTERNAL_FUSED_ATTENTION_KERNEL_H_

#include <cstdint>
#include <vector>

#include "attention/masks.h"

namespace sf::attention::internal {

// Query rows per block and key rows per tile.
constexpr int64_t kBlockQ = 64;
constexpr int64_t kBlockK = 96;

// Which tile operations run for float32 (float64 always uses the portable ones).
enum class FusedKernelIsa {
  kAuto,      // AVX2/FMA when the CPU has them, else portable
  kPortable,  // plain C++ loops
  kAvx2,      // AVX2/FMA micro-kernels; selecting it on a CPU without them throws
};

// Process-wide selection, for tests and benchmarks; kAuto by default.
void SetFusedKernelIsa(FusedKernelIsa isa);
// What float32 problems run with now: kPortable or kAvx2, never kAuto.
FusedKernelIsa ActiveFusedKernelIsa();
const char* FusedKernelIsaName(FusedKernelIsa isa);

// The mask of masks.h without key padding (that is per problem: HeadProblem::key_limit).
struct MaskRule {
  bool causal = false;
  int64_t left = MaskSpec::kUnbounded;   // keys allowed from p - left ...
  int64_t right = MaskSpec::kUnbounded;  // ... to p + right (causal caps it at p)
  std::vector<int64_t> global;           // sorted, unique

  static MaskRule From(const MaskSpec& spec);
};

// One (sequence, head): rows are `*_stride` elements apart, elements of a row contiguous.
template <typename T>
struct HeadProblem {
  const T* q;
  int64_t q_stride;
  const T* k;
  int64_t k_stride;
  const T* v;
  int64_t v_stride;
  T* out;  // written by the forward, read by the backward
  int64_t out_stride;
  T* lse;  // [len_q] contiguous, natural log; -inf for rows that see no key
  int64_t len_q;
  int64_t len_k;      // query i sits at position i + len_k - len_q (bottom-right alignment)
  int64_t key_limit;  // keys j >= key_limit are padding, 0 <= key_limit <= len_k
};

template <typename T>
struct AttentionProblem {
  std::vector<HeadProblem<T>> heads;
  int64_t dim_qk = 0;
  int64_t dim_v = 0;
  double scale = 1.0;
  MaskRule mask;
};

// Gradients of one head: grad_out is read; every row of grad_q, grad_k and grad_v is
// overwritten.
template <typename T>
struct HeadGradients {
  const T* grad_out;
  int64_t grad_out_stride;
  T* grad_q;
  int64_t grad_q_stride;
  T* grad_k;
  int64_t grad_k_stride;
  T* grad_v;
  int64_t grad_v_stride;
};

// Runs on LibTorch's intra-op thread pool (at::parallel_for).
template <typename T>
void FusedForward(const AttentionProblem<T>& problem);

// `grads` pairs with problem.heads; out and lse must hold the forward's results.
template <typename T>
void FusedBackward(const AttentionProblem<T>& problem, const std::vector<HeadGradients<T>>& grads);

}  // namespace sf::attention::internal

#endif  // SCRATCHFORMER_ATTENTION_INTERNAL_FUSED_ATTENTION_KERNEL_H_
