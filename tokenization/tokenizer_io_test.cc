#include "tokenization/tokenizer_io.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tokenization/bpe_trainer.h"
#include "tokenization/byte_level.h"

namespace sf::tokenization {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const std::vector<std::string>& Corpus() {
  static const std::vector<std::string> corpus = {
      "A fine film.<br />Fine acting, naïve plot — 5/10.", "Ωραία ταινία! Fine, fine.",
      "Hello world, hello there.", "東京タワー is tall.\n\nVery tall."};
  return corpus;
}

const std::vector<std::string>& Probes() {
  static const std::vector<std::string> probes = {"", "A FINE film!", "unseen words ☃ 😀",
                                                  "  spaces  \n\ttabs", "東京 tall"};
  return probes;
}

void ExpectSameBehaviour(const Tokenizer& a, const Tokenizer& b) {
  EXPECT_EQ(a.type(), b.type());
  EXPECT_EQ(a.vocabulary(), b.vocabulary());
  for (const std::string& text : Probes()) {
    EXPECT_EQ(*a.Encode(text), *b.Encode(text)) << text;
    EXPECT_EQ(*a.Decode(*a.Encode(text)), *b.Decode(*b.Encode(text))) << text;
  }
}

TEST(TokenizerIoTest, WordTokenizerSurvivesSaveAndLoad) {
  const WordTokenizerOptions options = WordTokenizerOptions().WithNormalizer(
      NormalizerOptions().Lowercase(true).StripHtml(true).RemoveControl(true).InvalidUtf8(
          InvalidUtf8Policy::kReject));
  std::unique_ptr<WordTokenizer> tok =
      *WordTokenizer::Train(Corpus(), options, VocabularyOptions());
  const std::string path = TempPath("word.json");
  ASSERT_TRUE(SaveTokenizer(*tok, path).ok());
  absl::StatusOr<std::unique_ptr<WordTokenizer>> loaded = LoadWordTokenizer(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->options(), tok->options());
  ExpectSameBehaviour(*tok, **loaded);
  EXPECT_FALSE((*loaded)->Encode("bad \xFF").ok());
}

TEST(TokenizerIoTest, CharTokenizerSurvivesSaveAndLoad) {
  for (bool fallback : {true, false}) {
    std::unique_ptr<CharTokenizer> tok = *CharTokenizer::Train(
        Corpus(), CharTokenizerOptions().ByteFallback(fallback), VocabularyOptions());
    const std::string path = TempPath("char.json");
    ASSERT_TRUE(SaveTokenizer(*tok, path).ok());
    absl::StatusOr<std::unique_ptr<CharTokenizer>> loaded = LoadCharTokenizer(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ((*loaded)->options(), tok->options());
    ExpectSameBehaviour(*tok, **loaded);
  }
}

TEST(TokenizerIoTest, BpeTokenizerSurvivesSaveAndLoad) {
  std::unique_ptr<BpeTokenizer> tok =
      *TrainBpe(Corpus(), BpeTrainerOptions().VocabSize(320).MinPairFrequency(1));
  const std::string path = TempPath("bpe.json");
  ASSERT_TRUE(SaveTokenizer(*tok, path).ok());
  absl::StatusOr<std::unique_ptr<Tokenizer>> any = LoadTokenizer(path);
  ASSERT_TRUE(any.ok()) << any.status();
  ExpectSameBehaviour(*tok, **any);
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> loaded = LoadBpeTokenizer(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)->merges(), tok->merges());
  EXPECT_EQ((*loaded)->options(), tok->options());
  // The file is self-describing.
  const std::string text = ReadFile(path);
  EXPECT_THAT(text, HasSubstr("\"format\": \"scratchformer-tokenizer\""));
  EXPECT_THAT(text, HasSubstr("\"type\": \"bpe\""));
  EXPECT_THAT(text, HasSubstr("\"pre_tokenizer\": \"gpt2\""));
}

TEST(TokenizerIoTest, WrongTypeIsNamed) {
  std::unique_ptr<WordTokenizer> tok =
      *WordTokenizer::Train(Corpus(), WordTokenizerOptions(), VocabularyOptions());
  const std::string path = TempPath("word_for_bpe.json");
  ASSERT_TRUE(SaveTokenizer(*tok, path).ok());
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> bpe = LoadBpeTokenizer(path);
  EXPECT_EQ(bpe.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bpe.status().message(), HasSubstr(path));
  EXPECT_THAT(bpe.status().message(), HasSubstr("holds a 'word' tokenizer, not the 'bpe'"));
}

// Each corruption of a valid file and the words its error must contain.
TEST(TokenizerIoTest, CorruptFilesGiveClearErrors) {
  std::unique_ptr<BpeTokenizer> tok =
      *TrainBpe(Corpus(), BpeTrainerOptions().VocabSize(300).MinPairFrequency(1));
  const std::string good = *TokenizerToJson(*tok);
  struct Case {
    std::string json;
    std::string expected;
  };
  const std::string first_merge =
      absl::StrCat("\"", tok->merges()[0].first, " ", tok->merges()[0].second, "\"");
  const std::vector<Case> cases = {
      {good.substr(0, good.size() / 2), "not valid JSON"},
      {"[1, 2]", "top level must be a JSON object"},
      {"{\"type\": \"bpe\"}", "not a tokenizer file of this library"},
      {absl::StrReplaceAll(good, {{"\"version\": 1", "\"version\": 7"}}),
       "format version 7 is not supported"},
      {absl::StrReplaceAll(good, {{"\"version\": 1", "\"version\": 18446744073709551615"}}),
       "format version 18446744073709551615 is not supported"},
      {absl::StrReplaceAll(good, {{"\"version\": 1", "\"version\": \"1\""}}),
       "field 'version' must be an integer, not string"},
      {absl::StrReplaceAll(good, {{"\"type\": \"bpe\"", "\"type\": \"bpe\", \"type\": \"bpe\""}}),
       "the key 'type' appears twice"},
      {absl::StrReplaceAll(good,
                           {{"\"lowercase\": false", "\"lowercase\": false, \"lowercase\": true"}}),
       "the key 'lowercase' appears twice in 'normalizer'"},
      {absl::StrReplaceAll(good,
                           {{"\"pad\": \"<pad>\"", "\"pad\": \"<pad>\", \"pad\": \"<unk>\""}}),
       "the key 'pad' appears twice in 'specials'"},
      {absl::StrReplaceAll(good, {{"\"type\": \"bpe\"", "\"type\": \"wordpiece\""}}),
       "unknown tokenizer type 'wordpiece'"},
      {absl::StrReplaceAll(good, {{"\"vocab\":", "\"vocabulary\":"}}), "field 'vocab' is missing"},
      {absl::StrReplaceAll(good, {{"\"lowercase\": false", "\"lowercase\": 0"}}),
       "field 'normalizer.lowercase' must be true or false"},
      {absl::StrReplaceAll(good, {{"\"invalid_utf8\": \"replace\"", "\"invalid_utf8\": \"drop\""}}),
       "unknown invalid-UTF-8 policy 'drop'"},
      {absl::StrReplaceAll(good, {{"\"pre_tokenizer\": \"gpt2\"", "\"pre_tokenizer\": \"bert\""}}),
       "unknown pre-tokenizer 'bert'"},
      {absl::StrReplaceAll(good, {{"\"pad\": \"<pad>\"", "\"pad\": \"<padding>\""}}),
       "'<padding>' (pad) is not in the vocabulary"},
      {absl::StrReplaceAll(good, {{"\"pad\": \"<pad>\"", "\"sep\": \"<pad>\""}}),
       "unknown special token role 'sep'"},
      {absl::StrReplaceAll(good, {{"\"pad\": \"<pad>\"", "\"pad\": \"a\""}}),
       "the token 'a' of byte 97 is a special token (pad)"},
      {absl::StrReplaceAll(good, {{"\"<mask>\",", "\"<mask>\", \"<mask>\","}}),
       "'<mask>' appears twice"},
      {absl::StrReplaceAll(good, {{first_merge, "\"nonsense\""}}),
       "merge 0 'nonsense' is not of the form"},
      {absl::StrReplaceAll(good, {{first_merge, "\"q z\""}}),
       "merge 0 ('q' 'z'): its merged token is not in the vocabulary"},
  };
  for (const Case& c : cases) {
    ASSERT_NE(c.json, good) << c.expected;  // the corruption applied
    const std::string path = TempPath("corrupt.json");
    WriteFile(path, c.json);
    absl::StatusOr<std::unique_ptr<Tokenizer>> loaded = LoadTokenizer(path);
    ASSERT_FALSE(loaded.ok()) << c.expected;
    EXPECT_THAT(loaded.status().message(), HasSubstr(path + ": ")) << c.expected;
    EXPECT_THAT(loaded.status().message(), HasSubstr(c.expected));
  }
}

TEST(TokenizerIoTest, MissingFileAndUnwritablePath) {
  absl::StatusOr<std::unique_ptr<Tokenizer>> loaded = LoadTokenizer(TempPath("nope.json"));
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(loaded.status().message(), HasSubstr("nope.json: cannot open"));
  std::unique_ptr<WordTokenizer> tok =
      *WordTokenizer::Train(Corpus(), WordTokenizerOptions(), VocabularyOptions());
  absl::Status saved = SaveTokenizer(*tok, TempPath("no/such/dir/t.json"));
  EXPECT_FALSE(saved.ok());
  EXPECT_THAT(saved.message(), HasSubstr("no/such/dir/t.json"));
}

TEST(TokenizerIoTest, DirectoryIsNamedAsSuch) {
  const std::string dir = TempPath("");
  absl::StatusOr<std::unique_ptr<Tokenizer>> loaded = LoadTokenizer(dir);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr(dir + ": is a directory, not a file"));
}

