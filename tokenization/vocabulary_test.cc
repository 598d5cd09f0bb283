#include "tokenization/vocabulary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sf::tokenization {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TokenCounter Count(const std::vector<std::string>& tokens) {
  TokenCounter counter;
  for (const std::string& t : tokens) counter.Add(t);
  return counter;
}

TEST(VocabularyTest, SpecialsComeFirstWithFixedIds) {
  absl::StatusOr<Vocabulary> vocab = Vocabulary::Build(Count({"b", "a", "b"}), VocabularyOptions());
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  EXPECT_THAT(vocab->tokens(),
              ElementsAre("<pad>", "<unk>", "<bos>", "<eos>", "<cls>", "<mask>", "b", "a"));
  const SpecialToken roles[] = {SpecialToken::kPad, SpecialToken::kUnk, SpecialToken::kBos,
                                SpecialToken::kEos, SpecialToken::kCls, SpecialToken::kMask};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(vocab->special_id(roles[i]), i);
    EXPECT_TRUE(vocab->IsSpecial(i));
  }
  EXPECT_FALSE(vocab->IsSpecial(6));
  EXPECT_EQ(vocab->Find("a"), 7);
  EXPECT_EQ(vocab->Find("zzz"), std::nullopt);
  EXPECT_EQ(vocab->Token(6), "b");
}

TEST(VocabularyTest, TiesAreBrokenByBytesWhateverTheInsertionOrder) {
  const std::vector<std::string> a = {"pear", "apple", "fig", "fig", "kiwi", "apple"};
  const std::vector<std::string> b = {"kiwi", "fig", "apple", "pear", "apple", "fig"};
  const VocabularyOptions options = VocabularyOptions().Specials({});
  absl::StatusOr<Vocabulary> va = Vocabulary::Build(Count(a), options);
  absl::StatusOr<Vocabulary> vb = Vocabulary::Build(Count(b), options);
  ASSERT_TRUE(va.ok() && vb.ok());
  EXPECT_THAT(va->tokens(), ElementsAre("apple", "fig", "kiwi", "pear"));
  EXPECT_EQ(*va, *vb);
}

TEST(VocabularyTest, MinFreqAndMaxSize) {
  const TokenCounter counter = Count({"a", "a", "a", "b", "b", "c"});
  absl::StatusOr<Vocabulary> by_freq =
      Vocabulary::Build(counter, VocabularyOptions().MinFreq(2).Specials({SpecialToken::kUnk}));
  ASSERT_TRUE(by_freq.ok());
  EXPECT_THAT(by_freq->tokens(), ElementsAre("<unk>", "a", "b"));
  absl::StatusOr<Vocabulary> by_size = Vocabulary::Build(counter, VocabularyOptions().MaxSize(8));
  ASSERT_TRUE(by_size.ok());
  EXPECT_EQ(by_size->size(), 8);
  EXPECT_EQ(by_size->Token(7), "b");
}

TEST(VocabularyTest, ReservedTokensFollowTheSpecials) {
  absl::StatusOr<Vocabulary> vocab = Vocabulary::Build(
      Count({"x", "x", "r1"}),
      VocabularyOptions().Specials({SpecialToken::kPad}).Reserved({"r1", "r2"}).MaxSize(4));
  ASSERT_TRUE(vocab.ok());
  EXPECT_THAT(vocab->tokens(), ElementsAre("<pad>", "r1", "r2", "x"));
}

TEST(VocabularyTest, CorpusSpellingASpecialKeepsTheSpecialId) {
  absl::StatusOr<Vocabulary> vocab =
      Vocabulary::Build(Count({"<unk>", "<unk>", "the"}), VocabularyOptions());
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  EXPECT_EQ(vocab->size(), 7);
  EXPECT_EQ(vocab->Find("<unk>"), vocab->special_id(SpecialToken::kUnk));
}

TEST(VocabularyTest, EmptyCorpusGivesOnlySpecials) {
  absl::StatusOr<Vocabulary> vocab = Vocabulary::Build(TokenCounter(), VocabularyOptions());
  ASSERT_TRUE(vocab.ok());
  EXPECT_EQ(vocab->size(), kNumSpecialTokens);
}

TEST(VocabularyTest, RejectsBadOptions) {
  EXPECT_THAT(Vocabulary::Build(Count({"a"}), VocabularyOptions().MinFreq(0)).status().message(),
              HasSubstr("min_freq"));
  EXPECT_THAT(Vocabulary::Build(Count({"a"}), VocabularyOptions().MaxSize(3)).status().message(),
              HasSubstr("max_size 3"));
  EXPECT_FALSE(Vocabulary::Build(Count({"a"}), VocabularyOptions().MaxSize(-1)).ok());
}

TEST(VocabularyTest, FromTokensChecksDuplicatesAndSpecials) {
  EXPECT_THAT(Vocabulary::FromTokens({"a", "b", "a"}, {}).status().message(),
              HasSubstr("'a' appears twice, at ids 0 and 2"));
  EXPECT_THAT(Vocabulary::FromTokens({"a"}, {{SpecialToken::kEos, "</s>"}}).status().message(),
              HasSubstr("'</s>' (eos) is not in the vocabulary"));
  EXPECT_THAT(Vocabulary::FromTokens({"a"}, {{SpecialToken::kEos, "a"}, {SpecialToken::kEos, "a"}})
                  .status()
                  .message(),
              HasSubstr("given twice"));
  // GPT-2: one token in two roles.
  absl::StatusOr<Vocabulary> shared = Vocabulary::FromTokens(
      {"x", "<|endoftext|>"},
      {{SpecialToken::kBos, "<|endoftext|>"}, {SpecialToken::kEos, "<|endoftext|>"}});
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(shared->special_id(SpecialToken::kBos), 1);
  EXPECT_EQ(shared->special_id(SpecialToken::kEos), 1);
  EXPECT_EQ(shared->special_id(SpecialToken::kPad), std::nullopt);
}

TEST(TokenCounterTest, MergeAddsCounts) {
  TokenCounter a = Count({"x", "y"});
  a.Merge(Count({"x"}));
  EXPECT_EQ(a.counts().at("x"), 2);
  EXPECT_EQ(a.total(), 3);
}

TEST(SpecialTokenTest, NamesRoundTrip) {
  for (SpecialToken s : AllSpecialTokens()) {
    absl::StatusOr<SpecialToken> parsed = ParseSpecialTokenName(SpecialTokenName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(DefaultSpecialText(SpecialToken::kMask), "<mask>");
  EXPECT_FALSE(ParseSpecialTokenName("sep").ok());
}

}  // namespace
}  // namespace sf::tokenization
