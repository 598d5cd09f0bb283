// UTF-8 decoding, validation and repair, and the two Unicode properties the normaliser needs
// (simple lowercase mapping, White_Space), without ICU.
//
// Invalid input is described, never trusted: DecodeUtf8 reports the maximal invalid subpart at
// a position (the unit the Unicode standard and WHATWG replace by one U+FFFD), so repairing
// and rejecting agree on where the problem is.
//
//   Utf8Char c = sf::tokenization::DecodeUtf8(text, pos);
//   if (!c.valid) { ... c.length bytes starting at pos are one invalid subpart ... }
//   absl::Status s = sf::tokenization::ValidateUtf8(text);   // names the first bad byte offset
//   std::string fixed;
//   sf::tokenization::ReplaceInvalidUtf8(text, &fixed);      // "a\xFFb" -> "a\uFFFDb"
#ifndef SCRATCHFORMER_TOKENIZATION_UNICODE_H_
#define SCRATCHFORMER_TOKENIZATION_UNICODE_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sf::tokenization {

inline constexpr char32_t kReplacementCharacter = 0xFFFD;
inline constexpr char32_t kMaxCodePoint = 0x10FFFF;

// One decoding step. For a valid sequence `code_point` is its value and `length` its 1..4
// bytes. For an invalid one `length` is the maximal subpart (>= 1 byte) and `error` says why.
struct Utf8Char {
  char32_t code_point = 0;
  int length = 0;
  bool valid = false;
  const char* error = nullptr;
};

// Decodes the sequence starting at text[pos] (pos < text.size()). Rejects overlong forms,
// surrogates (U+D800..U+DFFF) and values above U+10FFFF, as RFC 3629 requires.
Utf8Char DecodeUtf8(absl::string_view text, size_t pos);

// Byte offset of the first invalid sequence, or text.size() when the text is valid UTF-8.
size_t FindInvalidUtf8(absl::string_view text);

// True when every byte of `text` is below 0x80 (so it is valid UTF-8).
bool IsAscii(absl::string_view text);

// OK, or InvalidArgument "invalid UTF-8 at byte offset N (byte 0xHH): <why>".
absl::Status ValidateUtf8(absl::string_view text);

// Appends `text` to `out` with every maximal invalid subpart replaced by U+FFFD.
void ReplaceInvalidUtf8(absl::string_view text, std::string* out);

// Appends the UTF-8 encoding of `cp`; surrogates and values above U+10FFFF become U+FFFD.
void AppendUtf8(char32_t cp, std::string* out);

// Unicode's simple (one code point to one code point) lowercase mapping, all scripts.
char32_t ToLowerSimple(char32_t cp);

// Appends `text` (valid UTF-8) lower-cased code point by code point to `out`.
void AppendLowercaseUtf8(absl::string_view text, std::string* out);

// Unicode's White_Space property (25 code points): `\s` of the Python `regex` module that
// GPT-2's tokenizer uses, and of Rust's regex. Python's str.isspace() adds U+001C..U+001F.
// The same set as the pre-tokeniser's regular-expression class.
bool IsUnicodeWhitespace(char32_t cp);

// Number of code points in valid UTF-8 `text`.
size_t CountCodePoints(absl::string_view text);

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_UNICODE_H_
