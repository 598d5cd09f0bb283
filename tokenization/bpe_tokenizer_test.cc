#include "tokenization/bpe_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tokenization/byte_level.h"
#include "tokenization/random_text.h"

namespace sf::tokenization {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A vocabulary of <|endoftext|>, the 256 bytes and the merged tokens of `merges` (given as
// raw bytes), in that order.
std::unique_ptr<BpeTokenizer> Make(const std::vector<std::pair<std::string, std::string>>& merges,
                                   const BpeOptions& options = BpeOptions()) {
  std::vector<std::string> tokens = {"<|endoftext|>"};
  for (int b = 0; b < 256; ++b)
    tokens.push_back(BytesToByteLevel(std::string(1, static_cast<char>(b))));
  std::vector<BpeTokenizer::Merge> spelled;
  for (const auto& [l, r] : merges) {
    tokens.push_back(BytesToByteLevel(l + r));
    spelled.emplace_back(BytesToByteLevel(l), BytesToByteLevel(r));
  }
  absl::StatusOr<Vocabulary> vocab = Vocabulary::FromTokens(
      tokens, {{SpecialToken::kBos, "<|endoftext|>"}, {SpecialToken::kEos, "<|endoftext|>"}});
  EXPECT_TRUE(vocab.ok()) << vocab.status();
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> tok =
      BpeTokenizer::Create(*std::move(vocab), spelled, options);
  EXPECT_TRUE(tok.ok()) << tok.status();
  return tok.ok() ? *std::move(tok) : nullptr;
}

std::vector<std::string> Pieces(const BpeTokenizer& tok, absl::string_view text) {
  std::vector<std::string> out;
  const std::vector<TokenId> ids = *tok.Encode(text);
  for (TokenId id : ids) out.push_back(tok.TokenBytes(id));
  return out;
}

std::unique_ptr<BpeTokenizer> HelloWorld() {
  return Make(
      {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {" ", "w"}, {"o", "r"}, {" w", "or"}});
}

TEST(BpeTokenizerTest, AppliesMergesWithinPieces) {
  std::unique_ptr<BpeTokenizer> tok = HelloWorld();
  EXPECT_THAT(Pieces(*tok, "hello world"), ElementsAre("hello", " wor", "l", "d"));
  EXPECT_THAT(*tok->Encode("hello"), ElementsAre(*tok->TokenToId("hello")));
  // Merges never cross pre-tokeniser pieces: "o" and " w" stay apart.
  EXPECT_THAT(Pieces(*tok, "hellow"), ElementsAre("hello", "w"));
  EXPECT_EQ(tok->type(), "bpe");
}

TEST(BpeTokenizerTest, LowerRankWins) {
  EXPECT_THAT(Pieces(*Make({{"b", "c"}, {"a", "b"}}), "abc"), ElementsAre("a", "bc"));
  EXPECT_THAT(Pieces(*Make({{"a", "b"}, {"b", "c"}}), "abc"), ElementsAre("ab", "c"));
}

TEST(BpeTokenizerTest, EqualPairsMergeLeftToRight) {
  std::unique_ptr<BpeTokenizer> tok = Make({{"a", "a"}});
  EXPECT_THAT(Pieces(*tok, "aaa"), ElementsAre("aa", "a"));
  EXPECT_THAT(Pieces(*Make({{"a", "a"}, {"aa", "aa"}}), "aaaaa"), ElementsAre("aaaa", "a"));
}

// GPT-2's reference loop (encoder.py's bpe()): merge every occurrence of the lowest-ranked pair
// left to right, repeat. The heap encoder must agree with it.
std::vector<std::string> ReferenceBpe(
    const std::string& word, const std::vector<std::pair<std::string, std::string>>& merges) {
  std::vector<std::string> parts;
  for (char c : word) parts.emplace_back(1, c);
  while (parts.size() > 1) {
    size_t best = merges.size();
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      for (size_t r = 0; r < best; ++r) {
        if (merges[r].first == parts[i] && merges[r].second == parts[i + 1]) best = r;
      }
    }
    if (best == merges.size()) break;
    std::vector<std::string> next;
    for (size_t i = 0; i < parts.size();) {
      if (i + 1 < parts.size() && parts[i] == merges[best].first &&
          parts[i + 1] == merges[best].second) {
        next.push_back(parts[i] + parts[i + 1]);
        i += 2;
      } else {
        next.push_back(parts[i++]);
      }
    }
    parts = std::move(next);
  }
  return parts;
}

TEST(BpeTokenizerTest, HeapEncoderAgreesWithGpt2ReferenceLoop) {
  std::mt19937 rng(17);
  for (int trial = 0; trial < 20; ++trial) {
    // A random but well-formed merge list over {a, b, c}: each merge builds a new token from
    // two existing ones.
    std::vector<std::string> known = {"a", "b", "c"};
    std::vector<std::pair<std::string, std::string>> merges;
    while (merges.size() < 40) {
      const std::string& l = known[rng() % known.size()];
      const std::string& r = known[rng() % known.size()];
      if (l.size() + r.size() > 8) continue;
      const std::string m = l + r;
      if (std::find(known.begin(), known.end(), m) != known.end()) continue;
      merges.emplace_back(l, r);
      known.push_back(m);
    }
    std::unique_ptr<BpeTokenizer> tok = Make(merges);
    for (int i = 0; i < 200; ++i) {
      std::string word(1 + rng() % 24, 'a');
      for (char& c : word) c = static_cast<char>('a' + rng() % 3);
      std::vector<TokenId> ids;
      tok->EncodePieceUncached(word, &ids);
      std::vector<std::string> got;
      for (TokenId id : ids) got.push_back(tok->TokenBytes(id));
      ASSERT_EQ(got, ReferenceBpe(word, merges)) << word;
    }
  }
}

TEST(BpeTokenizerTest, RoundTripsRandomUtf8) {
  std::unique_ptr<BpeTokenizer> tok = HelloWorld();
  std::mt19937 rng(23);
  for (int i = 0; i < 3000; ++i) {
    const std::string text = RandomUtf8(&rng, 40);
    absl::StatusOr<std::vector<TokenId>> ids = tok->Encode(text);
    ASSERT_TRUE(ids.ok());
    ASSERT_EQ(*tok->Decode(*ids), text);
  }
}

TEST(BpeTokenizerTest, NonAsciiTextUsesByteTokens) {
  std::unique_ptr<BpeTokenizer> tok = HelloWorld();
  const std::vector<TokenId> ids = *tok->Encode("€");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(*tok->IdToToken(ids[0]), "â");
  EXPECT_EQ(*tok->IdToToken(ids[1]), "Ĥ");
  EXPECT_EQ(*tok->IdToToken(ids[2]), "¬");
  EXPECT_EQ(*tok->Decode(ids), "€");
  // Part of a character decodes to U+FFFD.
  EXPECT_EQ(*tok->Decode({ids[0], ids[1]}), "\uFFFD");
}

TEST(BpeTokenizerTest, SpecialTextIsNotASpecialToken) {
  std::unique_ptr<BpeTokenizer> tok = HelloWorld();
  const TokenId eot = *tok->special_id(SpecialToken::kEos);
  const std::vector<TokenId> ids = *tok->Encode("<|endoftext|>", EncodeOptions().AddEos(true));
  EXPECT_GT(ids.size(), 2u);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), eot), 1);
  EXPECT_EQ(ids.back(), eot);
  EXPECT_EQ(*tok->Decode(ids), "<|endoftext|><|endoftext|>");
  EXPECT_EQ(*tok->Decode(ids, DecodeOptions().SkipSpecialTokens(true)), "<|endoftext|>");
}

