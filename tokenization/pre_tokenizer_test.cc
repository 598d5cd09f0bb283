#include "tokenization/pre_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "tokenization/random_text.h"
#include "tokenization/unicode.h"

namespace sf::tokenization {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Words(absl::string_view text) {
  return PreTokenizer(PreTokenizerKind::kWords).SplitToStrings(text);
}

std::vector<std::string> Gpt2(absl::string_view text) {
  return PreTokenizer(PreTokenizerKind::kGpt2).SplitToStrings(text);
}

TEST(WordsPreTokenizerTest, SplitsWordsNumbersAndPunctuation) {
  EXPECT_THAT(Words("Don't panic: 42.5% of 1,000 users!"),
              ElementsAre("Don't", "panic", ":", "42.5", "%", "of", "1,000", "users", "!"));
  EXPECT_THAT(Words("dogs' mp3 2011. --"),
              ElementsAre("dogs", "'", "mp", "3", "2011", ".", "-", "-"));
  EXPECT_THAT(Words("rock'n'roll U.S.A."),
              ElementsAre("rock'n'roll", "U", ".", "S", ".", "A", "."));
}

TEST(WordsPreTokenizerTest, HandlesNonAsciiText) {
  EXPECT_THAT(Words("Crème brûlée, naïve café"),
              ElementsAre("Crème", "brûlée", ",", "naïve", "café"));
  EXPECT_THAT(Words("Ωμέγα Москва 東京タワー l’été"),
              ElementsAre("Ωμέγα", "Москва", "東京タワー", "l’été"));
  // A combining accent stays with its letter; Arabic-Indic digits are digits; emoji is "other".
  EXPECT_THAT(Words("e\u0301te\u0301 \u0661\u0662\u0663 👍👍"),
              ElementsAre("e\u0301te\u0301", "\u0661\u0662\u0663", "👍", "👍"));
  EXPECT_THAT(Words("a\u00A0b\u3000c"), ElementsAre("a", "b", "c"));
}

TEST(WordsPreTokenizerTest, EmptyAndBlankInput) {
  EXPECT_THAT(Words(""), IsEmpty());
  EXPECT_THAT(Words(" \t\n\u2028 "), IsEmpty());
}

TEST(WordsPreTokenizerTest, InvalidBytesBecomeOneBytePieces) {
  EXPECT_THAT(Words("ab\xFF"
                    "cd \xC3"),
              ElementsAre("ab", "\xFF", "cd", "\xC3"));
}

TEST(WhitespacePreTokenizerTest, KeepsPreTokenisedTextWhole) {
  const PreTokenizer pre(PreTokenizerKind::kWhitespace);
  EXPECT_THAT(pre.SplitToStrings(" = Valkyria <unk> = \n role @-@ playing 3.5 "),
              ElementsAre("=", "Valkyria", "<unk>", "=", "role", "@-@", "playing", "3.5"));
  EXPECT_THAT(pre.SplitToStrings("東京\u3000タワー x"), ElementsAre("東京", "タワー", "x"));
}

TEST(Gpt2PreTokenizerTest, MatchesGpt2Pieces) {
  EXPECT_THAT(Gpt2("Hello world"), ElementsAre("Hello", " world"));
  EXPECT_THAT(Gpt2("I'm fine, it's 2024!"),
              ElementsAre("I", "'m", " fine", ",", " it", "'s", " 2024", "!"));
  // `\s+(?!\S)`: the last space of a run joins the next word; a lone newline stands alone.
  EXPECT_THAT(Gpt2("a  b\n\nBye   "), ElementsAre("a", " ", " b", "\n", "\n", "Bye", "   "));
  EXPECT_THAT(Gpt2("x \n y"), ElementsAre("x", " \n", " y"));
  EXPECT_THAT(Gpt2("  ...!? 3.14"), ElementsAre(" ", " ...!?", " 3", ".", "14"));
  EXPECT_THAT(Gpt2("日本語テキスト\u3000と\u00A0text"),
              ElementsAre("日本語テキスト", "\u3000", "と", "\u00A0", "text"));
  EXPECT_THAT(Gpt2(""), IsEmpty());
}

TEST(Gpt2PreTokenizerTest, DropsLastCodePointOfAMultiByteSpaceRun) {
  // Two ideographic spaces (3 bytes each) before a word: the second one joins nothing (only
  // ' ' may lead a word) and is a piece of its own.
  EXPECT_THAT(Gpt2("a\u3000\u3000b"), ElementsAre("a", "\u3000", "\u3000", "b"));
}

// Byte-level BPE relies on this: the pieces cover the text exactly.
TEST(Gpt2PreTokenizerTest, PiecesConcatenateToTheInput) {
  std::mt19937 rng(11);
  const PreTokenizer pre(PreTokenizerKind::kGpt2);
  for (int i = 0; i < 3000; ++i) {
    const std::string text = RandomUtf8(&rng, 30);
    std::vector<std::string> pieces = pre.SplitToStrings(text);
    ASSERT_EQ(absl::StrJoin(pieces, ""), text);
    for (const std::string& p : pieces) ASSERT_FALSE(p.empty());
  }
  const std::string invalid = "a\xFF b\xE2\x82  c";
  EXPECT_EQ(absl::StrJoin(pre.SplitToStrings(invalid), ""), invalid);
}

// The ASCII fast path is an optimisation only: pieces equal those of re2 alone.
TEST(PreTokenizerTest, FastPathAgreesWithRe2) {
  std::mt19937 rng(5);
  for (PreTokenizerKind kind :
       {PreTokenizerKind::kWords, PreTokenizerKind::kWhitespace, PreTokenizerKind::kGpt2}) {
    const PreTokenizer fast(kind, /*ascii_fast_path=*/true);
    const PreTokenizer slow(kind, /*ascii_fast_path=*/false);
    for (int i = 0; i < 5000; ++i) {
      std::string text = RandomUtf8(&rng, 30);
      if (i % 7 == 0) text += "\xFF" + RandomUtf8(&rng, 5);
      ASSERT_EQ(fast.SplitToStrings(text), slow.SplitToStrings(text))
          << PreTokenizerKindName(kind) << " on '" << text << "'";
    }
    for (const char* text :
         {"it's",      "it'",  "it'é", "itʼs", "1.",    "1.٣",           "1,2,3", "a1b2",
          "don't'",    "x''y", "3..4", "é'a",  "a'é",   "I'LL 'll 're'", " 's",   "a  \tb",
          "a \u00A0b", "x  ",  "  é",  "!'s",  " \xFF", "a\xFF "}) {
      EXPECT_EQ(fast.SplitToStrings(text), slow.SplitToStrings(text)) << text;
    }
  }
}

TEST(PreTokenizerTest, VeryLongInput) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "token ";
  int count = 0;
  PreTokenizer(PreTokenizerKind::kWords).Split(text, [&](absl::string_view) { ++count; });
  EXPECT_EQ(count, 200000);
  const std::string one_word(1 << 20, 'a');
  EXPECT_THAT(Gpt2(one_word), ElementsAre(one_word));
}

TEST(PreTokenizerKindTest, NamesRoundTrip) {
  for (PreTokenizerKind k :
       {PreTokenizerKind::kWords, PreTokenizerKind::kWhitespace, PreTokenizerKind::kGpt2}) {
    absl::StatusOr<PreTokenizerKind> parsed = ParsePreTokenizerKind(PreTokenizerKindName(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_FALSE(ParsePreTokenizerKind("bert").ok());
}

}  // namespace
}  // namespace sf::tokenization
