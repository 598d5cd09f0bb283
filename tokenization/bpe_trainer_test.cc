#include "tokenization/bpe_trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "runtime/test_data.h"
#include "tokenization/byte_level.h"
#include "tokenization/random_text.h"

namespace sf::tokenization {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Merges = std::vector<ByteMerge>;

// Sennrich et al.'s example corpus, worked by hand (ties go to the byte-wise smaller pair):
//   counts  e s 9, s t 9, w e 8, l o 7, o w 7, n e 6, e w 6, ...
//   1 (e,s)  tie with (s,t) at 9, "e" < "s"
//   2 (es,t) 9
//   3 (l,o)  tie with (o,w) at 7
//   4 (lo,w) 7
//   5 (e,w)  tie at 6 with (n,e) and (w,est): "e" < "n" < "w"
//   6 (ew,est), 7 (n,ewest)                      6
//   8 (d,est), 9 (i,dest), 10 (w,idest)          3, ties broken the same way
//   11 (e,r), 12 (low,er)                        2
TEST(LearnBpeMergesTest, HandComputedSennrichExample) {
  const absl::flat_hash_map<std::string, int64_t> words = {
      {"low", 5}, {"lower", 2}, {"newest", 6}, {"widest", 3}};
  const Merges expected = {{"e", "s"},    {"es", "t"},    {"l", "o"},     {"lo", "w"},
                           {"e", "w"},    {"ew", "est"},  {"n", "ewest"}, {"d", "est"},
                           {"i", "dest"}, {"w", "idest"}, {"e", "r"},     {"low", "er"}};
  EXPECT_EQ(LearnBpeMerges(words, 100, 1), expected);
  EXPECT_EQ(LearnBpeMerges(words, 100, 3), Merges(expected.begin(), expected.begin() + 10));
  EXPECT_EQ(LearnBpeMerges(words, 4, 1), Merges(expected.begin(), expected.begin() + 4));
  EXPECT_TRUE(LearnBpeMerges({}, 10, 1).empty());
}

TEST(LearnBpeMergesTest, OverlappingPairsAreCountedOnce) {
  // "aaaa" x1 holds (a,a) three times, but merging gives "aa aa", then (aa,aa).
  EXPECT_EQ(LearnBpeMerges({{"aaaa", 1}}, 10, 1), Merges({{"a", "a"}, {"aa", "aa"}}));
  // "aaa": after (a,a) only "aa a" remains.
  EXPECT_EQ(LearnBpeMerges({{"aaa", 2}}, 10, 1), Merges({{"a", "a"}, {"aa", "a"}}));
}

TEST(LearnBpeMergesTest, ForbiddenTokensAreNeverBuilt) {
  const Merges merges = LearnBpeMerges({{"<pad>", 100}}, 10, 1, {"<pad>"});
  for (const auto& [l, r] : merges) EXPECT_NE(l + r, "<pad>");
  EXPECT_EQ(merges.size(), 3u);  // "<p", "<pa", "<pad", but never "<pad>"
}

// Recomputes every pair count from scratch at each step: slow but obviously right.
Merges NaiveMerges(const std::map<std::string, int64_t>& word_counts, int64_t num_new_tokens) {
  std::vector<std::pair<std::vector<std::string>, int64_t>> words;
  for (const auto& [w, c] : word_counts) {
    std::vector<std::string> symbols;
    for (char ch : w) symbols.emplace_back(1, ch);
    words.emplace_back(symbols, c);
  }
  std::set<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.insert(std::string(1, static_cast<char>(b)));
  Merges merges;
  int64_t created = 0;
  while (created < num_new_tokens) {
    std::map<std::pair<std::string, std::string>, int64_t> counts;
    for (const auto& [symbols, c] : words) {
      for (size_t i = 0; i + 1 < symbols.size(); ++i) counts[{symbols[i], symbols[i + 1]}] += c;
    }
    const std::pair<std::string, std::string>* best = nullptr;
    int64_t best_count = 0;
    for (const auto& [pair, c] : counts) {  // std::map: byte order, so the first max wins ties
      if (c > best_count) {
        best = &pair;
        best_count = c;
      }
    }
    if (best == nullptr) break;
    const auto [a, b] = *best;
    merges.emplace_back(a, b);
    created += tokens.insert(a + b).second;
    for (auto& [symbols, c] : words) {
      std::vector<std::string> next;
      for (size_t i = 0; i < symbols.size();) {
        if (i + 1 < symbols.size() && symbols[i] == a && symbols[i + 1] == b) {
          next.push_back(a + b);
          i += 2;
        } else {
          next.push_back(symbols[i++]);
        }
      }
      symbols = std::move(next);
    }
  }
  return merges;
}

TEST(LearnBpeMergesTest, IncrementalCountsMatchRecountingFromScratch) {
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 30; ++trial) {
    std::map<std::string, int64_t> ordered;
    absl::flat_hash_map<std::string, int64_t> words;
    for (int i = 0; i < 40; ++i) {
      std::string w(1 + rng() % 10, 'a');
      for (char& c : w) c = static_cast<char>('a' + rng() % 4);
      const int64_t count = 1 + rng() % 20;
      ordered[w] += count;
      words[w] += count;
    }
    ASSERT_EQ(LearnBpeMerges(words, 60, 1), NaiveMerges(ordered, 60)) << "trial " << trial;
  }
}

const std::vector<std::string>& SmallCorpus() {
  static const std::vector<std::string> corpus = [] {
    std::vector<std::string> lines;
    for (int i = 0; i < 200; ++i) {
      lines.push_back("the lowest newer widest lower low low newest, the end.");
      lines.push_back("Hello world! Hello there, world. 1234 5678");
    }
    return lines;
  }();
  return corpus;
}

