// The interface every tokenizer implements (word-level, character-level, byte-level BPE), so
// training code, batching and the save/load functions work with any of them.
//
//   std::unique_ptr<sf::tokenization::Tokenizer> tok = ...;   // Train... or LoadTokenizer
//   absl::StatusOr<std::vector<TokenId>> ids =
//       tok->Encode("A fine film.", EncodeOptions().AddCls(true));
//   absl::StatusOr<std::vector<std::vector<TokenId>>> batch =
//       tok->EncodeBatch(reviews, EncodeOptions(), /*threads=*/0);   // 0: all cores
//   absl::StatusOr<std::string> text = tok->Decode(*ids, DecodeOptions().SkipSpecialTokens(true));
//
// Special tokens are added only through EncodeOptions. Whether text that spells a special
// ("<unk>") encodes to it depends on the tokenizer: word-level looks pieces up in its
// vocabulary, so it does; character-level and BPE treat all text as text, so a document cannot
// inject control tokens.
//
// All methods are const and safe to call from several threads at once.
#ifndef SCRATCHFORMER_TOKENIZATION_TOKENIZER_H_
#define SCRATCHFORMER_TOKENIZATION_TOKENIZER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tokenization/vocabulary.h"

namespace sf::tokenization {

struct EncodeOptions {
  bool add_cls = false;  // prepend <cls> (sequence classification)
  bool add_bos = false;  // prepend <bos> (after <cls> when both are asked)
  bool add_eos = false;  // append <eos>

  EncodeOptions& AddCls(bool v) {
    add_cls = v;
    return *this;
  }
  EncodeOptions& AddBos(bool v) {
    add_bos = v;
    return *this;
  }
  EncodeOptions& AddEos(bool v) {
    add_eos = v;
    return *this;
  }
};

struct DecodeOptions {
  bool skip_special_tokens = false;

  DecodeOptions& SkipSpecialTokens(bool v) {
    skip_special_tokens = v;
    return *this;
  }
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // "word" | "char" | "bpe": the `type` field of the saved file.
  virtual std::string type() const = 0;
  virtual const Vocabulary& vocabulary() const = 0;

  int64_t vocab_size() const { return vocabulary().size(); }
  std::optional<TokenId> special_id(SpecialToken special) const {
    return vocabulary().special_id(special);
  }
  // The vocabulary's spelling of tokens (for BPE, GPT-2's byte-to-unicode form, "Ġthe").
  std::optional<TokenId> TokenToId(absl::string_view token) const {
    return vocabulary().Find(token);
  }
  // InvalidArgument naming `id` when it is outside the vocabulary.
  absl::StatusOr<std::string> IdToToken(TokenId id) const;

  // Errors: invalid UTF-8 under InvalidUtf8Policy::kReject (naming the byte offset), or a
  // special token asked for that the vocabulary lacks.
  absl::StatusOr<std::vector<TokenId>> Encode(absl::string_view text,
                                              const EncodeOptions& options = EncodeOptions()) const;
  // Encodes every text on `threads` threads (0: all cores). The first failing text's error
  // is returned, prefixed with its index.
  absl::StatusOr<std::vector<std::vector<TokenId>>> EncodeBatch(
      absl::Span<const std::string> texts, const EncodeOptions& options = EncodeOptions(),
      int threads = 1) const;

  // InvalidArgument naming the first id outside the vocabulary and its position. The result is
  // valid UTF-8: byte sequences that do not form characters (possible from arbitrary ids of a
  // byte-level model) become U+FFFD.
  absl::StatusOr<std::string> Decode(absl::Span<const TokenId> ids,
                                     const DecodeOptions& options = DecodeOptions()) const;

 protected:
  // Appends the ids of `text`, without specials.
  virtual absl::Status EncodeTo(absl::string_view text, std::vector<TokenId>* ids) const = 0;
  // Text of `ids`, all inside the vocabulary (checked by Decode; skipped specials removed).
  virtual std::string DecodeChecked(absl::Span<const TokenId> ids) const = 0;

 private:
  // The special ids `options` asks for, in front and at the back; FailedPrecondition naming a
  // role the vocabulary lacks.
  absl::Status SpecialIds(const EncodeOptions& options, std::vector<TokenId>* front,
                          std::vector<TokenId>* back) const;
};

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_TOKENIZER_H_
