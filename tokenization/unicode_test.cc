#include "tokenization/unicode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <string>

namespace sf::tokenization {
namespace {

using ::testing::HasSubstr;

TEST(DecodeUtf8Test, DecodesEachSequenceLength) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  const char32_t expected[] = {'a', 0xE9, 0x20AC, 0x1F600};
  const int lengths[] = {1, 2, 3, 4};
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    Utf8Char c = DecodeUtf8(text, pos);
    EXPECT_TRUE(c.valid);
    EXPECT_EQ(c.code_point, expected[i]);
    EXPECT_EQ(c.length, lengths[i]);
    pos += c.length;
  }
  EXPECT_EQ(pos, text.size());
}

TEST(DecodeUtf8Test, ReportsTheMaximalInvalidSubpart) {
  struct Case {
    std::string bytes;
    int length;
    const char* error;
  };
  const Case cases[] = {
      {"\x80", 1, "unexpected continuation byte"},
      {"\xC0\xAF", 1, "overlong encoding"},
      {"\xE0\x80\x80", 1, "overlong encoding"},
      {"\xED\xA0\x80", 1, "surrogate code point"},
      {"\xF4\x90\x80\x80", 1, "code point above U+10FFFF"},
      {"\xFF", 1, "byte never appears in UTF-8"},
      {"\xE2\x82", 2, "truncated sequence"},
      {"\xF0\x9F\x98", 3, "truncated sequence"},
      {"\xE2\x82x", 2, "truncated sequence"},
      {"\xC3", 1, "truncated sequence"},
  };
  for (const Case& c : cases) {
    Utf8Char d = DecodeUtf8(c.bytes, 0);
    EXPECT_FALSE(d.valid) << c.error;
    EXPECT_EQ(d.length, c.length) << c.error;
    EXPECT_STREQ(d.error, c.error);
    EXPECT_EQ(d.code_point, kReplacementCharacter);
  }
}

TEST(ReplaceInvalidUtf8Test, FollowsTheUnicodeStandardExample) {
  // Table 3-8 of the Unicode Standard: one U+FFFD per maximal subpart.
  const std::string bad = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
  std::string out;
  ReplaceInvalidUtf8(bad, &out);
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(out, "a" + r + r + r + "b" + r + "c" + r + r + "d");
}

TEST(ReplaceInvalidUtf8Test, LeavesValidTextAlone) {
  const std::string text = "plain ASCII, café, 😀";
  std::string out;
  ReplaceInvalidUtf8(text, &out);
  EXPECT_EQ(out, text);
  EXPECT_EQ(FindInvalidUtf8(text), text.size());
  EXPECT_EQ(FindInvalidUtf8(""), 0u);
}

TEST(ValidateUtf8Test, NamesTheByteOffset) {
  EXPECT_TRUE(ValidateUtf8("ok ✓").ok());
  absl::Status s = ValidateUtf8("abcdefghij\xC3(");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("byte offset 10"));
  EXPECT_THAT(s.message(), HasSubstr("0xC3"));
  EXPECT_THAT(s.message(), HasSubstr("truncated sequence"));
  // Past the 8-byte ASCII fast path.
  EXPECT_THAT(ValidateUtf8(std::string(37, 'x') + "\xFF").message(), HasSubstr("byte offset 37"));
}

