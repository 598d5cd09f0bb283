// Character-level tokenizer: one token per Unicode code point (not per byte), the usual choice
// for tiny-shakespeare-style language models.
//
// With byte fallback (the default) a character outside the vocabulary is written as its UTF-8
// bytes, tokens "<0xE2>" "<0x82>" "<0xAC>" (SentencePiece's convention), so no text is ever
// lost: decode(encode(s)) == s for every valid UTF-8 string under the default (identity)
// normaliser. Without it unseen characters become <unk>.
//
//   absl::StatusOr<std::unique_ptr<CharTokenizer>> tok = CharTokenizer::Train(
//       {shakespeare}, CharTokenizerOptions(), VocabularyOptions());
//   absl::StatusOr<std::vector<TokenId>> ids = (*tok)->Encode("To be, or not — €");
#ifndef SCRATCHFORMER_TOKENIZATION_CHAR_TOKENIZER_H_
#define SCRATCHFORMER_TOKENIZATION_CHAR_TOKENIZER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tokenization/normalizer.h"
#include "tokenization/tokenizer.h"
#include "tokenization/vocabulary.h"

namespace sf::tokenization {

struct CharTokenizerOptions {
  NormalizerOptions normalizer;  // identity: every character is kept
  bool byte_fallback = true;

  CharTokenizerOptions& WithNormalizer(const NormalizerOptions& v) {
    normalizer = v;
    return *this;
  }
  CharTokenizerOptions& ByteFallback(bool v) {
    byte_fallback = v;
    return *this;
  }
  bool operator==(const CharTokenizerOptions& o) const {
    return normalizer == o.normalizer && byte_fallback == o.byte_fallback;
  }
};

// "<0x00>" ... "<0xFF>": the spelling of byte-fallback tokens.
std::string ByteFallbackToken(uint8_t byte);

class CharTokenizer : public Tokenizer {
 public:
  // Tokens of `vocab` other than specials and byte-fallback tokens must be single code points.
  // With byte_fallback every "<0xNN>" must be present; without it, <unk> must be.
  // InvalidArgument naming the offending token otherwise.
  static absl::StatusOr<std::unique_ptr<CharTokenizer>> Create(
      Vocabulary vocab, const CharTokenizerOptions& options = CharTokenizerOptions());

  // Vocabulary: specials, the 256 byte-fallback tokens (when enabled), then characters by
  // decreasing count (ties by code point), subject to vocab_options' min_freq and max_size.
  static absl::StatusOr<std::unique_ptr<CharTokenizer>> Train(
      absl::Span<const std::string> texts, const CharTokenizerOptions& options,
      const VocabularyOptions& vocab_options, int threads = 1);

  std::string type() const override { return "char"; }
  const Vocabulary& vocabulary() const override { return vocab_; }
  const CharTokenizerOptions& options() const { return options_; }

 protected:
  absl::Status EncodeTo(absl::string_view text, std::vector<TokenId>* ids) const override;
  std::string DecodeChecked(absl::Span<const TokenId> ids) const override;

 private:
  CharTokenizer(Vocabulary vocab, const CharTokenizerOptions& options);

  Vocabulary vocab_;
  CharTokenizerOptions options_;
  Normalizer normalizer_;
  std::array<TokenId, 128> ascii_ids_;               // -1: not in the vocabulary
  absl::flat_hash_map<char32_t, TokenId> char_ids_;  // code points >= 128
  std::array<TokenId, 256> byte_ids_;                // byte fallback, -1 when disabled
  std::vector<int16_t> fallback_byte_;               // per id: the byte it stands for, or -1
  std::optional<TokenId> unk_id_;
};

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_CHAR_TOKENIZER_H_
