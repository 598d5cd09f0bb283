// Splits normalised text into the pieces a tokenizer works on, by re2 regular expressions.
//
// Three schemes:
//  - kWords: words, numbers and single punctuation marks; whitespace is dropped.
//      word   = \p{L}[\p{L}\p{M}]*(?:['’]\p{L}[\p{L}\p{M}]*)*    "don't", "café", "Ωμέγα"
//      number = \p{N}+(?:[.,]\p{N}+)*                            "3.14", "1,000"
//      other  = any one code point that is not whitespace, letter or number
//  - kWhitespace: maximal runs of non-whitespace, for text that is already tokenised
//      (WikiText's "<unk>" and "@-@" stay whole).
//  - kGpt2: GPT-2's pattern, which keeps every byte (whitespace included) so byte-level BPE can
//      reproduce the text exactly:
//      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//    re2 has no look-ahead, so `\s+(?!\S)` is done by hand: a whitespace run of two or more
//    code points followed by a non-space gives up its last code point to the next piece.
// "Whitespace" is Unicode's White_Space set (IsUnicodeWhitespace), as `\s` is in the Python
// `regex` module GPT-2 used, not re2's ASCII-only `\s`.
//
//   sf::tokenization::PreTokenizer pre(sf::tokenization::PreTokenizerKind::kWords);
//   pre.Split("Don't panic: 42.5%", [&](absl::string_view piece) { ... });
//   // "Don't" "panic" ":" "42.5" "%"
//
// All three scan runs of ASCII by hand with a byte-class table derived from the same re2
// classes and hand every piece touching a non-ASCII byte to re2, so results equal the pure re2
// scan (tested) at about ten times its speed. The gpt2 scheme gives GPT-2's own pieces: equal
// to Python's `regex` module on all of WikiText-2 and on random Unicode (checked offline).
// Bytes that are not valid UTF-8 (callers normally normalise first) come out as one-byte
// pieces and never stop the scan.
#ifndef SCRATCHFORMER_TOKENIZATION_PRE_TOKENIZER_H_
#define SCRATCHFORMER_TOKENIZATION_PRE_TOKENIZER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace sf::tokenization {

enum class PreTokenizerKind { kWords, kWhitespace, kGpt2 };

// "words" | "whitespace" | "gpt2" <-> kind; Parse returns InvalidArgument naming an unknown value.
std::string PreTokenizerKindName(PreTokenizerKind kind);
absl::StatusOr<PreTokenizerKind> ParsePreTokenizerKind(absl::string_view name);

class PreTokenizer {
 public:
  // `ascii_fast_path` = false runs re2 on every piece: the reference the fast path is tested
  // and benchmarked against.
  explicit PreTokenizer(PreTokenizerKind kind, bool ascii_fast_path = true);
  ~PreTokenizer();
  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;

  PreTokenizerKind kind() const { return kind_; }

  // Calls `emit` with each piece, in order. Pieces are views into `text`.
  void Split(absl::string_view text, absl::FunctionRef<void(absl::string_view)> emit) const;
  std::vector<std::string> SplitToStrings(absl::string_view text) const;

 private:
  enum ByteClass : uint8_t { kSpace, kLetter, kDigit, kOther };

  // kWords and kWhitespace.
  void SplitWords(absl::string_view text, absl::FunctionRef<void(absl::string_view)> emit) const;
  void SplitGpt2(absl::string_view text, absl::FunctionRef<void(absl::string_view)> emit) const;
  // End of the kGpt2 piece at `pos` when ASCII alone decides it, else npos.
  size_t Gpt2AsciiPieceEnd(absl::string_view text, size_t pos) const;
  // Length of the re2 match of `re` anchored at `pos`, or 0.
  size_t MatchAt(const re2::RE2& re, absl::string_view text, size_t pos) const;
  // One kWords/kWhitespace step by re2 alone: skips whitespace or emits one piece; returns the new
  // pos.
  size_t Re2WordStep(absl::string_view text, size_t pos,
                     absl::FunctionRef<void(absl::string_view)> emit) const;

  PreTokenizerKind kind_;
  bool ascii_fast_path_;
  std::unique_ptr<re2::RE2> piece_;
  std::unique_ptr<re2::RE2> space_;
  std::array<ByteClass, 128> ascii_class_{};
};

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_PRE_TOKENIZER_H_
