#include "tokenization/char_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tokenization/random_text.h"

namespace sf::tokenization {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<CharTokenizer> Train(const CharTokenizerOptions& options = CharTokenizerOptions(),
                                     const VocabularyOptions& vocab = VocabularyOptions()) {
  absl::StatusOr<std::unique_ptr<CharTokenizer>> tok =
      CharTokenizer::Train({"To be, or not to be", "naïve café — 東京"}, options, vocab);
  EXPECT_TRUE(tok.ok()) << tok.status();
  return tok.ok() ? *std::move(tok) : nullptr;
}

TEST(CharTokenizerTest, VocabularyLayout) {
  std::unique_ptr<CharTokenizer> tok = Train();
  const Vocabulary& v = tok->vocabulary();
  EXPECT_EQ(v.Token(6), "<0x00>");
  EXPECT_EQ(v.Token(6 + 255), "<0xFF>");
  EXPECT_EQ(v.Token(262), " ");  // the most frequent character
  EXPECT_EQ(tok->type(), "char");
}

TEST(CharTokenizerTest, OneTokenPerCodePoint) {
  std::unique_ptr<CharTokenizer> tok = Train();
  const std::vector<TokenId> ids = *tok->Encode("café 東");
  ASSERT_EQ(ids.size(), 6u);
  EXPECT_EQ(*tok->IdToToken(ids[3]), "é");
  EXPECT_EQ(*tok->IdToToken(ids[5]), "東");
  EXPECT_EQ(*tok->Decode(ids), "café 東");
}

TEST(CharTokenizerTest, UnseenCharactersFallBackToBytes) {
  std::unique_ptr<CharTokenizer> tok = Train();
  const std::vector<TokenId> ids = *tok->Encode("€");  // E2 82 AC, not in the corpus
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(*tok->IdToToken(ids[0]), "<0xE2>");
  EXPECT_EQ(*tok->IdToToken(ids[2]), "<0xAC>");
  EXPECT_EQ(*tok->Decode(ids), "€");
  // A byte token without its partners decodes to U+FFFD, never to invalid UTF-8.
  EXPECT_EQ(*tok->Decode({ids[0], *tok->TokenToId("a")}), "\uFFFDa");
}

TEST(CharTokenizerTest, WithoutByteFallbackUnseenIsUnk) {
  std::unique_ptr<CharTokenizer> tok = Train(CharTokenizerOptions().ByteFallback(false));
  EXPECT_EQ(tok->vocab_size(), 6 + 18);
  const TokenId unk = *tok->special_id(SpecialToken::kUnk);
  EXPECT_THAT(*tok->Encode("a€😀"), ElementsAre(*tok->TokenToId("a"), unk, unk));
}

TEST(CharTokenizerTest, SpecialsAreAddedNotParsed) {
  std::unique_ptr<CharTokenizer> tok = Train();
  const std::vector<TokenId> ids = *tok->Encode("<eos>", EncodeOptions().AddBos(true).AddEos(true));
  ASSERT_EQ(ids.size(), 7u);  // <bos> < e o s > <eos>
  EXPECT_EQ(ids.front(), *tok->special_id(SpecialToken::kBos));
  EXPECT_EQ(ids.back(), *tok->special_id(SpecialToken::kEos));
  EXPECT_EQ(*tok->Decode(ids, DecodeOptions().SkipSpecialTokens(true)), "<eos>");
}

TEST(CharTokenizerTest, EmptyAndVeryLongInput) {
  std::unique_ptr<CharTokenizer> tok = Train();
  EXPECT_TRUE(tok->Encode("")->empty());
  EXPECT_EQ(*tok->Decode({}), "");
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "naïve 東京 ";
  const std::vector<TokenId> ids = *tok->Encode(text);
  EXPECT_EQ(ids.size(), 50000u * 9);
  EXPECT_EQ(*tok->Decode(ids), text);
}

TEST(CharTokenizerTest, InvalidUtf8IsReplacedOrRejected) {
  std::unique_ptr<CharTokenizer> tok = Train();
  EXPECT_EQ(*tok->Decode(*tok->Encode("a\xFF"
                                      "b")),
            "a\uFFFDb");
  std::unique_ptr<CharTokenizer> strict = Train(CharTokenizerOptions().WithNormalizer(
      NormalizerOptions().InvalidUtf8(InvalidUtf8Policy::kReject)));
  EXPECT_THAT(strict->Encode("ab\xE2\x82").status().message(), HasSubstr("byte offset 2"));
}

TEST(CharTokenizerTest, RoundTripsRandomUtf8) {
  std::unique_ptr<CharTokenizer> tok = Train();
  std::mt19937 rng(3);
  for (int i = 0; i < 3000; ++i) {
    const std::string text = RandomUtf8(&rng, 40);
    absl::StatusOr<std::vector<TokenId>> ids = tok->Encode(text);
    ASSERT_TRUE(ids.ok());
    ASSERT_EQ(*tok->Decode(*ids), text);
  }
}

TEST(CharTokenizerTest, MaxSizeKeepsTheMostFrequentCharacters) {
  std::unique_ptr<CharTokenizer> tok =
      Train(CharTokenizerOptions(), VocabularyOptions().MaxSize(6 + 256 + 3));
  EXPECT_EQ(tok->vocab_size(), 265);
  EXPECT_EQ(tok->vocabulary().Token(262), " ");
  EXPECT_EQ(tok->vocabulary().Token(263), "o");
  // The specials and the 256 byte tokens must fit.
  EXPECT_THAT(
      CharTokenizer::Train({"abc"}, CharTokenizerOptions(), VocabularyOptions().MaxSize(100))
          .status()
          .message(),
      HasSubstr("max_size 100"));
}

TEST(CharTokenizerTest, CreateValidatesTheVocabulary) {
  EXPECT_THAT(CharTokenizer::Create(*Vocabulary::FromTokens({"a", "bc"}, {}),
                                    CharTokenizerOptions().ByteFallback(false))
                  .status()
                  .message(),
              HasSubstr("'bc' is neither one character"));
  EXPECT_THAT(CharTokenizer::Create(*Vocabulary::FromTokens({"a"}, {})).status().message(),
              HasSubstr("lacks <0x00>"));
  EXPECT_THAT(CharTokenizer::Create(*Vocabulary::FromTokens({"a"}, {}),
                                    CharTokenizerOptions().ByteFallback(false))
                  .status()
                  .message(),
              HasSubstr("unk"));
  EXPECT_EQ(ByteFallbackToken(0xE9), "<0xE9>");
}

}  // namespace
}  // namespace sf::tokenization
