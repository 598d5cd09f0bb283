#include "tokenization/unicode.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "absl/strings/str_format.h"

namespace sf::tokenization {
namespace {

struct CaseRun {
  char32_t first;
  char32_t last;
  int stride;
  int delta;
};

constexpr CaseRun kLowercaseRuns[] = {
#include "tokenization/unicode_case_table.inc"
};

bool IsContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

Utf8Char Invalid(int length, const char* error) {
  Utf8Char c;
  c.code_point = kReplacementCharacter;
  c.length = length;
  c.error = error;
  return c;
}

// True when the 8 bytes at p are all ASCII.
bool Ascii8(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return (word & 0x8080808080808080ULL) == 0;
}

}  // namespace

Utf8Char DecodeUtf8(absl::string_view text, size_t pos) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  const unsigned char b0 = s[pos];
  if (b0 < 0x80) {
    Utf8Char c;
    c.code_point = b0;
    c.length = 1;
    c.valid = true;
    return c;
  }
  if (b0 < 0xC0) return Invalid(1, "unexpected continuation byte");
  if (b0 < 0xC2) return Invalid(1, "overlong encoding");
  if (b0 > 0xF4) return Invalid(1, "byte never appears in UTF-8");

  const int length = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
  // The second byte's range is narrower than 80..BF after four lead bytes (Unicode Table 3-7).
  unsigned char lo = 0x80, hi = 0xBF;
  const char* narrow_error = "truncated sequence";
  if (b0 == 0xE0) {
    lo = 0xA0;
    narrow_error = "overlong encoding";
  } else if (b0 == 0xED) {
    hi = 0x9F;
    narrow_error = "surrogate code point";
  } else if (b0 == 0xF0) {
    lo = 0x90;
    narrow_error = "overlong encoding";
  } else if (b0 == 0xF4) {
    hi = 0x8F;
    narrow_error = "code point above U+10FFFF";
  }
  if (pos + 1 >= n) return Invalid(1, "truncated sequence");
  const unsigned char b1 = s[pos + 1];
  if (!IsContinuation(b1)) return Invalid(1, "truncated sequence");
  if (b1 < lo || b1 > hi) return Invalid(1, narrow_error);
  char32_t cp = b0 & (0xFF >> (length + 1));
  cp = (cp << 6) | (b1 & 0x3F);
  for (int i = 2; i < length; ++i) {
    if (pos + i >= n || !IsContinuation(s[pos + i])) return Invalid(i, "truncated sequence");
    cp = (cp << 6) | (s[pos + i] & 0x3F);
  }
  Utf8Char c;
  c.code_point = cp;
  c.length = length;
  c.valid = true;
  return c;
}

size_t FindInvalidUtf8(absl::string_view text) {
  size_t pos = 0;
  const size_t n = text.size();
  while (pos < n) {
    if (pos + 8 <= n && Ascii8(text.data() + pos)) {
      pos += 8;
      continue;
    }
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    Utf8Char c = DecodeUtf8(text, pos);
    if (!c.valid) return pos;
    pos += c.length;
  }
  return n;
}

bool IsAscii(absl::string_view text) {
  const size_t n = text.size();
  size_t pos = 0;
  for (; pos + 8 <= n; pos += 8) {
    if (!Ascii8(text.data() + pos)) return false;
  }
  for (; pos < n; ++pos) {
    if (static_cast<unsigned char>(text[pos]) >= 0x80) return false;
  }
  return true;
}

absl::Status ValidateUtf8(absl::string_view text) {
  const size_t bad = FindInvalidUtf8(text);
  if (bad == text.size()) return absl::OkStatus();
  Utf8Char c = DecodeUtf8(text, bad);
  return absl::InvalidArgumentError(
      absl::StrFormat("invalid UTF-8 at byte offset %d (byte 0x%02X): %s", bad,
                      static_cast<unsigned char>(text[bad]), c.error));
}

void ReplaceInvalidUtf8(absl::string_view text, std::string* out) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t bad = FindInvalidUtf8(text.substr(pos)) + pos;
    out->append(text.data() + pos, bad - pos);
    if (bad == text.size()) return;
    AppendUtf8(kReplacementCharacter, out);
    pos = bad + DecodeUtf8(text, bad).length;
  }
}

void AppendUtf8(char32_t cp, std::string* out) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > kMaxCodePoint) cp = kReplacementCharacter;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

char32_t ToLowerSimple(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  // The last run starting at or before cp is the only one that can contain it (runs are
  // sorted and disjoint).
  const CaseRun* end = std::end(kLowercaseRuns);
  const CaseRun* it = std::upper_bound(std::begin(kLowercaseRuns), end, cp,
                                       [](char32_t v, const CaseRun& r) { return v < r.first; });
  if (it == std::begin(kLowercaseRuns)) return cp;
  const CaseRun& run = *(it - 1);
  if (cp > run.last || (cp - run.first) % run.stride != 0) return cp;
  return static_cast<char32_t>(static_cast<int64_t>(cp) + run.delta);
}

void AppendLowercaseUtf8(absl::string_view text, std::string* out) {
  size_t pos = 0;
  const size_t n = text.size();
  while (pos < n) {
    const auto b = static_cast<unsigned char>(text[pos]);
    if (b < 0x80) {
      out->push_back(static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b));
      ++pos;
      continue;
    }
    Utf8Char c = DecodeUtf8(text, pos);
    AppendUtf8(c.valid ? ToLowerSimple(c.code_point) : kReplacementCharacter, out);
    pos += c.length;
  }
}

bool IsUnicodeWhitespace(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
  switch (cp) {
    case 0x0085:
    case 0x00A0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

size_t CountCodePoints(absl::string_view text) {
  size_t count = 0;
  for (char c : text) count += !IsContinuation(static_cast<unsigned char>(c));
  return count;
}

}  // namespace sf::tokenization
