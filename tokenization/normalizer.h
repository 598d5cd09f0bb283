// Text clean-up before tokenisation: invalid UTF-8 handling, HTML tag and entity removal,
// Unicode lower-casing, control-character removal and whitespace folding, each an option.
//
// IMDB reviews, for instance, carry `<br /><br />` between paragraphs and `&amp;`-style
// entities; a word-level tokenizer wants them gone and case folded:
//
//   sf::tokenization::Normalizer norm(sf::tokenization::NormalizerOptions()
//                                         .Lowercase(true).StripHtml(true).FoldWhitespace(true));
//   absl::StatusOr<std::string> s = norm.Normalize("Great!<br /><br />CAFÉ &amp; Crème");
//   // *s == "great! café & crème"
//
// Steps run in a fixed order: UTF-8 check, HTML, then lower-casing, control characters and
// whitespace in one pass. The HTML grammar (tags, comments, entities) is written as re2
// expressions; the other steps are single passes over code points.
#ifndef SCRATCHFORMER_TOKENIZATION_NORMALIZER_H_
#define SCRATCHFORMER_TOKENIZATION_NORMALIZER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace sf::tokenization {

// What to do with bytes that are not valid UTF-8.
enum class InvalidUtf8Policy {
  kReplace,  // each maximal invalid subpart becomes U+FFFD
  kReject,   // Normalize returns InvalidArgument naming the byte offset
};

struct NormalizerOptions {
  bool lowercase = false;        // Unicode simple lowercase mapping, every script
  bool strip_html = false;       // tags and comments removed, entities decoded
  bool remove_control = false;   // C0/C1 controls other than whitespace removed
  bool fold_whitespace = false;  // runs of whitespace -> one ' ', none at either end
  InvalidUtf8Policy invalid_utf8 = InvalidUtf8Policy::kReplace;

  NormalizerOptions& Lowercase(bool v) {
    lowercase = v;
    return *this;
  }
  NormalizerOptions& StripHtml(bool v) {
    strip_html = v;
    return *this;
  }
  NormalizerOptions& RemoveControl(bool v) {
    remove_control = v;
    return *this;
  }
  NormalizerOptions& FoldWhitespace(bool v) {
    fold_whitespace = v;
    return *this;
  }
  NormalizerOptions& InvalidUtf8(InvalidUtf8Policy v) {
    invalid_utf8 = v;
    return *this;
  }

  // True when valid UTF-8 passes through unchanged.
  bool is_identity() const {
    return !lowercase && !strip_html && !remove_control && !fold_whitespace;
  }
  bool operator==(const NormalizerOptions& o) const {
    return lowercase == o.lowercase && strip_html == o.strip_html &&
           remove_control == o.remove_control && fold_whitespace == o.fold_whitespace &&
           invalid_utf8 == o.invalid_utf8;
  }
};

// "replace" | "reject" <-> policy; Parse returns InvalidArgument naming an unknown value.
std::string InvalidUtf8PolicyName(InvalidUtf8Policy policy);
absl::StatusOr<InvalidUtf8Policy> ParseInvalidUtf8Policy(absl::string_view name);

class Normalizer {
 public:
  explicit Normalizer(const NormalizerOptions& options = NormalizerOptions());
  ~Normalizer();
  Normalizer(Normalizer&&) noexcept;
  Normalizer& operator=(Normalizer&&) noexcept;

  const NormalizerOptions& options() const { return options_; }

  absl::StatusOr<std::string> Normalize(absl::string_view text) const;

  // The allocation-free form for hot loops: returns `text` itself when nothing changes, else a
  // view of `*scratch`, which it overwrites (`text` must not lie in `*scratch`). Reusing one
  // scratch string across calls reuses its memory.
  absl::StatusOr<absl::string_view> Normalize(absl::string_view text, std::string* scratch) const;

  // True when Normalize(text) differs from `text` in ASCII letter case and whitespace at most:
  // `text` is all ASCII, without '<' or '&' when HTML is stripped and without control
  // characters when those are removed. A caller that drops whitespace anyway (a word
  // splitter) can then map the bytes it keeps through NormalizeAscii instead of normalising
  // the whole text.
  bool ChangesOnlyAsciiCaseAndSpace(absl::string_view text) const;
  // What Normalize writes for an ASCII byte it keeps.
  char NormalizeAscii(char c) const { return ascii_output_[static_cast<unsigned char>(c) & 0x7F]; }

 private:
  void StripHtml(absl::string_view text, std::string* out) const;
  void CaseControlAndSpace(absl::string_view text, std::string* out) const;

  // What lower-casing, control removal and folding do to each ASCII byte, precomputed.
  enum AsciiAction : uint8_t { kKeep, kFoldSpace, kDrop };

  NormalizerOptions options_;
  std::array<AsciiAction, 128> ascii_action_{};
  std::array<char, 128> ascii_output_{};
  std::unique_ptr<re2::RE2> tag_;
  std::unique_ptr<re2::RE2> entity_;
};

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_NORMALIZER_H_
