#include "tokenization/word_tokenizer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "tokenization/corpus_counter.h"

namespace sf::tokenization {

WordTokenizer::WordTokenizer(Vocabulary vocab, const WordTokenizerOptions& options)
    : vocab_(std::move(vocab)),
      options_(options),
      normalizer_(options.normalizer),
      pre_tokenizer_(options.pre_tokenizer),
      unk_id_(*vocab_.special_id(SpecialToken::kUnk)) {}

absl::StatusOr<std::unique_ptr<WordTokenizer>> WordTokenizer::Create(
    Vocabulary vocab, const WordTokenizerOptions& options) {
  if (!vocab.special_id(SpecialToken::kUnk)) {
    return absl::InvalidArgumentError(
        "a word-level vocabulary needs an unk special token for words it does not contain");
  }
  if (options.pre_tokenizer == PreTokenizerKind::kGpt2) {
    return absl::InvalidArgumentError(
        "the gpt2 pre-tokenizer keeps spaces inside pieces and is meant for byte-level BPE; a "
        "word-level tokenizer takes 'words' or 'whitespace'");
  }
  return std::unique_ptr<WordTokenizer>(new WordTokenizer(std::move(vocab), options));
}

absl::StatusOr<std::unique_ptr<WordTokenizer>> WordTokenizer::Train(
    absl::Span<const std::string> texts, const WordTokenizerOptions& options,
    const VocabularyOptions& vocab_options, int threads) {
  const Normalizer normalizer(options.normalizer);
  const PreTokenizer pre_tokenizer(options.pre_tokenizer);
  absl::StatusOr<TokenCounter> counted = CountPieces(texts, normalizer, pre_tokenizer, threads);
  if (!counted.ok()) return counted.status();
  const TokenCounter& total = *counted;
  absl::StatusOr<Vocabulary> vocab = Vocabulary::Build(total, vocab_options);
  if (!vocab.ok()) return vocab.status();
  return Create(*std::move(vocab), options);
}

absl::StatusOr<std::vector<std::string>> WordTokenizer::Pieces(absl::string_view text) const {
  std::string scratch;
  absl::StatusOr<absl::string_view> normalized = normalizer_.Normalize(text, &scratch);
  if (!normalized.ok()) return normalized.status();
  return pre_tokenizer_.SplitToStrings(*normalized);
}

absl::Status WordTokenizer::EncodeTo(absl::string_view text, std::vector<TokenId>* ids) const {
  const auto look_up = [&](absl::string_view piece) {
    std::optional<TokenId> id = vocab_.Find(piece);
    ids->push_back(id ? *id : unk_id_);
  };
  if (normalizer_.ChangesOnlyAsciiCaseAndSpace(text)) {
    // Both word splits drop whitespace, and ASCII case mapping keeps letters letters, so the
    // pieces of the normalised text are the pieces of `text` with their bytes mapped: most
    // text skips the normalisation pass and its copy.
    std::string long_piece;
    pre_tokenizer_.Split(text, [&](absl::string_view piece) {
      char buffer[64];
      char* out = buffer;
      if (piece.size() > sizeof(buffer)) {
        long_piece.resize(piece.size());
        out = long_piece.data();
      }
      for (size_t i = 0; i < piece.size(); ++i) out[i] = normalizer_.NormalizeAscii(piece[i]);
      look_up(absl::string_view(out, piece.size()));
    });
    return absl::OkStatus();
  }
  std::string scratch;
  absl::StatusOr<absl::string_view> normalized = normalizer_.Normalize(text, &scratch);
  if (!normalized.ok()) return normalized.status();
  pre_tokenizer_.Split(*normalized, look_up);
  return absl::OkStatus();
}

std::string WordTokenizer::DecodeChecked(absl::Span<const TokenId> ids) const {
  std::string text;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) text.push_back(' ');
    text += vocab_.Token(ids[i]);
  }
  return text;
}

}  // namespace sf::tokenization
