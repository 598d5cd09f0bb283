#include "tokenization/normalizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <iterator>
#include <random>
#include <string>

namespace sf::tokenization {
namespace {

using ::testing::HasSubstr;

std::string Norm(const NormalizerOptions& options, absl::string_view text) {
  absl::StatusOr<std::string> s = Normalizer(options).Normalize(text);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : std::string();
}

TEST(NormalizerTest, IdentityKeepsValidTextAndDoesNotCopy) {
  const Normalizer norm;
  EXPECT_TRUE(norm.options().is_identity());
  const std::string text = "  Mixed CASE <b>html</b> &amp; \t spaces ";
  std::string scratch;
  absl::StatusOr<absl::string_view> view = norm.Normalize(text, &scratch);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->data(), text.data());
  EXPECT_EQ(Norm(NormalizerOptions(), ""), "");
}

TEST(NormalizerTest, LowercasesEveryScript) {
  EXPECT_EQ(Norm(NormalizerOptions().Lowercase(true), "Crème BRÛLÉE, ΑΘΗΝΑ, МОСКВА"),
            "crème brûlée, αθηνα, москва");
}

TEST(NormalizerTest, StripsImdbMarkup) {
  const NormalizerOptions options = NormalizerOptions().StripHtml(true);
  EXPECT_EQ(Norm(options, "Great film.<br /><br />The end"), "Great film.  The end");
  EXPECT_EQ(Norm(options, "<i>Casablanca</i> is <B>great</B>"), "Casablanca is great");
  EXPECT_EQ(Norm(options, "a<br>b<BR/>c<p class=\"x\">d</p>"), "a b c d ");
  EXPECT_EQ(Norm(options, "x<!-- a <comment> -->y<!DOCTYPE html>z"), "xyz");
}

TEST(NormalizerTest, StripsCommentsAndLeavesUnclosedOnes) {
  const NormalizerOptions options = NormalizerOptions().StripHtml(true);
  EXPECT_EQ(Norm(options, "a<!-- x -->b<!---->c"), "abc");
  // "<!-->" does not close itself: it is a declaration, or opens a comment when "-->" follows.
  EXPECT_EQ(Norm(options, "a<!-->b"), "ab");
  EXPECT_EQ(Norm(options, "a<!-->b-->c"), "ac");
  EXPECT_EQ(Norm(options, "a<!--->b"), "ab");
  // Comments do not nest: the first "-->" ends the outer one.
  EXPECT_EQ(Norm(options, "<!-- a <!-- b --> c -->"), " c -->");
  // Unclosed: text, unless a '>' ends it as a declaration.
  EXPECT_EQ(Norm(options, "x<!-- never closed"), "x<!-- never closed");
  EXPECT_EQ(Norm(options, "x<!-- a > b"), "x b");
  EXPECT_EQ(Norm(options, "<!--a-->b<!--c"), "b<!--c");
  EXPECT_EQ(Norm(options, "<!--a-->b<!--c>d<!--e-->f<!--g>h"), "bfh");
}

// StripHtml with comments matched by the tag regex, for text without '&' whose only letters
// are 'p' (a block tag) and 'b' (an inline one).
std::string StripWithCommentRegex(absl::string_view text) {
  static const re2::RE2 tag(
      R"(<(?:/?([A-Za-z][A-Za-z0-9]*)(?:[\s/][^<>]*)?>|!--(?s:.*?)-->|![^<>]*>))");
  const re2::StringPiece input(text.data(), text.size());
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    re2::StringPiece groups[2];
    if (text[pos] == '<' && tag.Match(input, pos, text.size(), re2::RE2::ANCHOR_START, groups, 2)) {
      if (groups[1] == "p") out.push_back(' ');
      pos += groups[0].size();
      continue;
    }
    out.push_back(text[pos++]);
  }
  return out;
}

TEST(NormalizerTest, StripsCommentsAsTheCommentRegexDoes) {
  const Normalizer norm(NormalizerOptions().StripHtml(true));
  std::mt19937 rng(7);
  const char* const pieces[] = {"<!--", "-->", "<", "!", "-", ">", "p", "b", " ", "/"};
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (int n = rng() % 12; n > 0; --n) text += pieces[rng() % std::size(pieces)];
    absl::StatusOr<std::string> s = norm.Normalize(text);
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(*s, StripWithCommentRegex(text)) << text;
  }
}

