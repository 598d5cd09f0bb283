#include "tokenization/batching.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/full.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <utility>

namespace sf::tokenization {
namespace {

// The [begin, begin + length) window of a sequence of `size` tokens kept under `max_length`.
std::pair<int64_t, int64_t> Window(int64_t size, int64_t max_length, TruncationSide side) {
  if (max_length <= 0 || size <= max_length) return {0, size};
  return {side == TruncationSide::kRight ? 0 : size - max_length, max_length};
}

}  // namespace

PaddedBatch PadBatch(absl::Span<const std::vector<TokenId>> sequences, const PadOptions& options) {
  TORCH_CHECK(options.max_length >= 0, "PadBatch: max_length must be >= 0, got ",
              options.max_length);
  TORCH_CHECK(options.padding != Padding::kFixed || options.max_length > 0,
              "PadBatch: fixed padding needs max_length > 0");
  TORCH_CHECK(options.pad_to_multiple_of >= 1, "PadBatch: pad_to_multiple_of must be >= 1, got ",
              options.pad_to_multiple_of);
  const int64_t batch = static_cast<int64_t>(sequences.size());
  PaddedBatch out;
  out.lengths = at::empty({batch}, at::kLong);
  int64_t* lengths = out.lengths.data_ptr<int64_t>();
  int64_t longest = 0;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t size = static_cast<int64_t>(sequences[b].size());
    lengths[b] = Window(size, options.max_length, options.truncation).second;
    out.truncated += lengths[b] < size;
    longest = std::max(longest, lengths[b]);
  }
  int64_t width = options.max_length;
  if (options.padding == Padding::kLongest) {
    const int64_t m = options.pad_to_multiple_of;
    width = (longest + m - 1) / m * m;
    // Rounding up must not give a batch wider than the sequences may be.
    if (options.max_length > 0) width = std::min(width, options.max_length);
  }
  out.ids = at::full({batch, width}, options.pad_id, at::kLong);
  out.mask = at::zeros({batch, width}, at::kBool);
  int64_t* ids = out.ids.data_ptr<int64_t>();
  bool* mask = out.mask.data_ptr<bool>();
  for (int64_t b = 0; b < batch; ++b) {
    const auto [begin, length] =
        Window(static_cast<int64_t>(sequences[b].size()), options.max_length, options.truncation);
    std::copy_n(sequences[b].begin() + begin, length, ids + b * width);
    std::fill_n(mask + b * width, length, true);
  }
  return out;
}

PackedBatch PackBatch(absl::Span<const std::vector<TokenId>> sequences, int64_t max_length,
                      TruncationSide truncation) {
  TORCH_CHECK(max_length >= 0, "PackBatch: max_length must be >= 0, got ", max_length);
  const int64_t batch = static_cast<int64_t>(sequences.size());
  PackedBatch out;
  out.cu_seqlens = at::empty({batch + 1}, at::kLong);
  int64_t* cu = out.cu_seqlens.data_ptr<int64_t>();
  cu[0] = 0;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t size = static_cast<int64_t>(sequences[b].size());
    const int64_t length = Window(size, max_length, truncation).second;
    out.truncated += length < size;
    out.max_seqlen = std::max(out.max_seqlen, length);
    cu[b + 1] = cu[b] + length;
  }
  out.tokens = at::empty({cu[batch]}, at::kLong);
  out.position_ids = at::empty({cu[batch]}, at::kLong);
  int64_t* tokens = out.tokens.data_ptr<int64_t>();
  int64_t* positions = out.position_ids.data_ptr<int64_t>();
  for (int64_t b = 0; b < batch; ++b) {
    const auto [begin, length] =
        Window(static_cast<int64_t>(sequences[b].size()), max_length, truncation);
    std::copy_n(sequences[b].begin() + begin, length, tokens + cu[b]);
    for (int64_t i = 0; i < length; ++i) positions[cu[b] + i] = i;
  }
  return out;
}

}  // namespace sf::tokenization
