#include "tokenization/word_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tokenization/random_text.h"

namespace sf::tokenization {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<std::string>& Corpus() {
  static const std::vector<std::string> corpus = {
      "A great film.<br /><br />Great acting, GREAT story!",
      "Not a great film: the story was thin.",
      "Café scenes were lovely; the café itself is in Paris.",
      "Ωραία ταινία! Ωραία!",
  };
  return corpus;
}

std::unique_ptr<WordTokenizer> Train(const VocabularyOptions& vocab = VocabularyOptions()) {
  absl::StatusOr<std::unique_ptr<WordTokenizer>> tok =
      WordTokenizer::Train(Corpus(), WordTokenizerOptions(), vocab);
  EXPECT_TRUE(tok.ok()) << tok.status();
  return tok.ok() ? *std::move(tok) : nullptr;
}

std::vector<std::string> Tokens(const Tokenizer& tok, absl::string_view text) {
  std::vector<std::string> out;
  const std::vector<TokenId> ids = *tok.Encode(text);
  for (TokenId id : ids) out.push_back(*tok.IdToToken(id));
  return out;
}

TEST(WordTokenizerTest, VocabularyIsOrderedByFrequency) {
  std::unique_ptr<WordTokenizer> tok = Train();
  // "great" (4 times, case folded) is the most frequent word.
  EXPECT_EQ(tok->vocabulary().Token(6), "great");
  EXPECT_EQ(tok->type(), "word");
  EXPECT_EQ(*tok->TokenToId("<pad>"), 0);
}

TEST(WordTokenizerTest, EncodesNormalisedWords) {
  std::unique_ptr<WordTokenizer> tok = Train();
  EXPECT_THAT(Tokens(*tok, "GREAT film!<br />The  CAFÉ"),
              ElementsAre("great", "film", "!", "the", "café"));
  EXPECT_THAT(Tokens(*tok, "ΩΡΑΊΑ ταινία"), ElementsAre("ωραία", "ταινία"));
}

TEST(WordTokenizerTest, UnknownWordsBecomeUnk) {
  std::unique_ptr<WordTokenizer> tok = Train();
  const TokenId unk = *tok->special_id(SpecialToken::kUnk);
  const std::vector<TokenId> ids = *tok->Encode("great zebra 東京");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[1], unk);
  EXPECT_EQ(ids[2], unk);
  EXPECT_EQ(*tok->Decode(ids), "great <unk> <unk>");
  EXPECT_EQ(*tok->Decode(ids, DecodeOptions().SkipSpecialTokens(true)), "great");
}

TEST(WordTokenizerTest, EmptyAndBlankInput) {
  std::unique_ptr<WordTokenizer> tok = Train();
  EXPECT_TRUE(tok->Encode("")->empty());
  EXPECT_TRUE(tok->Encode(" \n<br />\t")->empty());
  EXPECT_THAT(*tok->Encode("", EncodeOptions().AddCls(true)),
              ElementsAre(*tok->special_id(SpecialToken::kCls)));
}

TEST(WordTokenizerTest, VeryLongInput) {
  std::unique_ptr<WordTokenizer> tok = Train();
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "great film, ";
  const std::vector<TokenId> ids = *tok->Encode(text);
  ASSERT_EQ(ids.size(), 300000u);
  EXPECT_EQ(ids[299999], *tok->TokenToId(","));
}

TEST(WordTokenizerTest, InvalidUtf8IsReplacedOrRejected) {
  std::unique_ptr<WordTokenizer> tok = Train();
  EXPECT_THAT(Tokens(*tok,
                     "great \xFF"
                     "film"),
              ElementsAre("great", "<unk>", "film"));

  absl::StatusOr<std::unique_ptr<WordTokenizer>> strict = WordTokenizer::Create(
      tok->vocabulary(),
      WordTokenizerOptions().WithNormalizer(
          NormalizerOptions().Lowercase(true).InvalidUtf8(InvalidUtf8Policy::kReject)));
  ASSERT_TRUE(strict.ok());
  absl::StatusOr<std::vector<TokenId>> ids = (*strict)->Encode(
      "great \xFF"
      "film");
  EXPECT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ids.status().message(), HasSubstr("byte offset 6"));
  absl::StatusOr<std::vector<std::vector<TokenId>>> batch =
      (*strict)->EncodeBatch({"fine", "also fine", "bad \xC3"});
  EXPECT_THAT(batch.status().message(), HasSubstr("text 2: invalid UTF-8 at byte offset 4"));
}

TEST(WordTokenizerTest, MinFreqAndMaxSize) {
  std::unique_ptr<WordTokenizer> frequent = Train(VocabularyOptions().MinFreq(2));
  EXPECT_TRUE(frequent->TokenToId("film").has_value());
  EXPECT_FALSE(frequent->TokenToId("paris").has_value());
  std::unique_ptr<WordTokenizer> small = Train(VocabularyOptions().MaxSize(8));
  EXPECT_EQ(small->vocab_size(), 8);
}

