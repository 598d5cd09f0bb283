#include "tokenization/tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace sf::tokenization {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// One token per lower-case letter; anything else is an error (to exercise error paths).
class LetterTokenizer : public Tokenizer {
 public:
  explicit LetterTokenizer(std::vector<Vocabulary::Special> specials) {
    std::vector<std::string> tokens;
    for (const auto& [role, text] : specials) tokens.push_back(text);
    for (char c = 'a'; c <= 'z'; ++c) tokens.emplace_back(1, c);
    tokens.push_back("\xC3");  // half a character, as a byte-level model may emit
    vocab_ = *Vocabulary::FromTokens(tokens, specials);
  }
  std::string type() const override { return "letters"; }
  const Vocabulary& vocabulary() const override { return vocab_; }

 protected:
  absl::Status EncodeTo(absl::string_view text, std::vector<TokenId>* ids) const override {
    for (size_t i = 0; i < text.size(); ++i) {
      std::optional<TokenId> id = vocab_.Find(text.substr(i, 1));
      if (!id) return absl::InvalidArgumentError(absl::StrCat("no token at byte offset ", i));
      ids->push_back(*id);
    }
    return absl::OkStatus();
  }
  std::string DecodeChecked(absl::Span<const TokenId> ids) const override {
    std::string text;
    for (TokenId id : ids) text += vocab_.Token(id);
    return text;
  }

 private:
  Vocabulary vocab_;
};

std::vector<Vocabulary::Special> DefaultSpecials() {
  std::vector<Vocabulary::Special> specials;
  for (SpecialToken s : AllSpecialTokens()) specials.emplace_back(s, DefaultSpecialText(s));
  return specials;
}

TEST(TokenizerTest, AddsSpecialTokensInOrder) {
  const LetterTokenizer tok(DefaultSpecials());
  const TokenId a = *tok.TokenToId("a"), b = *tok.TokenToId("b");
  EXPECT_THAT(*tok.Encode("ab"), ElementsAre(a, b));
  EXPECT_THAT(*tok.Encode("ab", EncodeOptions().AddCls(true).AddBos(true).AddEos(true)),
              ElementsAre(4, 2, a, b, 3));
  EXPECT_THAT(*tok.Encode("", EncodeOptions().AddBos(true).AddEos(true)), ElementsAre(2, 3));
  EXPECT_TRUE(tok.Encode("")->empty());
}

TEST(TokenizerTest, MissingSpecialIsAClearError) {
  const LetterTokenizer tok({{SpecialToken::kPad, "<pad>"}});
  absl::StatusOr<std::vector<TokenId>> ids = tok.Encode("a", EncodeOptions().AddBos(true));
  EXPECT_EQ(ids.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ids.status().message(), HasSubstr("no bos token"));
  EXPECT_FALSE(tok.EncodeBatch({"a"}, EncodeOptions().AddEos(true)).ok());
}

TEST(TokenizerTest, EncodeBatchKeepsOrderOnAnyThreadCount) {
  const LetterTokenizer tok(DefaultSpecials());
  std::vector<std::string> texts;
  for (int i = 0; i < 500; ++i)
    texts.push_back(std::string(i % 13, static_cast<char>('a' + i % 26)));
  for (int threads : {0, 1, 3}) {
    absl::StatusOr<std::vector<std::vector<TokenId>>> batch =
        tok.EncodeBatch(texts, EncodeOptions().AddEos(true), threads);
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_EQ(batch->size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_EQ((*batch)[i], *tok.Encode(texts[i], EncodeOptions().AddEos(true))) << i;
    }
  }
}

TEST(TokenizerTest, EncodeBatchNamesTheFirstFailingText) {
  const LetterTokenizer tok(DefaultSpecials());
  std::vector<std::string> texts(300, "abc");
  texts[123] = "abC";
  texts[250] = "X";
  absl::StatusOr<std::vector<std::vector<TokenId>>> batch = tok.EncodeBatch(texts, {}, 4);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().message(), "text 123: no token at byte offset 2");
}

TEST(TokenizerTest, DecodeChecksIdsAndSkipsSpecials) {
  const LetterTokenizer tok(DefaultSpecials());
  const std::vector<TokenId> ids = *tok.Encode("hi", EncodeOptions().AddBos(true).AddEos(true));
  EXPECT_EQ(*tok.Decode(ids), "<bos>hi<eos>");
  EXPECT_EQ(*tok.Decode(ids, DecodeOptions().SkipSpecialTokens(true)), "hi");
  EXPECT_EQ(*tok.Decode({}), "");
  absl::StatusOr<std::string> bad = tok.Decode({6, 7, 1000});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("token id 1000 at position 2"));
  EXPECT_FALSE(tok.Decode({-1}).ok());
}

TEST(TokenizerTest, DecodeAlwaysGivesValidUtf8) {
  const LetterTokenizer tok(DefaultSpecials());
  const TokenId half = *tok.TokenToId("\xC3");
  EXPECT_EQ(*tok.Decode({*tok.TokenToId("a"), half}), "a\uFFFD");
}

TEST(TokenizerTest, IdTokenConversions) {
  const LetterTokenizer tok(DefaultSpecials());
  EXPECT_EQ(tok.vocab_size(), 6 + 26 + 1);
  EXPECT_EQ(*tok.IdToToken(6), "a");
  EXPECT_EQ(tok.TokenToId("z"), 31);
  EXPECT_EQ(tok.TokenToId("zz"), std::nullopt);
  EXPECT_THAT(tok.IdToToken(33).status().message(), HasSubstr("token id 33"));
  EXPECT_EQ(tok.special_id(SpecialToken::kMask), 5);
}

}  // namespace
}  // namespace sf::tokenization