TEST(AppendUtf8Test, RoundTripsEveryCodePoint) {
  std::string s;
  for (char32_t cp = 0; cp <= kMaxCodePoint; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    s.clear();
    AppendUtf8(cp, &s);
    Utf8Char c = DecodeUtf8(s, 0);
    ASSERT_TRUE(c.valid) << std::hex << cp;
    ASSERT_EQ(c.code_point, cp);
    ASSERT_EQ(static_cast<size_t>(c.length), s.size());
  }
  s.clear();
  AppendUtf8(0xD800, &s);
  AppendUtf8(0x110000, &s);
  EXPECT_EQ(s, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(ToLowerSimpleTest, MapsLatinGreekCyrillic) {
  EXPECT_EQ(ToLowerSimple('A'), 'a');
  EXPECT_EQ(ToLowerSimple('z'), 'z');
  EXPECT_EQ(ToLowerSimple(0xC9), 0xE9u);      // É -> é
  EXPECT_EQ(ToLowerSimple(0xD7), 0xD7u);      // × is not a letter
  EXPECT_EQ(ToLowerSimple(0x178), 0xFFu);     // Ÿ -> ÿ
  EXPECT_EQ(ToLowerSimple(0x130), 'i');       // İ -> i (simple mapping)
  EXPECT_EQ(ToLowerSimple(0x1C5), 0x1C6u);    // ǅ (title case) -> ǆ
  EXPECT_EQ(ToLowerSimple(0x3A3), 0x3C3u);    // Σ -> σ
  EXPECT_EQ(ToLowerSimple(0x386), 0x3ACu);    // Ά -> ά
  EXPECT_EQ(ToLowerSimple(0x401), 0x451u);    // Ё -> ё
  EXPECT_EQ(ToLowerSimple(0x416), 0x436u);    // Ж -> ж
  EXPECT_EQ(ToLowerSimple(0x4C1), 0x4C2u);    // Ӂ -> ӂ
  EXPECT_EQ(ToLowerSimple(0x1E9E), 0xDFu);    // ẞ -> ß
  EXPECT_EQ(ToLowerSimple(0xFF21), 0xFF41u);  // fullwidth Ａ -> ａ
  EXPECT_EQ(ToLowerSimple(0x1F600), 0x1F600u);
}

// re2 carries its own Unicode tables: every upper-case or title-case letter of the blocks the
// project cares about must have a lower-case mapping here, landing on a lower-case letter.
TEST(ToLowerSimpleTest, AgreesWithRe2CategoriesOnEuropeanScripts) {
  const RE2 upper(R"([\p{Lu}\p{Lt}])");
  const RE2 lower(R"(\p{Ll})");
  int checked = 0;
  for (char32_t cp = 0x41; cp < 0x530; ++cp) {
    std::string s;
    AppendUtf8(cp, &s);
    if (!RE2::FullMatch(s, upper)) continue;
    if (cp >= 0x3D2 && cp <= 0x3D4) continue;  // ϒ ϓ ϔ: Unicode gives them no lower case
    const char32_t lo = ToLowerSimple(cp);
    EXPECT_NE(lo, cp) << std::hex << "U+" << cp;
    std::string l;
    AppendUtf8(lo, &l);
    EXPECT_TRUE(RE2::FullMatch(l, lower)) << std::hex << "U+" << cp << " -> U+" << lo;
    ++checked;
  }
  EXPECT_GT(checked, 400);
}

TEST(AppendLowercaseUtf8Test, LowercasesMixedScripts) {
  std::string out;
  AppendLowercaseUtf8("ÀÉÎ ΣΑΣ ЖУК İstanbul 😀 ABC", &out);
  EXPECT_EQ(out, "àéî σασ жук istanbul 😀 abc");
}

// The hand-written set must be exactly the pre-tokeniser's re2 class.
TEST(IsUnicodeWhitespaceTest, MatchesTheRe2ClassOnEveryCodePoint) {
  const RE2 space(R"([\t-\r\x{20}\x{85}\p{Z}])");
  int spaces = 0;
  std::string s;
  for (char32_t cp = 0; cp <= kMaxCodePoint; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    s.clear();
    AppendUtf8(cp, &s);
    const bool re2_says = RE2::FullMatch(s, space);
    ASSERT_EQ(IsUnicodeWhitespace(cp), re2_says) << std::hex << "U+" << cp;
    spaces += re2_says;
  }
  EXPECT_EQ(spaces, 25);
}

TEST(CountCodePointsTest, CountsCharactersNotBytes) {
  EXPECT_EQ(CountCodePoints(""), 0u);
  EXPECT_EQ(CountCodePoints("abc"), 3u);
  EXPECT_EQ(CountCodePoints("é€😀"), 3u);
}

}  // namespace
}  // namespace sf::tokenization
