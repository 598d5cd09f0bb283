#include "tokenization/normalizer.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tokenization/unicode.h"

namespace sf::tokenization {
namespace {

// Tags whose removal must not glue the words on either side together.
bool IsBlockTag(const std::string& lower_name) {
  static const char* const kBlock[] = {
      "address", "article", "aside",   "blockquote", "br", "dd", "div",    "dl", "dt", "footer",
      "h1",      "h2",      "h3",      "h4",         "h5", "h6", "header", "hr", "li", "ol",
      "p",       "pre",     "section", "table",      "td", "th", "title",  "tr", "ul"};
  for (const char* name : kBlock) {
    if (lower_name == name) return true;
  }
  return false;
}

// The named entities seen in web text; unknown names are left as they are.
char32_t NamedEntity(absl::string_view name) {
  static const std::pair<const char*, char32_t> kEntities[] = {
      {"amp", '&'},       {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
      {"apos", '\''},     {"nbsp", 0xA0},    {"ndash", 0x2013}, {"mdash", 0x2014},
      {"hellip", 0x2026}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
      {"rdquo", 0x201D},  {"laquo", 0xAB},   {"raquo", 0xBB},   {"copy", 0xA9},
      {"reg", 0xAE},      {"trade", 0x2122}, {"deg", 0xB0},     {"middot", 0xB7},
      {"times", 0xD7},    {"euro", 0x20AC},  {"pound", 0xA3},   {"eacute", 0xE9},
      {"egrave", 0xE8},   {"aacute", 0xE1},  {"agrave", 0xE0},  {"auml", 0xE4},
      {"ouml", 0xF6},     {"uuml", 0xFC},    {"ccedil", 0xE7},  {"szlig", 0xDF}};
  for (const auto& [n, cp] : kEntities) {
    if (name == n) return cp;
  }
  return 0;
}

bool IsControl(char32_t cp) {
  return (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) && !IsUnicodeWhitespace(cp);
}

}  // namespace

std::string InvalidUtf8PolicyName(InvalidUtf8Policy policy) {
  return policy == InvalidUtf8Policy::kReject ? "reject" : "replace";
}

absl::StatusOr<InvalidUtf8Policy> ParseInvalidUtf8Policy(absl::string_view name) {
  if (name == "replace") return InvalidUtf8Policy::kReplace;
  if (name == "reject") return InvalidUtf8Policy::kReject;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown invalid-UTF-8 policy '", name, "' (expected 'replace' or 'reject')"));
}

Normalizer::Normalizer(const NormalizerOptions& options) : options_(options) {
  for (char32_t b = 0; b < 128; ++b) {
    ascii_action_[b] = options_.fold_whitespace && IsUnicodeWhitespace(b) ? kFoldSpace
                       : options_.remove_control && IsControl(b)          ? kDrop
                                                                          : kKeep;
    ascii_output_[b] = static_cast<char>(options_.lowercase ? ToLowerSimple(b) : b);
  }
  if (options_.strip_html) {
    // A tag (capturing its name) or a declaration such as <!DOCTYPE html>. Comments are
    // matched by StripHtml: as a lazy `!--.*?-->` alternative here, every "<!--" of a text
    // with no "-->" after it would scan to the end, quadratic time in the number of them.
    tag_ = std::make_unique<re2::RE2>(R"(<(?:/?([A-Za-z][A-Za-z0-9]*)(?:[\s/][^<>]*)?>|![^<>]*>))");
    entity_ = std::make_unique<re2::RE2>(
        R"(&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));)");
  }
}

Normalizer::~Normalizer() = default;
Normalizer::Normalizer(Normalizer&&) noexcept = default;
Normalizer& Normalizer::operator=(Normalizer&&) noexcept = default;

absl::StatusOr<std::string> Normalizer::Normalize(absl::string_view text) const {
  std::string scratch;
  absl::StatusOr<absl::string_view> view = Normalize(text, &scratch);
  if (!view.ok()) return view.status();
  if (view->data() == scratch.data()) return scratch;
  return std::string(*view);
}

absl::StatusOr<absl::string_view> Normalizer::Normalize(absl::string_view text,
                                                        std::string* scratch) const {
  absl::string_view current = text;
  // Each step reads `current` and writes `*scratch`, or a second buffer swapped into it when
  // `current` is already there: the usual single step reuses the caller's scratch as it is.
  std::string buffer;
  bool in_scratch = false;
  const auto output = [&] {
    std::string* out = in_scratch ? &buffer : scratch;
    out->clear();
    return out;
  };
  const auto commit = [&](std::string* out) {
    if (out != scratch) scratch->swap(*out);
    in_scratch = true;
    current = *scratch;
  };
  if (FindInvalidUtf8(text) != text.size()) {
    if (options_.invalid_utf8 == InvalidUtf8Policy::kReject) return ValidateUtf8(text);
    std::string* out = output();
    ReplaceInvalidUtf8(current, out);
    commit(out);
  }
  if (options_.strip_html && (std::memchr(current.data(), '<', current.size()) != nullptr ||
                              std::memchr(current.data(), '&', current.size()) != nullptr)) {
    std::string* out = output();
    StripHtml(current, out);
    commit(out);
  }
  if (options_.lowercase || options_.remove_control || options_.fold_whitespace) {
    std::string* out = output();
    CaseControlAndSpace(current, out);
    commit(out);
  }
  return current;
}

bool Normalizer::ChangesOnlyAsciiCaseAndSpace(absl::string_view text) const {
  if (!IsAscii(text)) return false;
  if (options_.strip_html && (std::memchr(text.data(), '<', text.size()) != nullptr ||
                              std::memchr(text.data(), '&', text.size()) != nullptr)) {
    return false;
  }
  if (options_.remove_control) {
    for (char c : text) {
      if (ascii_action_[static_cast<unsigned char>(c)] == kDrop) return false;
    }
  }
  return true;
}

void Normalizer::StripHtml(absl::string_view text, std::string* out) const {
  out->reserve(text.size());
  // A comment that is closed ends before the next search starts, so those searches cover
  // disjoint spans; once one fails, no later one can succeed and none is made: linear time.
  bool no_close_after = false;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t next = text.find_first_of("<&", pos);
    if (next == absl::string_view::npos) {
      out->append(text.data() + pos, text.size() - pos);
      return;
    }
    out->append(text.data() + pos, next - pos);
    pos = next;
    re2::StringPiece groups[4];
    const re2::StringPiece input(text.data(), text.size());
    if (text[pos] == '<') {
      if (!no_close_after && absl::StartsWith(text.substr(pos), "<!--")) {
        const size_t close = text.find("-->", pos + 4);
        if (close != absl::string_view::npos) {
          pos = close + 3;
          continue;
        }
        // Unclosed: the regex may still take it as a declaration, such as "<!-->".
        no_close_after = true;
      }
      if (tag_->Match(input, pos, text.size(), re2::RE2::ANCHOR_START, groups, 2)) {
        if (groups[1].data() != nullptr &&
            IsBlockTag(absl::AsciiStrToLower(groups[1].as_string()))) {
          out->push_back(' ');
        }
        pos += groups[0].size();
        continue;
      }
    } else if (entity_->Match(input, pos, text.size(), re2::RE2::ANCHOR_START, groups, 4)) {
      char32_t cp = 0;
      if (groups[1].data() != nullptr) {
        cp = static_cast<char32_t>(std::stoul(groups[1].as_string(), nullptr, 10));
      } else if (groups[2].data() != nullptr) {
        cp = static_cast<char32_t>(std::stoul(groups[2].as_string(), nullptr, 16));
      } else {
        cp = NamedEntity(absl::string_view(groups[3].data(), groups[3].size()));
      }
      const bool numeric = groups[3].data() == nullptr;
      if (numeric || cp != 0) {
        // AppendUtf8 turns surrogates and out-of-range values into U+FFFD; so does NUL here.
        AppendUtf8(cp == 0 ? kReplacementCharacter : cp, out);
        pos += groups[0].size();
        continue;
      }
    }
    out->push_back(text[pos]);
    ++pos;
  }
}

void Normalizer::CaseControlAndSpace(absl::string_view text, std::string* out) const {
  // Writing through a pointer keeps the byte loop free of std::string bookkeeping. Lower-casing
  // can lengthen a character by half (U+023A, 2 bytes, becomes U+2C65, 3 bytes); folding and
  // removal only shorten, so 1.5x the input always suffices.
  out->resize(text.size() + text.size() / 2 + 4);
  char* const begin = out->data();
  char* dst = begin;
  bool pending_space = false;
  const auto flush_space = [&] {
    if (pending_space && dst != begin) *dst++ = ' ';
    pending_space = false;
  };
  std::string encoded;
  size_t pos = 0;
  const size_t n = text.size();
  while (pos < n) {
    const auto b = static_cast<unsigned char>(text[pos]);
    if (b < 0x80) {
      ++pos;
      // Without branches on the text: word lengths are random, so branches on space or not
      // would be mispredicted once a word. A folded space is stored every time but kept only
      // before kept text that is not the first; the byte after it likewise only when kept.
      const AsciiAction action = ascii_action_[b];
      const bool keep = action == kKeep;
      *dst = ' ';
      dst += keep & pending_space & (dst != begin);
      *dst = ascii_output_[b];
      dst += keep;
      pending_space = (pending_space & !keep) | (action == kFoldSpace);
      continue;
    }
    const Utf8Char c = DecodeUtf8(text, pos);
    pos += c.length;
    if (options_.fold_whitespace && IsUnicodeWhitespace(c.code_point)) {
      pending_space = true;
      continue;
    }
    if (options_.remove_control && IsControl(c.code_point)) continue;
    flush_space();
    encoded.clear();
    AppendUtf8(options_.lowercase ? ToLowerSimple(c.code_point) : c.code_point, &encoded);
    dst = std::copy(encoded.begin(), encoded.end(), dst);
  }
  out->resize(dst - begin);
}

}  // namespace sf::tokenization