TEST(TokenizerIoTest, InvalidUtf8TokenCannotBeSaved) {
  absl::StatusOr<std::unique_ptr<WordTokenizer>> tok = WordTokenizer::Create(
      *Vocabulary::FromTokens({"<unk>", "bad\xFF"}, {{SpecialToken::kUnk, "<unk>"}}));
  ASSERT_TRUE(tok.ok());
  EXPECT_THAT(SaveTokenizer(**tok, TempPath("bad.json")).message(), HasSubstr("UTF-8"));
}

// A miniature GPT-2 file pair: the byte alphabet, three merges and <|endoftext|>.
void WriteGpt2Files(const std::string& vocab_path, const std::string& merges_path) {
  std::string vocab = "{";
  for (int b = 0; b < 256; ++b) {
    std::string token = BytesToByteLevel(std::string(1, static_cast<char>(b)));
    if (token == "\"" || token == "\\") token = "\\" + token;
    absl::StrAppend(&vocab, "\"", token, "\": ", b, ", ");
  }
  absl::StrAppend(&vocab, "\"Ġw\": 256, \"or\": 257, \"Ġwor\": 258, \"<|endoftext|>\": 259}");
  WriteFile(vocab_path, vocab);
  WriteFile(merges_path, "#version: 0.2\nĠ w\no r\nĠw or\n");
}

