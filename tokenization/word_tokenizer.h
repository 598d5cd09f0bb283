// Word-level tokenizer: normalise, split into words/numbers/punctuation, look each piece up;
// pieces outside the vocabulary become <unk>. The classic choice for IMDB-style
// classification with an embedding bag or a small Transformer.
//
//   WordTokenizerOptions options;                 // lower-case, HTML stripped, "words" split
//   absl::StatusOr<std::unique_ptr<WordTokenizer>> tok = WordTokenizer::Train(
//       reviews, options, VocabularyOptions().MinFreq(5).MaxSize(30000), /*threads=*/0);
//   absl::StatusOr<std::vector<TokenId>> ids = (*tok)->Encode("Loved it!<br />10/10");
//   // pieces: "loved" "it" "!" "10" "/" "10"
//
// Decoding joins the tokens with single spaces: the original spacing, case and markup are not
// recoverable from word ids. Pieces equal to a special's text ("<unk>" in WikiText with the
// "whitespace" split) encode to that special.
#ifndef SCRATCHFORMER_TOKENIZATION_WORD_TOKENIZER_H_
#define SCRATCHFORMER_TOKENIZATION_WORD_TOKENIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tokenization/normalizer.h"
#include "tokenization/pre_tokenizer.h"
#include "tokenization/tokenizer.h"
#include "tokenization/vocabulary.h"

namespace sf::tokenization {

struct WordTokenizerOptions {
  NormalizerOptions normalizer =
      NormalizerOptions().Lowercase(true).StripHtml(true).FoldWhitespace(true);
  PreTokenizerKind pre_tokenizer = PreTokenizerKind::kWords;

  WordTokenizerOptions& WithNormalizer(const NormalizerOptions& v) {
    normalizer = v;
    return *this;
  }
  WordTokenizerOptions& WithPreTokenizer(PreTokenizerKind v) {
    pre_tokenizer = v;
    return *this;
  }
  bool operator==(const WordTokenizerOptions& o) const {
    return normalizer == o.normalizer && pre_tokenizer == o.pre_tokenizer;
  }
};

class WordTokenizer : public Tokenizer {
 public:
  // InvalidArgument when `vocab` has no <unk> (unknown words need somewhere to go) or the
  // pre-tokenizer is kGpt2 (whose pieces carry spaces meant for byte-level BPE).
  static absl::StatusOr<std::unique_ptr<WordTokenizer>> Create(
      Vocabulary vocab, const WordTokenizerOptions& options = WordTokenizerOptions());

  // Counts the pieces of `texts` on `threads` threads (0: all cores) and builds the
  // vocabulary with `vocab_options` (which must keep kUnk among its specials).
  static absl::StatusOr<std::unique_ptr<WordTokenizer>> Train(
      absl::Span<const std::string> texts, const WordTokenizerOptions& options,
      const VocabularyOptions& vocab_options, int threads = 1);

  std::string type() const override { return "word"; }
  const Vocabulary& vocabulary() const override { return vocab_; }
  const WordTokenizerOptions& options() const { return options_; }

  // The pieces `text` is looked up as (after normalisation and splitting).
  absl::StatusOr<std::vector<std::string>> Pieces(absl::string_view text) const;

 protected:
  absl::Status EncodeTo(absl::string_view text, std::vector<TokenId>* ids) const override;
  std::string DecodeChecked(absl::Span<const TokenId> ids) const override;

 private:
  WordTokenizer(Vocabulary vocab, const WordTokenizerOptions& options);

  Vocabulary vocab_;
  WordTokenizerOptions options_;
  Normalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  TokenId unk_id_;
};

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_WORD_TOKENIZER_H_