TEST(TrainBpeTest, BuildsTheRequestedVocabulary) {
  BpeTrainingStats stats;
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> tok =
      TrainBpe(SmallCorpus(), BpeTrainerOptions().VocabSize(6 + 256 + 40), &stats);
  ASSERT_TRUE(tok.ok()) << tok.status();
  EXPECT_EQ((*tok)->vocab_size(), 6 + 256 + 40);
  EXPECT_EQ(stats.merges, 40);
  EXPECT_EQ(stats.total_words, 200 * (12 + 10));
  EXPECT_EQ((*tok)->vocabulary().Token(0), "<pad>");
  EXPECT_EQ((*tok)->vocabulary().Token(6), BytesToByteLevel(std::string(1, '\0')));
  // The most frequent words end up whole.
  EXPECT_THAT(*(*tok)->Encode(" Hello world"),
              ElementsAre(*(*tok)->TokenToId("ĠHello"), *(*tok)->TokenToId("Ġworld")));
  EXPECT_EQ(*(*tok)->Decode(*(*tok)->Encode(SmallCorpus()[0])), SmallCorpus()[0]);
}

TEST(TrainBpeTest, StopsWhenPairsBecomeRare) {
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> tok =
      TrainBpe({"ab ab ab cd"}, BpeTrainerOptions().VocabSize(1000).MinPairFrequency(2));
  ASSERT_TRUE(tok.ok());
  // (a,b) x3, (Ġ,ab) x2: "cd" and "Ġc" occur once.
  EXPECT_THAT((*tok)->merges(),
              ElementsAre(BpeTokenizer::Merge{"a", "b"}, BpeTokenizer::Merge{"Ġ", "ab"}));
}

TEST(TrainBpeTest, DeterministicAcrossThreadCounts) {
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> one =
      TrainBpe(SmallCorpus(), BpeTrainerOptions().VocabSize(320).Threads(1));
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> four =
      TrainBpe(SmallCorpus(), BpeTrainerOptions().VocabSize(320).Threads(4));
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_EQ((*one)->vocabulary(), (*four)->vocabulary());
  EXPECT_EQ((*one)->merges(), (*four)->merges());
}

TEST(TrainBpeTest, TextCannotProduceSpecialIds) {
  std::vector<std::string> corpus(300, "<pad> <mask><pad>");
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> tok =
      TrainBpe(corpus, BpeTrainerOptions().VocabSize(400));
  ASSERT_TRUE(tok.ok()) << tok.status();
  const std::vector<TokenId> ids = *(*tok)->Encode("<pad> <mask><pad>");
  for (TokenId id : ids) {
    EXPECT_FALSE((*tok)->vocabulary().IsSpecial(id)) << id;
  }
}

TEST(TrainBpeTest, RoundTripsRandomUtf8) {
  std::mt19937 rng(8);
  std::vector<std::string> corpus;
  for (int i = 0; i < 300; ++i) corpus.push_back(RandomUtf8(&rng, 60));
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> tok =
      TrainBpe(corpus, BpeTrainerOptions().VocabSize(600).MinPairFrequency(1));
  ASSERT_TRUE(tok.ok()) << tok.status();
  for (int i = 0; i < 2000; ++i) {
    const std::string text = i < 300 ? corpus[i] : RandomUtf8(&rng, 60);
    absl::StatusOr<std::vector<TokenId>> ids = (*tok)->Encode(text);
    ASSERT_TRUE(ids.ok());
    ASSERT_EQ(*(*tok)->Decode(*ids), text);
  }
}

TEST(TrainBpeTest, Errors) {
  EXPECT_THAT(TrainBpe(SmallCorpus(), BpeTrainerOptions().VocabSize(200)).status().message(),
              HasSubstr("vocab_size 200"));
  EXPECT_THAT(TrainBpe(SmallCorpus(), BpeTrainerOptions().MinPairFrequency(0)).status().message(),
              HasSubstr("min_pair_frequency"));
  BpeOptions strict;
  strict.normalizer.invalid_utf8 = InvalidUtf8Policy::kReject;
  EXPECT_THAT(TrainBpe({"ok", "ok", "bad\xFF"}, BpeTrainerOptions().WithTokenizer(strict))
                  .status()
                  .message(),
              HasSubstr("text 2: invalid UTF-8 at byte offset 3"));
}

TEST(TrainBpeTest, RealWikiText) {
  std::optional<std::string> dir = sf::runtime::SharedDataDir("wikitext-2-raw");
  if (!dir) GTEST_SKIP() << sf::runtime::SharedDataSkipReason("wikitext-2-raw");
  std::ifstream in(*dir + "/wiki.valid.raw", std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  ASSERT_GT(text.size(), 1000000u);
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (size_t i = 0; i + 1 < lines.size(); ++i) lines[i] += '\n';
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> tok =
      TrainBpe(lines, BpeTrainerOptions().VocabSize(4000).Threads(0));
  ASSERT_TRUE(tok.ok()) << tok.status();
  EXPECT_EQ((*tok)->vocab_size(), 4000);
  absl::StatusOr<std::vector<std::vector<TokenId>>> ids = (*tok)->EncodeBatch(lines, {}, 0);
  ASSERT_TRUE(ids.ok());
  size_t tokens = 0;
  std::string decoded;
  for (const auto& line : *ids) {
    tokens += line.size();
    decoded += *(*tok)->Decode(line);
  }
  EXPECT_EQ(decoded, text);
  // A 4k vocabulary on English prose compresses to well over 3 bytes per token.
  EXPECT_GT(static_cast<double>(text.size()) / tokens, 3.0);
}

}  // namespace
}  // namespace sf::tokenization