TEST(Gpt2FilesTest, ReadsVocabJsonAndMergesTxt) {
  const std::string vocab = TempPath("vocab.json"), merges = TempPath("merges.txt");
  WriteGpt2Files(vocab, merges);
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> tok = LoadGpt2Tokenizer(vocab, merges);
  ASSERT_TRUE(tok.ok()) << tok.status();
  EXPECT_EQ((*tok)->vocab_size(), 260);
  EXPECT_THAT(*(*tok)->Encode(" world", EncodeOptions().AddEos(true)),
              ElementsAre(258, *(*tok)->TokenToId("l"), *(*tok)->TokenToId("d"), 259));
  EXPECT_EQ((*tok)->special_id(SpecialToken::kBos), 259);
  EXPECT_EQ(*(*tok)->Decode(*(*tok)->Encode("Hello world")), "Hello world");
  // Saved in the library's own format, it loads back the same.
  const std::string path = TempPath("gpt2_as_ours.json");
  ASSERT_TRUE(SaveTokenizer(**tok, path).ok());
  absl::StatusOr<std::unique_ptr<Tokenizer>> again = LoadTokenizer(path);
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectSameBehaviour(**tok, **again);
}

TEST(Gpt2FilesTest, BadFilesAreNamed) {
  const std::string vocab = TempPath("vocab2.json"), merges = TempPath("merges2.txt");
  WriteGpt2Files(vocab, merges);
  WriteFile(merges, "#version: 0.2\nĠ w\nbroken-line\n");
  EXPECT_THAT(LoadGpt2Tokenizer(vocab, merges).status().message(),
              HasSubstr(merges + ": line 3 'broken-line' is not of the form 'left right'"));
  WriteFile(merges, "x y\n");
  EXPECT_THAT(LoadGpt2Tokenizer(vocab, merges).status().message(),
              HasSubstr("merge 0 ('x' 'y'): its merged token is not in the vocabulary"));
  WriteFile(vocab, "{\"a\": 0, \"b\": 5}");
  EXPECT_THAT(LoadGpt2Tokenizer(vocab, merges).status().message(),
              HasSubstr(vocab + ": id 5 of 'b' is repeated or outside 0..1"));
  WriteFile(vocab, "{\"a\": 0, \"b\": 18446744073709551615}");
  EXPECT_THAT(LoadGpt2Tokenizer(vocab, merges).status().message(),
              HasSubstr(": id 18446744073709551615 of 'b' is repeated or outside 0..1"));
  WriteFile(vocab, "{\"a\": 0, \"b\": -1}");
  EXPECT_THAT(LoadGpt2Tokenizer(vocab, merges).status().message(),
              HasSubstr(": id -1 of 'b' is repeated or outside 0..1"));
  WriteFile(vocab, "{\"a\": 0}");
  EXPECT_THAT(LoadGpt2Tokenizer(vocab, merges).status().message(),
              HasSubstr("'<|endoftext|>' (bos) is not in the vocabulary"));
  WriteFile(vocab, "{\"a\": 0, \"b\": 1, \"a\": 2}");
  EXPECT_THAT(LoadGpt2Tokenizer(vocab, merges).status().message(),
              HasSubstr(vocab + ": the key 'a' appears twice"));
  const std::string dir = TempPath("");
  EXPECT_THAT(LoadGpt2Tokenizer(dir, merges).status().message(),
              HasSubstr(dir + ": is a directory, not a file"));
  WriteGpt2Files(vocab, merges);
  EXPECT_THAT(LoadGpt2Tokenizer(vocab, dir).status().message(),
              HasSubstr(dir + ": is a directory, not a file"));
}

}  // namespace
}  // namespace sf::tokenization
