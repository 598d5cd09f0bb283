#include "tasks/wiki/lm_corpus.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "runtime/test_data.h"

namespace sf::tasks::wiki {
namespace {

TEST(LmCorpusTest, WikiTextWordVocabularyHasEveryTrainingWord) {
  absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> tokenizer =
      WikiTextWordTokenizer({"a", "b", "<unk>", "a", "<eos>"});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_EQ((*tokenizer)->vocab_size(), 4);
  const at::Tensor ids = EncodeWords((*tokenizer)->vocabulary(), {"a", "zzz", "<eos>"});
  EXPECT_EQ(ids[1].item<int64_t>(),
            *(*tokenizer)->special_id(tokenization::SpecialToken::kUnk));
  EXPECT_EQ(DecodeForDisplay(**tokenizer, {2, 3, 1}), "a b\n");
}

TEST(LmCorpusTest, PlainTextIsCharacterLevelWithAHeldOutTail) {
  const std::string path = std::string(::testing::TempDir()) + "/text.txt";
  std::string text;
  for (int i = 0; i < 50; ++i) text += "hello world\n";
  std::ofstream(path) << text;
  absl::StatusOr<LmCorpus> corpus =
      LoadCorpus({.kind = CorpusKind::kText, .text_file = path, .valid_fraction = 0.2});
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  EXPECT_EQ(corpus->train.size(0) + corpus->valid.size(0), static_cast<int64_t>(text.size()));
  EXPECT_EQ(corpus->valid.size(0), static_cast<int64_t>(text.size() / 5));
  std::vector<tokenization::TokenId> ids(corpus->train.data_ptr<int64_t>(),
                                         corpus->train.data_ptr<int64_t>() + 12);
  EXPECT_EQ(DecodeForDisplay(*corpus->tokenizer, ids), "hello world\n");
}

TEST(LmCorpusTest, RawWikiTextBpeLearnsTheLineEndsItEncodes) {
  const std::string dir = std::string(::testing::TempDir()) + "/wikitext_raw";
  ASSERT_EQ(std::system(("mkdir -p '" + dir + "'").c_str()), 0);
  std::string text;
  for (int i = 0; i < 40; ++i) text += " = Heading = \n \n the cat sat on the mat . \n \n";
  std::ofstream(dir + "/wiki.train.raw") << text;
  std::ofstream(dir + "/wiki.valid.raw") << " the cat sat . \n";
  absl::StatusOr<LmCorpus> corpus = LoadCorpus(
      {.kind = CorpusKind::kWikiText2Raw, .data_dir = dir, .bpe_vocab_size = 300});
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  const at::Tensor& train = corpus->train;
  const std::vector<tokenization::TokenId> ids(train.data_ptr<int64_t>(),
                                               train.data_ptr<int64_t>() + train.size(0));
  EXPECT_EQ(corpus->tokenizer->Decode(ids).value(), text);
  // The merges were learnt on the lines with their newlines, so the frequent line end
  // " \n" is one token, as is the blank line.
  const absl::StatusOr<std::vector<tokenization::TokenId>> line_end =
      corpus->tokenizer->Encode(" \n", tokenization::EncodeOptions());
  ASSERT_TRUE(line_end.ok()) << line_end.status();
  EXPECT_EQ(line_end->size(), 1u);
  EXPECT_EQ(corpus->valid.size(0), static_cast<int64_t>(
                                       corpus->tokenizer->Encode(" the cat sat . \n",
                                                                 tokenization::EncodeOptions())
                                           ->size()));
}

TEST(LmCorpusTest, MissingDataNamesTheFlagAndThePath) {
  absl::StatusOr<LmCorpus> corpus =
      LoadCorpus({.kind = CorpusKind::kText, .text_file = "/nonexistent/input.txt"});
  ASSERT_FALSE(corpus.ok());
  EXPECT_NE(std::string(corpus.status().message()).find("/nonexistent/input.txt"),
            std::string::npos);

  CorpusOptions offline;
  offline.cache.cache_root = std::string(::testing::TempDir()) + "/empty_cache";
  offline.cache.offline = true;
  corpus = LoadCorpus(offline);
  ASSERT_FALSE(corpus.ok());
  const std::string message(corpus.status().message());
  EXPECT_NE(message.find("--data_dir"), std::string::npos) << message;
  EXPECT_NE(message.find("wikitext-2"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;

  EXPECT_FALSE(ParseCorpusKind("wikitext3").ok());
}

TEST(LmCorpusTest, RealWikiText2HasThePublishedVocabulary) {
  std::optional<std::string> dir = runtime::SharedDataDir("wikitext-2");
  if (!dir) GTEST_SKIP() << runtime::SharedDataSkipReason("wikitext-2");
  absl::StatusOr<LmCorpus> corpus = LoadCorpus({.kind = CorpusKind::kWikiText2, .data_dir = *dir});
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  EXPECT_EQ(corpus->tokenizer->vocab_size(), 33278);
  EXPECT_EQ(corpus->train.size(0), 2088628);
  EXPECT_EQ(corpus->valid.size(0), 217646);
}

}  // namespace
}  // namespace sf::tasks::wiki
