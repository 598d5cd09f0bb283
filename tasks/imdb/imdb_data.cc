#include "tasks/imdb/imdb_data.h"

#include <algorithm>
#include <utility>

#include <ATen/ops/empty.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tokenization/vocabulary.h"

namespace sf::tasks::imdb {
namespace {

using tokenization::TokenId;

std::vector<std::string> Texts(absl::Span<const datasets::ImdbReview> reviews) {
  std::vector<std::string> texts;
  texts.reserve(reviews.size());
  for (const datasets::ImdbReview& review : reviews) texts.push_back(review.text);
  return texts;
}

absl::Status CheckInput(const InputSettings& input) {
  if (input.max_length < 1 || input.head_tokens < 0 || input.head_tokens > input.max_length) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input settings: need max_length >= 1 and 0 <= head_tokens <= max_length, got "
        "max_length=",
        input.max_length, ", head_tokens=", input.head_tokens));
  }
  return absl::OkStatus();
}

tokenization::EncodeOptions EncodeOptionsFor(const InputSettings& input) {
  return tokenization::EncodeOptions().AddCls(input.add_cls);
}

}  // namespace

int64_t InputSettings::KeptHeadTokens() const {
  return add_cls ? std::max<int64_t>(head_tokens, 1) : head_tokens;
}

nlohmann::json InputSettings::ToJson() const {
  return {{"max_length", max_length}, {"head_tokens", head_tokens}, {"add_cls", add_cls}};
}

absl::StatusOr<InputSettings> InputSettings::FromJson(const nlohmann::json& json) {
  InputSettings input;
  if (!json.is_object()) return absl::InvalidArgumentError("input settings: not a JSON object");
  for (const char* key : {"max_length", "head_tokens"}) {
    if (!json.contains(key) || !json[key].is_number_integer()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input settings: missing integer field '", key, "'"));
    }
  }
  if (!json.contains("add_cls") || !json["add_cls"].is_boolean()) {
    return absl::InvalidArgumentError("input settings: missing boolean field 'add_cls'");
  }
  input.max_length = json["max_length"].get<int64_t>();
  input.head_tokens = json["head_tokens"].get<int64_t>();
  input.add_cls = json["add_cls"].get<bool>();
  if (absl::Status s = CheckInput(input); !s.ok()) return s;
  return input;
}

absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> TrainImdbTokenizer(
    absl::Span<const datasets::ImdbReview> reviews, const VocabularySettings& vocab,
    int threads) {
  if (reviews.empty()) {
    return absl::InvalidArgumentError("cannot build a vocabulary from no reviews");
  }
  const std::vector<std::string> texts = Texts(reviews);
  return tokenization::WordTokenizer::Train(
      texts, tokenization::WordTokenizerOptions(),
      tokenization::VocabularyOptions().MinFreq(vocab.min_freq).MaxSize(vocab.max_size),
      threads);
}

std::vector<TokenId> TruncateHeadTail(std::vector<TokenId> ids, int64_t max_length,
                                      int64_t head_tokens) {
  const int64_t size = static_cast<int64_t>(ids.size());
  if (size <= max_length) return ids;
  const int64_t tail = max_length - head_tokens;
  std::move(ids.end() - tail, ids.end(), ids.begin() + head_tokens);
  ids.resize(max_length);
  return ids;
}

std::vector<int64_t> EncodedReviews::Lengths() const {
  std::vector<int64_t> lengths(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) lengths[i] = static_cast<int64_t>(ids[i].size());
  return lengths;
}

absl::StatusOr<EncodedReviews> EncodeReviews(const tokenization::Tokenizer& tokenizer,
                                             absl::Span<const datasets::ImdbReview> reviews,
                                             const InputSettings& input, int threads) {
  if (absl::Status s = CheckInput(input); !s.ok()) return s;
  absl::StatusOr<std::vector<std::vector<TokenId>>> ids =
      tokenizer.EncodeBatch(Texts(reviews), EncodeOptionsFor(input), threads);
  if (!ids.ok()) return ids.status();
  EncodedReviews out;
  out.ids = *std::move(ids);
  out.labels.reserve(reviews.size());
  const size_t specials = input.add_cls ? 1 : 0;
  for (size_t i = 0; i < reviews.size(); ++i) {
    std::vector<TokenId>& review_ids = out.ids[i];
    if (review_ids.size() <= specials) {
      return absl::InvalidArgumentError(
          absl::StrCat("review ", reviews[i].id, " (label ", reviews[i].label,
                       ") has no token after normalisation"));
    }
    out.tokens_before_truncation += static_cast<int64_t>(review_ids.size());
    out.truncated += static_cast<int64_t>(review_ids.size()) > input.max_length;
    review_ids =
        TruncateHeadTail(std::move(review_ids), input.max_length, input.KeptHeadTokens());
    out.labels.push_back(reviews[i].label);
  }
  return out;
}

absl::StatusOr<std::vector<TokenId>> EncodeText(const tokenization::Tokenizer& tokenizer,
                                                absl::string_view text,
                                                const InputSettings& input) {
  if (absl::Status s = CheckInput(input); !s.ok()) return s;
  absl::StatusOr<std::vector<TokenId>> ids = tokenizer.Encode(text, EncodeOptionsFor(input));
  if (!ids.ok()) return ids.status();
  if (ids->size() <= (input.add_cls ? 1u : 0u)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the text \"", text, "\" has no token to classify"));
  }
  return TruncateHeadTail(*std::move(ids), input.max_length, input.KeptHeadTokens());
}

ImdbBatch MakeBatch(const EncodedReviews& reviews, absl::Span<const int64_t> indices) {
  std::vector<std::vector<TokenId>> sequences;
  sequences.reserve(indices.size());
  ImdbBatch batch;
  batch.labels = at::empty({static_cast<int64_t>(indices.size())}, at::kLong);
  int64_t* labels = batch.labels.data_ptr<int64_t>();
  for (size_t i = 0; i < indices.size(); ++i) {
    sequences.push_back(reviews.ids[indices[i]]);
    labels[i] = reviews.labels[indices[i]];
  }
  batch.inputs = tokenization::PackBatch(sequences);
  return batch;
}

}  // namespace sf::tasks::imdb