TEST(BpeTokenizerTest, EmptyAndVeryLongInput) {
  std::unique_ptr<BpeTokenizer> tok = Make({{"a", "a"}, {"aa", "aa"}, {"aaaa", "aaaa"}});
  EXPECT_TRUE(tok->Encode("")->empty());
  // One megabyte without a break is one piece: the heap keeps it O(n log n).
  const std::string long_word(1 << 20, 'a');
  const std::vector<TokenId> ids = *tok->Encode(long_word);
  EXPECT_EQ(ids.size(), (1u << 20) / 8);
  EXPECT_EQ(*tok->Decode(ids), long_word);
}

TEST(BpeTokenizerTest, CacheDoesNotChangeResults) {
  std::unique_ptr<BpeTokenizer> cached = HelloWorld();
  std::unique_ptr<BpeTokenizer> uncached = Make(
      {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {" ", "w"}, {"o", "r"}, {" w", "or"}},
      BpeOptions().CacheCapacity(0));
  std::vector<std::string> texts;
  std::mt19937 rng(9);
  for (int i = 0; i < 400; ++i)
    texts.push_back(i % 2 ? "hello world, hello" : RandomUtf8(&rng, 20));
  const auto first = cached->EncodeBatch(texts, {}, 4);
  EXPECT_GT(cached->cache_size(), 0);
  const auto second = cached->EncodeBatch(texts, {}, 4);
  const auto reference = uncached->EncodeBatch(texts, {}, 1);
  ASSERT_TRUE(first.ok() && second.ok() && reference.ok());
  EXPECT_EQ(*first, *reference);
  EXPECT_EQ(*second, *reference);
  EXPECT_EQ(uncached->cache_size(), 0);
  cached->ClearCache();
  EXPECT_EQ(cached->cache_size(), 0);
}

