// Attention masks: reusable builders of dense boolean masks, and `MaskSpec`, a compact
// description that the fused kernel consumes without materialising an L x L buffer.
//
// Convention everywhere in the project: a boolean mask is `true` where attention is ALLOWED.
// Dense masks broadcast against scores of shape [batch, heads, len_q, len_k].
//
// Query/key alignment: when len_q < len_k (incremental decoding with a key/value cache), query
// row i sits at absolute position i + (len_k - len_q), the "bottom-right" alignment of
// FlashAttention, so the last query always sees the last key under a causal mask.
//
//   MaskSpec spec = MaskSpec::Causal().WithSlidingWindow(/*left=*/128, /*right=*/0)
//                       .WithKeyLengths(lengths);          // int64 [batch]
//   at::Tensor dense = spec.Materialize(len_q, len_k);      // bool [batch|1, 1, len_q, len_k]
//   bool ok = spec.Allows(b, i, j, len_q, len_k);            // the same rule, one entry
//
// Combination rule (one definition, used by the dense builder, the reference attention and
// the fused kernel alike):
//   allowed(b, i, j) = key_valid(b, j) && (global(i) || global(j) || local(i, j))
//   local(i, j)      = (!causal || j <= p(i)) && j >= p(i) - left && j <= p(i) + right
//   p(i) = i + (len_k - len_q), key_valid(b, j) = j < key_lengths[b] (all keys when unset),
//   global(x) = x is in global_tokens (positions in the key/query index space; for queries
//   the absolute position p(i) is what is tested).
// A row with no allowed key yields a zero output row (never NaN) in every backend.
#ifndef SCRATCHFORMER_ATTENTION_MASKS_H_
#define SCRATCHFORMER_ATTENTION_MASKS_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include <ATen/core/Tensor.h>

namespace sf::attention {

class MaskSpec {
 public:
  // No restriction: every query sees every key.
  MaskSpec() = default;
  static MaskSpec Causal();

  // A window width that does not restrict its side.
  static constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();

  // Query at position p sees keys in [p - left, p + right] (Longformer; Mistral's window is
  // (left = W - 1, right = 0) together with Causal()). Widths must be >= 0 (or kUnbounded);
  // a negative width throws c10::Error naming the value.
  MaskSpec WithSlidingWindow(int64_t left, int64_t right) const;
  // Per-sequence valid key lengths, int64 CPU tensor [batch]; keys at j >= length are padding.
  MaskSpec WithKeyLengths(const at::Tensor& key_lengths) const;
  // Positions that attend to, and are attended by, every position (Longformer global tokens).
  MaskSpec WithGlobalTokens(std::vector<int64_t> positions) const;

  bool causal() const { return causal_; }
  int64_t window_left() const { return window_left_; }
  int64_t window_right() const { return window_right_; }
  bool has_window() const { return window_left_ != kUnbounded || window_right_ != kUnbounded; }
  const std::optional<at::Tensor>& key_lengths() const { return key_lengths_; }
  const std::vector<int64_t>& global_tokens() const { return global_tokens_; }  // sorted, unique
  bool is_global(int64_t position) const;
  // True when the spec allows everything (no causal, window, padding or global restriction).
  bool is_unrestricted() const;

  // The rule above for one (batch, query, key) entry. `key_length` is key_lengths[b] or len_k.
  bool Allows(int64_t key_length, int64_t i, int64_t j, int64_t len_q, int64_t len_k) const;

  // Dense boolean mask [B, 1, len_q, len_k] (B = key_lengths' size, or 1 without padding).
  at::Tensor Materialize(int64_t len_q, int64_t len_k) const;

 private:
  bool causal_ = false;
  int64_t window_left_ = kUnbounded;
  int64_t window_right_ = kUnbounded;
  std::optional<at::Tensor> key_lengths_;
  std::vector<int64_t> global_tokens_;
};

// Dense builders (bool, true = allowed). Shapes are given with each.
at::Tensor CausalMask(int64_t len_q, int64_t len_k);                       // [len_q, len_k]
at::Tensor SlidingWindowMask(int64_t len, int64_t left, int64_t right);    // [len, len]
at::Tensor KeyPaddingMask(const at::Tensor& lengths, int64_t len_k);       // [B, len_k]
// True where the query or the key is a global token, false elsewhere: OR it with a local mask
// (causal, window) to add global attention to it.
at::Tensor GlobalTokenMask(int64_t len, const std::vector<int64_t>& positions);  // [len, len]

}  // namespace sf::attention

#endif  // SCRATCHFORMER_ATTENTION_MASKS_H_
