#include "tokenization/tokenizer.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tokenization/parallel.h"
#include "tokenization/unicode.h"

namespace sf::tokenization {

absl::StatusOr<std::string> Tokenizer::IdToToken(TokenId id) const {
  if (!vocabulary().Contains(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("token id ", id, " is outside the vocabulary of ", vocab_size(), " tokens"));
  }
  return vocabulary().Token(id);
}

absl::Status Tokenizer::SpecialIds(const EncodeOptions& options, std::vector<TokenId>* front,
                                   std::vector<TokenId>* back) const {
  const std::pair<bool, SpecialToken> wanted[] = {{options.add_cls, SpecialToken::kCls},
                                                  {options.add_bos, SpecialToken::kBos},
                                                  {options.add_eos, SpecialToken::kEos}};
  for (const auto& [asked, special] : wanted) {
    if (!asked) continue;
    std::optional<TokenId> id = special_id(special);
    if (!id) {
      return absl::FailedPreconditionError(
          absl::StrCat("add_", SpecialTokenName(special), " was asked but this ", type(),
                       " tokenizer has no ", SpecialTokenName(special), " token"));
    }
    (special == SpecialToken::kEos ? back : front)->push_back(*id);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TokenId>> Tokenizer::Encode(absl::string_view text,
                                                       const EncodeOptions& options) const {
  std::vector<TokenId> front, back;
  if (absl::Status s = SpecialIds(options, &front, &back); !s.ok()) return s;
  std::vector<TokenId> ids = std::move(front);
  ids.reserve(ids.size() + text.size() / 4 + back.size());
  if (absl::Status s = EncodeTo(text, &ids); !s.ok()) return s;
  ids.insert(ids.end(), back.begin(), back.end());
  return ids;
}

absl::StatusOr<std::vector<std::vector<TokenId>>> Tokenizer::EncodeBatch(
    absl::Span<const std::string> texts, const EncodeOptions& options, int threads) const {
  std::vector<TokenId> front, back;
  if (absl::Status s = SpecialIds(options, &front, &back); !s.ok()) return s;
  std::vector<std::vector<TokenId>> out(texts.size());
  absl::Mutex mu;
  size_t first_error = texts.size();
  absl::Status error;
  const auto encode_range = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      std::vector<TokenId>& ids = out[i];
      // About 4 bytes per token in English; growing past it costs a copy, not a failure.
      ids.reserve(front.size() + texts[i].size() / 4 + back.size());
      ids = front;
      absl::Status s = EncodeTo(texts[i], &ids);
      if (!s.ok()) {
        absl::MutexLock lock(&mu);
        if (static_cast<size_t>(i) < first_error) {
          first_error = i;
          error = s;
        }
        return;
      }
      ids.insert(ids.end(), back.begin(), back.end());
    }
  };
  // Chunks cost nothing here, so many: texts differ widely in length (headings, paragraphs),
  // and while the last chunk runs the other threads wait.
  constexpr int kChunksPerThread = 64;
  ParallelFor(static_cast<int64_t>(texts.size()), threads, encode_range, kChunksPerThread);
  if (first_error < texts.size()) {
    return absl::Status(error.code(), absl::StrCat("text ", first_error, ": ", error.message()));
  }
  return out;
}

absl::StatusOr<std::string> Tokenizer::Decode(absl::Span<const TokenId> ids,
                                              const DecodeOptions& options) const {
  const Vocabulary& vocab = vocabulary();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!vocab.Contains(ids[i])) {
      return absl::InvalidArgumentError(absl::StrCat("token id ", ids[i], " at position ", i,
                                                     " is outside the vocabulary of ", vocab.size(),
                                                     " tokens"));
    }
  }
  std::string text;
  if (!options.skip_special_tokens) {
    text = DecodeChecked(ids);
  } else {
    std::vector<TokenId> kept;
    kept.reserve(ids.size());
    std::copy_if(ids.begin(), ids.end(), std::back_inserter(kept),
                 [&](TokenId id) { return !vocab.IsSpecial(id); });
    text = DecodeChecked(kept);
  }
  if (FindInvalidUtf8(text) == text.size()) return text;
  std::string repaired;
  ReplaceInvalidUtf8(text, &repaired);
  return repaired;
}

}  // namespace sf::tokenization
