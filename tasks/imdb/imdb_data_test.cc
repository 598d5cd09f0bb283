#include "tasks/imdb/imdb_data.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datasets/imdb.h"
#include "tokenization/vocabulary.h"

namespace sf::tasks::imdb {
namespace {

using tokenization::TokenId;

std::vector<datasets::ImdbReview> Reviews() {
  return {{"A great film!<br /><br />Loved it.", 1, 1, 9},
          {"Boring. A waste of time, truly boring.", 0, 2, 2},
          {"Great acting, great music.", 1, 3, 8}};
}

TEST(ImdbDataTest, TruncateHeadTailKeepsBothEnds) {
  const std::vector<TokenId> ids = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(TruncateHeadTail(ids, 4, 1), (std::vector<TokenId>{1, 8, 9, 10}));
  EXPECT_EQ(TruncateHeadTail(ids, 4, 0), (std::vector<TokenId>{7, 8, 9, 10}));
  EXPECT_EQ(TruncateHeadTail(ids, 4, 4), (std::vector<TokenId>{1, 2, 3, 4}));
  EXPECT_EQ(TruncateHeadTail(ids, 10, 2), ids);
}

TEST(ImdbDataTest, TokenizerLowercasesStripsHtmlAndSplitsPunctuation) {
  absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> tok =
      TrainImdbTokenizer(Reviews(), {.max_size = 100, .min_freq = 1}, 1);
  ASSERT_TRUE(tok.ok()) << tok.status();
  absl::StatusOr<std::vector<std::string>> pieces = (*tok)->Pieces("GREAT film!<br />Boring");
  ASSERT_TRUE(pieces.ok());
  EXPECT_EQ(*pieces, (std::vector<std::string>{"great", "film", "!", "boring"}));
}

TEST(ImdbDataTest, EncodesTruncatesAndBatches) {
  const std::vector<datasets::ImdbReview> reviews = Reviews();
  absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> tok =
      TrainImdbTokenizer(reviews, {.max_size = 100, .min_freq = 1}, 1);
  ASSERT_TRUE(tok.ok()) << tok.status();
  const InputSettings input{.max_length = 6, .head_tokens = 2, .add_cls = true};
  absl::StatusOr<EncodedReviews> encoded = EncodeReviews(**tok, reviews, input, 2);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  ASSERT_EQ(encoded->size(), 3);
  EXPECT_EQ(encoded->labels, (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(encoded->truncated, 3);
  const TokenId cls = *(*tok)->special_id(tokenization::SpecialToken::kCls);
  for (const std::vector<TokenId>& ids : encoded->ids) {
    ASSERT_EQ(ids.size(), 6u);
    EXPECT_EQ(ids[0], cls);
  }
  // "boring . a waste of time , truly boring ." keeps <cls> boring + "truly boring ." tail.
  EXPECT_EQ(encoded->ids[1][1], *(*tok)->TokenToId("boring"));
  EXPECT_EQ(encoded->ids[1][5], *(*tok)->TokenToId("."));
  EXPECT_EQ(encoded->ids[1][4], *(*tok)->TokenToId("boring"));

  const ImdbBatch batch = MakeBatch(*encoded, {2, 0});
  EXPECT_EQ(batch.size(), 2);
  EXPECT_EQ(batch.labels[0].item<int64_t>(), 1);
  EXPECT_EQ(batch.inputs.tokens.size(0), 12);
  EXPECT_EQ(batch.inputs.max_seqlen, 6);

  absl::StatusOr<std::vector<TokenId>> text = EncodeText(**tok, "great", input);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, (std::vector<TokenId>{cls, *(*tok)->TokenToId("great")}));
  EXPECT_FALSE(EncodeText(**tok, "  ", input).ok());
}

// head_tokens 0 is what max_length / 4, the trainer's default head, gives for max_length < 4.
TEST(ImdbDataTest, TruncationKeepsClsWithoutAHead) {
  const std::vector<datasets::ImdbReview> reviews = Reviews();
  absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> tok =
      TrainImdbTokenizer(reviews, {.max_size = 100, .min_freq = 1}, 1);
  ASSERT_TRUE(tok.ok()) << tok.status();
  const TokenId cls = *(*tok)->special_id(tokenization::SpecialToken::kCls);
  const TokenId boring = *(*tok)->TokenToId("boring");
  const TokenId period = *(*tok)->TokenToId(".");
  const InputSettings input{.max_length = 3, .head_tokens = 0, .add_cls = true};
  EXPECT_EQ(input.KeptHeadTokens(), 1);
  EXPECT_EQ((InputSettings{.max_length = 3, .head_tokens = 0}).KeptHeadTokens(), 0);
  absl::StatusOr<EncodedReviews> encoded = EncodeReviews(**tok, reviews, input, 1);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  for (const std::vector<TokenId>& ids : encoded->ids) {
    ASSERT_EQ(ids.size(), 3u);
    EXPECT_EQ(ids[0], cls);
  }
  EXPECT_EQ(encoded->ids[1], (std::vector<TokenId>{cls, boring, period}));
  absl::StatusOr<std::vector<TokenId>> text = EncodeText(**tok, reviews[1].text, input);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, (std::vector<TokenId>{cls, boring, period}));
  // Without <cls>, a head of 0 keeps only the tail.
  absl::StatusOr<std::vector<TokenId>> tail =
      EncodeText(**tok, reviews[1].text, {.max_length = 2, .head_tokens = 0});
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(*tail, (std::vector<TokenId>{boring, period}));
}

TEST(ImdbDataTest, BadSettingsAndEmptyReviewsAreErrors) {
  const std::vector<datasets::ImdbReview> reviews = Reviews();
  absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> tok =
      TrainImdbTokenizer(reviews, {.max_size = 100, .min_freq = 1}, 1);
  ASSERT_TRUE(tok.ok());
  EXPECT_FALSE(EncodeReviews(**tok, reviews, {.max_length = 4, .head_tokens = 5}, 1).ok());
  std::vector<datasets::ImdbReview> blank = {{"<br />", 1, 77, 8}};
  absl::StatusOr<EncodedReviews> encoded = EncodeReviews(**tok, blank, {}, 1);
  ASSERT_FALSE(encoded.ok());
  EXPECT_NE(encoded.status().message().find("77"), std::string::npos) << encoded.status();
  EXPECT_FALSE(TrainImdbTokenizer({}, {}, 1).ok());

  absl::StatusOr<InputSettings> back = InputSettings::FromJson(InputSettings{}.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ToJson(), InputSettings{}.ToJson());
  EXPECT_FALSE(InputSettings::FromJson(nlohmann::json{{"max_length", 4}}).ok());
}

}  // namespace
}  // namespace sf::tasks::imdb
