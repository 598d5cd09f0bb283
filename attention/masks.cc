#include "attention/masks.h"

#include <algorithm>
#include <utility>

#include <ATen/ops/arange.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>

namespace sf::attention {
namespace {

void CheckWidth(const char* side, int64_t width) {
  TORCH_CHECK(width >= 0, "MaskSpec::WithSlidingWindow: the ", side,
              " width must be >= 0 (or MaskSpec::kUnbounded), got ", width);
}

void CheckLengths(const char* where, const at::Tensor& lengths) {
  TORCH_CHECK(lengths.defined(), where, ": key lengths are undefined");
  TORCH_CHECK(lengths.dim() == 1, where, ": key lengths must be 1-D [batch], got shape ",
              lengths.sizes());
  TORCH_CHECK(lengths.scalar_type() == at::kLong || lengths.scalar_type() == at::kInt,
              where, ": key lengths must be int64 (or int32), got ", lengths.scalar_type());
  TORCH_CHECK(lengths.device().is_cpu(), where, ": key lengths must be on the CPU, got ",
              lengths.device());
  if (lengths.numel() > 0) {
    const int64_t min_length = lengths.min().item<int64_t>();
    TORCH_CHECK(min_length >= 0, where, ": key lengths must be >= 0, got ", min_length);
  }
}

// The window and causal part of the rule, [len_q, len_k]; global tokens are OR-ed in after.
// Distances are compared rather than p - left, so kUnbounded never overflows.
at::Tensor LocalMask(bool causal, int64_t left, int64_t right, int64_t len_q, int64_t len_k) {
  const at::Tensor p = at::arange(len_q, at::kLong).add_(len_k - len_q).unsqueeze(1);
  const at::Tensor j = at::arange(len_k, at::kLong).unsqueeze(0);
  at::Tensor allowed = at::ones({len_q, len_k}, at::kBool);
  if (causal) allowed.logical_and_(j.le(p));
  if (left != MaskSpec::kUnbounded) allowed.logical_and_(p.sub(j).le(left));
  if (right != MaskSpec::kUnbounded) allowed.logical_and_(j.sub(p).le(right));
  return allowed;
}

// [len_q, len_k]: true where the query's absolute position or the key is a global token.
at::Tensor GlobalMask(const std::vector<int64_t>& positions, int64_t len_q, int64_t len_k) {
  at::Tensor query_global = at::zeros({len_q}, at::kBool);
  at::Tensor key_global = at::zeros({len_k}, at::kBool);
  bool* query_data = query_global.data_ptr<bool>();
  bool* key_data = key_global.data_ptr<bool>();
  const int64_t shift = len_k - len_q;
  for (int64_t g : positions) {
    if (g < len_k) key_data[g] = true;
    const int64_t i = g - shift;
    if (i >= 0 && i < len_q) query_data[i] = true;
  }
  return query_global.unsqueeze(1).logical_or(key_global.unsqueeze(0));
}

void CheckLengthsArgs(const char* where, int64_t len_q, int64_t len_k) {
  TORCH_CHECK(len_q >= 0 && len_k >= 0, where, ": lengths must be >= 0, got len_q=", len_q,
              ", len_k=", len_k);
}

}  // namespace

MaskSpec MaskSpec::Causal() {
  MaskSpec spec;
  spec.causal_ = true;
  return spec;
}

MaskSpec MaskSpec::WithSlidingWindow(int64_t left, int64_t right) const {
  CheckWidth("left", left);
  CheckWidth("right", right);
  MaskSpec spec = *this;
  spec.window_left_ = left;
  spec.window_right_ = right;
  return spec;
}

MaskSpec MaskSpec::WithKeyLengths(const at::Tensor& key_lengths) const {
  CheckLengths("MaskSpec::WithKeyLengths", key_lengths);
  MaskSpec spec = *this;
  spec.key_lengths_ = key_lengths.to(at::kLong).contiguous();
  return spec;
}

MaskSpec MaskSpec::WithGlobalTokens(std::vector<int64_t> positions) const {
  for (int64_t position : positions) {
    TORCH_CHECK(position >= 0, "MaskSpec::WithGlobalTokens: positions must be >= 0, got ",
                position);
  }
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  MaskSpec spec = *this;
  spec.global_tokens_ = std::move(positions);
  return spec;
}

bool MaskSpec::is_global(int64_t position) const {
  return std::binary_search(global_tokens_.begin(), global_tokens_.end(), position);
}

bool MaskSpec::is_unrestricted() const {
  // Global tokens only widen what the local part allows, and without causal or window limits
  // that is already everything.
  return !causal_ && !has_window() && !key_lengths_.has_value();
}

bool MaskSpec::Allows(int64_t key_length, int64_t i, int64_t j, int64_t len_q,
                      int64_t len_k) const {
  if (j >= key_length) return false;
  const int64_t p = i + (len_k - len_q);
  if (is_global(p) || is_global(j)) return true;
  if (causal_ && j > p) return false;
  if (window_left_ != kUnbounded && p - j > window_left_) return false;
  if (window_right_ != kUnbounded && j - p > window_right_) return false;
  return true;
}

at::Tensor MaskSpec::Materialize(int64_t len_q, int64_t len_k) const {
  CheckLengthsArgs("MaskSpec::Materialize", len_q, len_k);
  at::Tensor allowed = LocalMask(causal_, window_left_, window_right_, len_q, len_k);
  if (!global_tokens_.empty()) {
    allowed.logical_or_(GlobalMask(global_tokens_, len_q, len_k));
  }
  allowed = allowed.view({1, 1, len_q, len_k});
  if (key_lengths_.has_value()) {
    allowed = allowed.logical_and(KeyPaddingMask(*key_lengths_, len_k).unsqueeze(1).unsqueeze(2));
  }
  return allowed;
}

at::Tensor CausalMask(int64_t len_q, int64_t len_k) {
  CheckLengthsArgs("CausalMask", len_q, len_k);
  return LocalMask(/*causal=*/true, MaskSpec::kUnbounded, MaskSpec::kUnbounded, len_q, len_k);
}

at::Tensor SlidingWindowMask(int64_t len, int64_t left, int64_t right) {
  CheckLengthsArgs("SlidingWindowMask", len, len);
  CheckWidth("left", left);
  CheckWidth("right", right);
  return LocalMask(/*causal=*/false, left, right, len, len);
}

at::Tensor KeyPaddingMask(const at::Tensor& lengths, int64_t len_k) {
  CheckLengths("KeyPaddingMask", lengths);
  CheckLengthsArgs("KeyPaddingMask", 0, len_k);
  if (lengths.numel() > 0) {
    const int64_t max_length = lengths.max().item<int64_t>();
    TORCH_CHECK(max_length <= len_k, "KeyPaddingMask: a key length (", max_length,
                ") exceeds the number of keys len_k=", len_k);
  }
  const at::Tensor j = at::arange(len_k, at::kLong).unsqueeze(0);
  return j.lt(lengths.to(at::kLong).unsqueeze(1));
}

at::Tensor GlobalTokenMask(int64_t len, const std::vector<int64_t>& positions) {
  CheckLengthsArgs("GlobalTokenMask", len, len);
  for (int64_t position : positions) {
    TORCH_CHECK(position >= 0, "GlobalTokenMask: positions must be >= 0, got ", position);
  }
  return GlobalMask(positions, len, len);
}

}  // namespace sf::attention
