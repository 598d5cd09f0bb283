// From IMDB reviews to model inputs: the word tokenizer trained on the training reviews,
// head+tail truncation, and packed batches with labels.
//
//   InputSettings input{.max_length = 512, .head_tokens = 128};
//   absl::StatusOr<std::unique_ptr<WordTokenizer>> tok =
//       TrainImdbTokenizer(train_reviews, {.max_size = 30000, .min_freq = 2}, /*threads=*/2);
//   absl::StatusOr<EncodedReviews> train = EncodeReviews(**tok, train_reviews, input, 2);
//   ImdbBatch batch = MakeBatch(*train, /*indices=*/{4, 17, 9});
//   // batch.inputs.tokens int64 [total tokens], batch.inputs.cu_seqlens [4], batch.labels [3]
//
// Truncation keeps the first `head_tokens` and the last `max_length - head_tokens` tokens of a
// long review: the verdict is often in its closing sentences.
#ifndef SCRATCHFORMER_TASKS_IMDB_IMDB_DATA_H_
#define SCRATCHFORMER_TASKS_IMDB_IMDB_DATA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "datasets/imdb.h"
#include "tokenization/batching.h"
#include "tokenization/tokenizer.h"
#include "tokenization/word_tokenizer.h"

namespace sf::tasks::imdb {

// How a text becomes the token ids the classifier sees; saved with the checkpoint.
struct InputSettings {
  int64_t max_length = 512;  // tokens kept per review, <cls> included
  int64_t head_tokens = 128;  // of which from the start (<cls> always); the rest from the end
  bool add_cls = false;       // prepend <cls> (for <cls> pooling)

  // The tokens truncation keeps from the start: head_tokens, but at least the leading <cls>,
  // which <cls> pooling reads, when add_cls (head_tokens 0 is what the trainer's default
  // max_length / 4 gives for max_length < 4).
  int64_t KeptHeadTokens() const;

  nlohmann::json ToJson() const;
  // InvalidArgument naming the field when `json` lacks one or holds a bad value.
  static absl::StatusOr<InputSettings> FromJson(const nlohmann::json& json);
};

struct VocabularySettings {
  int64_t max_size = 30000;  // specials included
  int64_t min_freq = 2;
};

// Lower-cased, HTML stripped (`<br />`), words and punctuation split.
absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> TrainImdbTokenizer(
    absl::Span<const datasets::ImdbReview> reviews, const VocabularySettings& vocab,
    int threads);

// The first head_tokens and the last max_length - head_tokens ids when `ids` is longer than
// max_length; `ids` unchanged otherwise.
std::vector<tokenization::TokenId> TruncateHeadTail(std::vector<tokenization::TokenId> ids,
                                                    int64_t max_length, int64_t head_tokens);

struct EncodedReviews {
  std::vector<std::vector<tokenization::TokenId>> ids;
  std::vector<int64_t> labels;
  int64_t truncated = 0;  // reviews longer than max_length
  int64_t tokens_before_truncation = 0;

  int64_t size() const { return static_cast<int64_t>(ids.size()); }
  std::vector<int64_t> Lengths() const;
};

// Encodes every review on `threads` threads. InvalidArgument for bad settings or when a
// review has no token at all (naming its id).
absl::StatusOr<EncodedReviews> EncodeReviews(const tokenization::Tokenizer& tokenizer,
                                             absl::Span<const datasets::ImdbReview> reviews,
                                             const InputSettings& input, int threads);

// One text as the classifier sees it. InvalidArgument when it has no token.
absl::StatusOr<std::vector<tokenization::TokenId>> EncodeText(
    const tokenization::Tokenizer& tokenizer, absl::string_view text, const InputSettings& input);

struct ImdbBatch {
  tokenization::PackedBatch inputs;
  at::Tensor labels;  // int64 [batch]
  int64_t size() const { return labels.size(0); }
};

// The reviews at `indices`, packed (no padding).
ImdbBatch MakeBatch(const EncodedReviews& reviews, absl::Span<const int64_t> indices);

}  // namespace sf::tasks::imdb

#endif  // SCRATCHFORMER_TASKS_IMDB_IMDB_DATA_H_
