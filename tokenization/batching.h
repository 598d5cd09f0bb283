// Turning token-id sequences into tensors: padded batches with an attention mask, and the
// packed (varlen) form the fused attention kernel takes. The only tokenization target that
// depends on LibTorch.
//
//   PaddedBatch b = PadBatch(ids, PadOptions().PadId(*tok->special_id(SpecialToken::kPad))
//                                     .MaxLength(512));
//   // b.ids int64 [B, L], b.mask bool [B, L] (true = real token), b.lengths int64 [B]
//   // key padding for attention: MaskSpec().WithKeyLengths(b.lengths)
//   PackedBatch p = PackBatch(ids, /*max_length=*/512);
//   // p.tokens int64 [sum of lengths], p.cu_seqlens int64 [B + 1] = 0, l0, l0 + l1, ...
//
// Mask convention of the project (attention/masks.h): true where attention is allowed, i.e.
// where the token is real.
#ifndef SCRATCHFORMER_TOKENIZATION_BATCHING_H_
#define SCRATCHFORMER_TOKENIZATION_BATCHING_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "tokenization/vocabulary.h"

namespace sf::tokenization {

enum class Padding {
  kLongest,  // pad to the longest sequence of the batch (after truncation)
  kFixed,    // pad every batch to max_length
};

enum class TruncationSide {
  kRight,  // keep the first max_length tokens
  kLeft,   // keep the last max_length tokens (decoder prompts)
};

struct PadOptions {
  int64_t pad_id = 0;
  int64_t max_length = 0;  // longer sequences are truncated; 0 = no limit (not with kFixed)
  Padding padding = Padding::kLongest;
  TruncationSide truncation = TruncationSide::kRight;
  // Rounds the padded length up to a multiple (kLongest), e.g. 8, but not past max_length.
  int64_t pad_to_multiple_of = 1;

  PadOptions& PadId(int64_t v) {
    pad_id = v;
    return *this;
  }
  PadOptions& MaxLength(int64_t v) {
    max_length = v;
    return *this;
  }
  PadOptions& WithPadding(Padding v) {
    padding = v;
    return *this;
  }
  PadOptions& Truncation(TruncationSide v) {
    truncation = v;
    return *this;
  }
  PadOptions& PadToMultipleOf(int64_t v) {
    pad_to_multiple_of = v;
    return *this;
  }
};

struct PaddedBatch {
  at::Tensor ids;         // int64 [B, L], pad_id after each sequence
  at::Tensor mask;        // bool [B, L], true = real token
  at::Tensor lengths;     // int64 [B], real lengths after truncation
  int64_t truncated = 0;  // how many sequences lost tokens
};

// Throws c10::Error naming the value for bad options (max_length < 0, kFixed without
// max_length, pad_to_multiple_of < 1). An empty batch gives [0, L] tensors.
PaddedBatch PadBatch(absl::Span<const std::vector<TokenId>> sequences,
                     const PadOptions& options = PadOptions());

struct PackedBatch {
  at::Tensor tokens;        // int64 [total], the sequences one after another
  at::Tensor cu_seqlens;    // int64 [B + 1], sequence b is tokens[cu_seqlens[b]:cu_seqlens[b+1]]
  at::Tensor position_ids;  // int64 [total], 0-based position inside its own sequence
  int64_t max_seqlen = 0;
  int64_t truncated = 0;
};

// Packs without padding; max_length (> 0) truncates as TruncationSide says.
PackedBatch PackBatch(absl::Span<const std::vector<TokenId>> sequences, int64_t max_length = 0,
                      TruncationSide truncation = TruncationSide::kRight);

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_BATCHING_H_
