#include "datasets/text_corpus.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "runtime/test_data.h"

namespace sf::datasets {
namespace {

namespace fs = std::filesystem;

fs::path TempFile(const std::string& name, const std::string& content) {
  fs::path p = fs::path(std::getenv("TEST_TMPDIR")) / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

TEST(TextCorpusTest, WordsWithEosPerLine) {
  fs::path p = TempFile("a.tokens", " \n = Title = \n the cat\tsat \n");
  absl::StatusOr<std::vector<std::string>> words = ReadWordsWithEos(p.string());
  ASSERT_TRUE(words.ok()) << words.status();
  std::vector<std::string> expected = {"<eos>", "=", "Title", "=", "<eos>", "the", "cat", "sat",
                                       "<eos>"};
  EXPECT_EQ(*words, expected);
}

TEST(TextCorpusTest, LastLineWithoutNewlineStillEndsWithEos) {
  fs::path p = TempFile("b.tokens", "a b\nc");
  EXPECT_EQ(*ReadWordsWithEos(p.string()),
            (std::vector<std::string>{"a", "b", "<eos>", "c", "<eos>"}));
}

TEST(TextCorpusTest, ErrorsNameThePath) {
  absl::StatusOr<std::string> missing = ReadTextFile("/nonexistent/wiki.train.tokens");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/wiki.train.tokens"), std::string::npos);
  fs::path empty = TempFile("empty.txt", "");
  EXPECT_EQ(ReadTextFile(empty.string()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadTextFile(empty.parent_path().string()).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::string> wiki = WikiTextFile("/nonexistent", WikiTextVariant::kRaw, "test");
  EXPECT_NE(wiki.status().message().find("/nonexistent/wiki.test.raw"), std::string::npos);
}

TEST(TextCorpusRealDataTest, WikiText2TokenCountsMatchTheLiterature) {
  std::optional<std::string> dir = sf::runtime::SharedDataDir("wikitext-2");
  if (!dir) GTEST_SKIP() << sf::runtime::SharedDataSkipReason("wikitext-2");
  absl::StatusOr<std::string> train = WikiTextFile(*dir, WikiTextVariant::kTokens, "train");
  absl::StatusOr<std::string> valid = WikiTextFile(*dir, WikiTextVariant::kTokens, "valid");
  ASSERT_TRUE(train.ok() && valid.ok());
  EXPECT_EQ(ReadWordsWithEos(*train)->size(), 2088628u);
  EXPECT_EQ(ReadWordsWithEos(*valid)->size(), 217646u);
}

}  // namespace
}  // namespace sf::datasets