TEST(WordTokenizerTest, TrainingIsDeterministicAcrossThreadCounts) {
  std::vector<std::string> texts;
  for (int i = 0; i < 2000; ++i) texts.push_back(absl::StrCat("w", i % 97, " x", i % 13, " y"));
  absl::StatusOr<std::unique_ptr<WordTokenizer>> one =
      WordTokenizer::Train(texts, WordTokenizerOptions(), VocabularyOptions(), 1);
  absl::StatusOr<std::unique_ptr<WordTokenizer>> many =
      WordTokenizer::Train(texts, WordTokenizerOptions(), VocabularyOptions(), 4);
  ASSERT_TRUE(one.ok() && many.ok());
  EXPECT_EQ((*one)->vocabulary(), (*many)->vocabulary());
  // "w12" splits into "w" "12": the letters w x y and the numbers 0..96.
  EXPECT_EQ((*one)->vocab_size(), 6 + 3 + 97);
}

TEST(WordTokenizerTest, WhitespaceSplitKeepsWikiTextUnk) {
  const WordTokenizerOptions options = WordTokenizerOptions()
                                           .WithNormalizer(NormalizerOptions())
                                           .WithPreTokenizer(PreTokenizerKind::kWhitespace);
  absl::StatusOr<std::unique_ptr<WordTokenizer>> tok = WordTokenizer::Train(
      {" = Valkyria <unk> = \n", " role @-@ playing <unk> \n"}, options, VocabularyOptions());
  ASSERT_TRUE(tok.ok());
  const std::vector<TokenId> ids = *(*tok)->Encode("<unk> @-@ Valkyria");
  EXPECT_EQ(ids[0], *(*tok)->special_id(SpecialToken::kUnk));
  EXPECT_EQ(*(*tok)->Decode(ids), "<unk> @-@ Valkyria");
  EXPECT_EQ((*tok)->vocab_size(), 6 + 5);
}

TEST(WordTokenizerTest, PiecesShowWhatIsLookedUp) {
  std::unique_ptr<WordTokenizer> tok = Train();
  EXPECT_THAT(*tok->Pieces("Loved it!<br />10/10"),
              ElementsAre("loved", "it", "!", "10", "/", "10"));
}

// ASCII text whose normalisation changes only case and whitespace is split without being
// normalised first (see EncodeTo); every options combination must still look up exactly the
// pieces of the normalised text.
TEST(WordTokenizerTest, EncodeLooksUpThePiecesForEveryOptionCombination) {
  static constexpr char kAscii[] = "aAbBzZ09'.,;<>/&#  \t\n\r\x01\x7f";
  std::mt19937 rng(7);
  std::vector<std::string> texts = {"", " ", "Don't <b>STOP</b> &amp; 3.14, 1,000 ok'd \x01x"};
  for (int i = 0; i < 300; ++i) {
    std::string text;
    const int length = static_cast<int>(rng() % 40);
    for (int j = 0; j < length; ++j) text.push_back(kAscii[rng() % (sizeof(kAscii) - 1)]);
    texts.push_back(text);
    texts.push_back(RandomUtf8(&rng, 20) + text);
  }
  for (int flags = 0; flags < 16; ++flags) {
    const WordTokenizerOptions options =
        WordTokenizerOptions()
            .WithNormalizer(NormalizerOptions()
                                .Lowercase(flags & 1)
                                .StripHtml(flags & 2)
                                .RemoveControl(flags & 4)
                                .FoldWhitespace(true))
            .WithPreTokenizer((flags & 8) ? PreTokenizerKind::kWhitespace
                                          : PreTokenizerKind::kWords);
    // Trained on half the texts, so the other half also meets unknown pieces.
    const std::vector<std::string> half(texts.begin(), texts.begin() + texts.size() / 2);
    absl::StatusOr<std::unique_ptr<WordTokenizer>> tok =
        WordTokenizer::Train(half, options, VocabularyOptions());
    ASSERT_TRUE(tok.ok()) << tok.status();
    const TokenId unk = *(*tok)->special_id(SpecialToken::kUnk);
    for (const std::string& text : texts) {
      const absl::StatusOr<std::vector<std::string>> pieces = (*tok)->Pieces(text);
      ASSERT_TRUE(pieces.ok()) << pieces.status();
      std::vector<TokenId> expected;
      for (const std::string& piece : *pieces) {
        expected.push_back((*tok)->TokenToId(piece).value_or(unk));
      }
      EXPECT_EQ(*(*tok)->Encode(text), expected) << "flags " << flags << ", text '" << text << "'";
    }
  }
}

TEST(WordTokenizerTest, CreateRejectsUnusableSetups) {
  absl::StatusOr<Vocabulary> no_unk = Vocabulary::FromTokens({"a"}, {});
  ASSERT_TRUE(no_unk.ok());
  EXPECT_THAT(WordTokenizer::Create(*no_unk).status().message(), HasSubstr("unk"));
  absl::StatusOr<Vocabulary> vocab =
      Vocabulary::FromTokens({"<unk>"}, {{SpecialToken::kUnk, "<unk>"}});
  EXPECT_THAT(WordTokenizer::Create(
                  *vocab, WordTokenizerOptions().WithPreTokenizer(PreTokenizerKind::kGpt2))
                  .status()
                  .message(),
              HasSubstr("gpt2"));
  EXPECT_FALSE(WordTokenizer::Train(Corpus(), WordTokenizerOptions(),
                                    VocabularyOptions().Specials({SpecialToken::kPad}))
                   .ok());
}

}  // namespace
}  // namespace sf::tokenization