// Each unclosed "<!--" once scanned the rest of the text for "-->": minutes for these.
TEST(NormalizerTest, ManyUnclosedCommentsTakeLinearTime) {
  const NormalizerOptions options = NormalizerOptions().StripHtml(true);
  std::string unclosed;
  std::string declarations;
  for (int i = 0; i < 200000; ++i) {
    unclosed += "<!--";
    declarations += "<!-- a >";
  }
  EXPECT_EQ(Norm(options, unclosed), unclosed);
  EXPECT_EQ(Norm(options, declarations), "");
  EXPECT_EQ(Norm(options, unclosed + "-->x"), "x");
}

TEST(NormalizerTest, DecodesEntities) {
  const NormalizerOptions options = NormalizerOptions().StripHtml(true);
  EXPECT_EQ(Norm(options, "Tom &amp; Jerry &lt;3 &quot;hi&quot; &#39;x&#39;"),
            "Tom & Jerry <3 \"hi\" 'x'");
  EXPECT_EQ(Norm(options, "&#233;t&#xE9; &eacute; &hellip;&mdash;"), "été é …—");
  // Decoded text is not parsed again, so an escaped tag survives as text.
  EXPECT_EQ(Norm(options, "&lt;br /&gt;"), "<br />");
  // Unknown names, bare ampersands and lone angle brackets are text.
  EXPECT_EQ(Norm(options, "AT&T &bogus; 3 < 4 > 2 &"), "AT&T &bogus; 3 < 4 > 2 &");
  // Out-of-range, surrogate and NUL references become U+FFFD instead of invalid UTF-8.
  EXPECT_EQ(Norm(options, "&#x110000;&#xD800;&#0;"), "\uFFFD\uFFFD\uFFFD");
}

TEST(NormalizerTest, FoldsUnicodeWhitespace) {
  const NormalizerOptions options = NormalizerOptions().FoldWhitespace(true);
  EXPECT_EQ(Norm(options, "  a \t\n b\u00A0\u2003c\u3000 "), "a b c");
  EXPECT_EQ(Norm(options, " \n\t "), "");
}

TEST(NormalizerTest, RemovesControlCharacters) {
  const NormalizerOptions options = NormalizerOptions().RemoveControl(true);
  EXPECT_EQ(Norm(options,
                 "a\x01"
                 "b\x7F"
                 "c\tC\u0080\u009F"
                 "d"),
            "abc\tCd");
}

TEST(NormalizerTest, CombinesStepsForImdb) {
  const NormalizerOptions options =
      NormalizerOptions().Lowercase(true).StripHtml(true).FoldWhitespace(true);
  EXPECT_EQ(Norm(options, "Great!<br /><br />CAFÉ &amp; Crème"), "great! café & crème");
}

TEST(NormalizerTest, ReplacesInvalidUtf8) {
  EXPECT_EQ(Norm(NormalizerOptions(),
                 "ab\xFF"
                 "cd\xE2\x82"),
            "ab\uFFFDcd\uFFFD");
  EXPECT_EQ(Norm(NormalizerOptions().Lowercase(true), "\xC3\xC3\x89"), "\uFFFD\u00E9");
}

TEST(NormalizerTest, RejectsInvalidUtf8WithTheOffset) {
  const Normalizer norm(NormalizerOptions().InvalidUtf8(InvalidUtf8Policy::kReject));
  absl::StatusOr<std::string> s = norm.Normalize("caf\xC3");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("byte offset 3"));
  EXPECT_TRUE(norm.Normalize("café").ok());
}

TEST(NormalizerTest, VeryLongInput) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "Word<br />  ";
  absl::StatusOr<std::string> s =
      Normalizer(NormalizerOptions().Lowercase(true).StripHtml(true).FoldWhitespace(true))
          .Normalize(text);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 100000u * 5 - 1);
  EXPECT_EQ(s->substr(0, 10), "word word ");
}

TEST(NormalizerTest, ScratchMayBeReusedForTheNextText) {
  const Normalizer norm(NormalizerOptions().Lowercase(true).StripHtml(true));
  std::string scratch;
  absl::StatusOr<absl::string_view> a = norm.Normalize("First<br>ONE\xFF", &scratch);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "first one\uFFFD");
  const std::string copy(*a);
  absl::StatusOr<absl::string_view> b = norm.Normalize(copy, &scratch);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, copy);
}

TEST(InvalidUtf8PolicyTest, NamesRoundTrip) {
  for (InvalidUtf8Policy p : {InvalidUtf8Policy::kReplace, InvalidUtf8Policy::kReject}) {
    absl::StatusOr<InvalidUtf8Policy> parsed = ParseInvalidUtf8Policy(InvalidUtf8PolicyName(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_THAT(ParseInvalidUtf8Policy("ignore").status().message(), HasSubstr("'ignore'"));
}

}  // namespace
}  // namespace sf::tokenization