TEST(BpeTokenizerTest, SmallCacheStaysBounded) {
  std::unique_ptr<BpeTokenizer> tok = Make({{"a", "b"}}, BpeOptions().CacheCapacity(64));
  std::string text;
  for (int i = 0; i < 5000; ++i) text += " ab" + std::to_string(i) + "x";
  ASSERT_TRUE(tok->Encode(text).ok());
  EXPECT_LE(tok->cache_size(), 64);
}

TEST(BpeTokenizerTest, InvalidUtf8IsReplacedOrRejected) {
  std::unique_ptr<BpeTokenizer> tok = HelloWorld();
  EXPECT_EQ(*tok->Decode(*tok->Encode("he\xFFllo")), "he\uFFFDllo");
  std::unique_ptr<BpeTokenizer> strict = Make(
      {}, BpeOptions().WithNormalizer(NormalizerOptions().InvalidUtf8(InvalidUtf8Policy::kReject)));
  EXPECT_THAT(strict->Encode("he\xFFllo").status().message(), HasSubstr("byte offset 2"));
}

TEST(BpeTokenizerTest, CreateValidatesVocabularyAndMerges) {
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b)
    bytes.push_back(BytesToByteLevel(std::string(1, static_cast<char>(b))));
  std::vector<std::string> short_vocab(bytes.begin() + 1, bytes.end());
  EXPECT_THAT(BpeTokenizer::Create(*Vocabulary::FromTokens(short_vocab, {}), {}).status().message(),
              HasSubstr("of byte 0"));

  std::vector<std::string> with_ab = bytes;
  with_ab.push_back("ab");
  EXPECT_THAT(
      BpeTokenizer::Create(*Vocabulary::FromTokens(with_ab, {}), {{"a", "c"}}).status().message(),
      HasSubstr("merge 0 ('a' 'c'): its merged token is not in the vocabulary"));
  EXPECT_THAT(BpeTokenizer::Create(*Vocabulary::FromTokens(with_ab, {}), {{"a", "b"}, {"a", "b"}})
                  .status()
                  .message(),
              HasSubstr("merge 1 ('a' 'b') repeats merge 0"));
  EXPECT_THAT(BpeTokenizer::Create(*Vocabulary::FromTokens(with_ab, {{SpecialToken::kPad, "ab"}}),
                                   {{"a", "b"}})
                  .status()
                  .message(),
              HasSubstr("special token 'ab'"));
  // A special spelled as a byte token takes that token from the byte alphabet.
  EXPECT_THAT(
      BpeTokenizer::Create(*Vocabulary::FromTokens(bytes, {{SpecialToken::kPad, "a"}}), {})
          .status()
          .message(),
      HasSubstr("the token 'a' of byte 97 is a special token (pad): byte-level BPE needs all 256 "
                "byte tokens as ordinary tokens"));
  std::vector<std::string> foreign = bytes;
  foreign.push_back("€");
  EXPECT_THAT(BpeTokenizer::Create(*Vocabulary::FromTokens(foreign, {}), {}).status().message(),
              HasSubstr("vocabulary token 256"));
}

}  // namespace
}  // namespace sf::tokenization
