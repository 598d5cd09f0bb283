#include "tokenization/pre_tokenizer.h"

#include <re2/re2.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "tokenization/unicode.h"

namespace sf::tokenization {
namespace {

// The members of IsUnicodeWhitespace as the inside of an re2 character class.
constexpr char kSpaceClass[] = R"(\t-\r\x{20}\x{85}\p{Z})";

std::string WordsPattern() {
  return absl::StrCat(R"(\p{L}[\p{L}\p{M}]*(?:['’]\p{L}[\p{L}\p{M}]*)*)", "|",
                      R"(\p{N}+(?:[.,]\p{N}+)*)", "|", "[^", kSpaceClass, R"(\p{L}\p{N}])");
}

std::string WhitespacePattern() { return absl::StrCat("[^", kSpaceClass, "]+"); }

std::string Gpt2Pattern() {
  return absl::StrCat(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^)", kSpaceClass,
                      R"(\p{L}\p{N}]+|[)", kSpaceClass, "]+");
}

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string PreTokenizerKindName(PreTokenizerKind kind) {
  switch (kind) {
    case PreTokenizerKind::kWords:
      return "words";
    case PreTokenizerKind::kWhitespace:
      return "whitespace";
    case PreTokenizerKind::kGpt2:
      return "gpt2";
  }
  return "unknown";
}

absl::StatusOr<PreTokenizerKind> ParsePreTokenizerKind(absl::string_view name) {
  if (name == "words") return PreTokenizerKind::kWords;
  if (name == "whitespace") return PreTokenizerKind::kWhitespace;
  if (name == "gpt2") return PreTokenizerKind::kGpt2;
  return absl::InvalidArgumentError(absl::StrCat("unknown pre-tokenizer '", name,
                                                 "' (expected 'words', 'whitespace' or 'gpt2')"));
}

PreTokenizer::PreTokenizer(PreTokenizerKind kind, bool ascii_fast_path)
    : kind_(kind), ascii_fast_path_(ascii_fast_path) {
  piece_ = std::make_unique<re2::RE2>(kind == PreTokenizerKind::kGpt2         ? Gpt2Pattern()
                                      : kind == PreTokenizerKind::kWhitespace ? WhitespacePattern()
                                                                              : WordsPattern());
  space_ = std::make_unique<re2::RE2>(absl::StrCat("[", kSpaceClass, "]+"));
  const re2::RE2 letter(R"(\p{L})");
  const re2::RE2 number(R"(\p{N})");
  for (int c = 0; c < 128; ++c) {
    const std::string s(1, static_cast<char>(c));
    ascii_class_[c] = re2::RE2::FullMatch(s, *space_)  ? kSpace
                      : re2::RE2::FullMatch(s, letter) ? kLetter
                      : re2::RE2::FullMatch(s, number) ? kDigit
                                                       : kOther;
  }
}

PreTokenizer::~PreTokenizer() = default;
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;

void PreTokenizer::Split(absl::string_view text,
                         absl::FunctionRef<void(absl::string_view)> emit) const {
  if (kind_ == PreTokenizerKind::kGpt2) {
    SplitGpt2(text, emit);
  } else {
    SplitWords(text, emit);
  }
}

std::vector<std::string> PreTokenizer::SplitToStrings(absl::string_view text) const {
  std::vector<std::string> pieces;
  Split(text, [&](absl::string_view piece) { pieces.emplace_back(piece); });
  return pieces;
}

size_t PreTokenizer::MatchAt(const re2::RE2& re, absl::string_view text, size_t pos) const {
  re2::StringPiece match;
  if (!re.Match(re2::StringPiece(text.data(), text.size()), pos, text.size(),
                re2::RE2::ANCHOR_START, &match, 1)) {
    return 0;
  }
  return match.size();
}

size_t PreTokenizer::Re2WordStep(absl::string_view text, size_t pos,
                                 absl::FunctionRef<void(absl::string_view)> emit) const {
  size_t len = MatchAt(*space_, text, pos);
  if (len > 0) return pos + len;
  len = MatchAt(*piece_, text, pos);
  if (len == 0) len = 1;  // a byte that is not valid UTF-8
  emit(text.substr(pos, len));
  return pos + len;
}

void PreTokenizer::SplitWords(absl::string_view text,
                              absl::FunctionRef<void(absl::string_view)> emit) const {
  const size_t n = text.size();
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  // End of the ASCII word or number starting at `pos`, or npos when a non-ASCII byte could
  // extend it (re2 decides then). `joiner` may continue a token when followed by its class.
  const bool whitespace_split = kind_ == PreTokenizerKind::kWhitespace;
  const auto scan = [&](size_t pos, ByteClass cls) -> size_t {
    size_t end = pos + 1;
    if (whitespace_split) {
      while (end < n && byte(end) < 0x80 && ascii_class_[byte(end)] != kSpace) ++end;
      return end < n && byte(end) >= 0x80 ? absl::string_view::npos : end;
    }
    while (true) {
      while (end < n && byte(end) < 0x80 && ascii_class_[byte(end)] == cls) ++end;
      if (end == n) return end;
      const unsigned char c = byte(end);
      if (c >= 0x80) return absl::string_view::npos;
      const bool joiner = cls == kLetter ? c == '\'' : (c == '.' || c == ',');
      if (!joiner || end + 1 == n) return end;
      const unsigned char d = byte(end + 1);
      if (d >= 0x80) return absl::string_view::npos;
      if (ascii_class_[d] != cls) return end;
      end += 2;
    }
  };
  size_t pos = 0;
  while (pos < n) {
    const unsigned char b = byte(pos);
    if (b >= 0x80 || !ascii_fast_path_) {
      pos = Re2WordStep(text, pos, emit);
      continue;
    }
    switch (ascii_class_[b]) {
      case kSpace:
        ++pos;
        break;
      case kOther:
        if (!whitespace_split) {
          emit(text.substr(pos, 1));
          ++pos;
          break;
        }
        [[fallthrough]];
      case kLetter:
      case kDigit: {
        const size_t end = scan(pos, ascii_class_[b]);
        if (end == absl::string_view::npos) {
          pos = Re2WordStep(text, pos, emit);
        } else {
          emit(text.substr(pos, end - pos));
          pos = end;
        }
        break;
      }
    }
  }
}

size_t PreTokenizer::Gpt2AsciiPieceEnd(absl::string_view text, size_t pos) const {
  constexpr size_t kDefer = absl::string_view::npos;
  const size_t n = text.size();
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char c = byte(pos);
  if (c >= 0x80) return kDefer;
  // 's 't 're 've 'm 'll 'd, tried first as in the pattern.
  if (c == '\'' && pos + 1 < n) {
    const unsigned char d = byte(pos + 1);
    if (d == 's' || d == 't' || d == 'm' || d == 'd') return pos + 2;
    if (pos + 2 < n) {
      const unsigned char e = byte(pos + 2);
      if ((d == 'r' && e == 'e') || (d == 'v' && e == 'e') || (d == 'l' && e == 'l'))
        return pos + 3;
    }
  }
  // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
  size_t start = pos;
  if (c == ' ' && pos + 1 < n) {
    const unsigned char d = byte(pos + 1);
    if (d >= 0x80) return kDefer;
    if (ascii_class_[d] != kSpace) start = pos + 1;
  }
  const ByteClass cls = ascii_class_[byte(start)];
  size_t end = start + 1;
  while (end < n && byte(end) < 0x80 && ascii_class_[byte(end)] == cls) ++end;
  // A non-ASCII character could extend the run (a letter, or a no-break space).
  if (end < n && byte(end) >= 0x80) return kDefer;
  // `\s+(?!\S)`: a run of 2+ spaces followed by something leaves its last one to the next piece.
  if (cls == kSpace && end < n && end - pos >= 2) --end;
  return end;
}

void PreTokenizer::SplitGpt2(absl::string_view text,
                             absl::FunctionRef<void(absl::string_view)> emit) const {
  const size_t n = text.size();
  size_t pos = 0;
  while (pos < n) {
    size_t end = ascii_fast_path_ ? Gpt2AsciiPieceEnd(text, pos) : absl::string_view::npos;
    if (end == absl::string_view::npos) {
      const size_t len = MatchAt(*piece_, text, pos);
      // No match: a byte that is not valid UTF-8 becomes a piece of its own.
      end = pos + (len == 0 ? 1 : len);
      if (len > 0 && end < n) {
        // `\s+(?!\S)` for the re2 match: only the whitespace alternative can end in
        // whitespace; with 2+ code points followed by something, it gives up its last one.
        size_t last = end - 1;
        while (last > pos && IsContinuation(text[last])) --last;
        if (last > pos && IsUnicodeWhitespace(DecodeUtf8(text, last).code_point)) end = last;
      }
    }
    emit(text.substr(pos, end - pos));
    pos = end;
  }
}

}  // namespace sf::tokenization
