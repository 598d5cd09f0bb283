#include "tools/visualize/model_attention.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tasks/imdb/classifier.h"
#include "tasks/imdb/imdb_data.h"
#include "tasks/wiki/causal_lm.h"
#include "tasks/wiki/lm_checkpoint.h"
#include "tokenization/char_tokenizer.h"
#include "tokenization/tokenizer_io.h"
#include "tokenization/vocabulary.h"
#include "tokenization/word_tokenizer.h"
#include "training/checkpoint.h"

namespace sf::visualize {
namespace {

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

// A two-layer, two-head IMDB classifier reading at most 8 tokens (<cls> included), saved the
// way the IMDB trainer saves it.
std::string SaveTinyImdbCheckpoint() {
  const std::vector<std::string> texts = {"a great film with great acting",
                                          "a dull film with bad acting"};
  auto tokenizer = tokenization::WordTokenizer::Train(
      texts, tokenization::WordTokenizerOptions(), tokenization::VocabularyOptions());
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  const tasks::imdb::ImdbClassifierOptions options =
      tasks::imdb::ImdbClassifierOptions((*tokenizer)->vocab_size())
          .d_model(16).heads(2).layers(2).d_ff(32).max_length(16).pooling(tasks::imdb::Pooling::kCls);
  const tasks::imdb::InputSettings input{.max_length = 8, .head_tokens = 4, .add_cls = true};
  tasks::imdb::ImdbClassifier model(options);
  absl::StatusOr<std::string> tokenizer_json = tokenization::TokenizerToJson(**tokenizer);
  EXPECT_TRUE(tokenizer_json.ok()) << tokenizer_json.status();
  const std::string path = TempPath("imdb.sfckpt");
  const absl::Status saved = training::SaveCheckpoint(
      path, {.model = model.get()},
      {.step = 7,
       .config = {{"model", options.ToJson()}, {"input", input.ToJson()}},
       .tokenizer = *tokenizer_json});
  EXPECT_TRUE(saved.ok()) << saved;
  return path;
}

// A one-layer, two-head character language model with an 8-token context.
std::string SaveTinyWikiCheckpoint() {
  auto tokenizer = tokenization::CharTokenizer::Train(
      {std::string("hello world")}, tokenization::CharTokenizerOptions(),
      tokenization::VocabularyOptions());
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  const tasks::wiki::CausalLmOptions options =
      tasks::wiki::CausalLmOptions((*tokenizer)->vocab_size())
          .d_model(16).heads(2).layers(1).d_ff(32).context(8).dropout(0.0);
  tasks::wiki::CausalLm model(options);
  absl::StatusOr<std::string> tokenizer_json = tokenization::TokenizerToJson(**tokenizer);
  EXPECT_TRUE(tokenizer_json.ok()) << tokenizer_json.status();
  const std::string path = TempPath("wiki.sfckpt");
  const absl::Status saved = training::SaveCheckpoint(
      path, {.model = model.get()},
      {.step = 3,
       .config = {{tasks::wiki::kModelConfigKey, tasks::wiki::ToJson(options)}},
       .tokenizer = *tokenizer_json});
  EXPECT_TRUE(saved.ok()) << saved;
  return path;
}

void ExpectRowsSumToOne(const at::Tensor& weights) {
  EXPECT_TRUE(at::allclose(weights.sum(-1), at::ones_like(weights.sum(-1)), 1e-5, 1e-5));
}

TEST(ComputeModelAttentionTest, ImdbGivesEveryLayerAndHeadOverTheTokens) {
  const std::string path = SaveTinyImdbCheckpoint();
  absl::StatusOr<ModelAttention> a =
      ComputeModelAttention(ModelTask::kImdb, path, "A great film with bad acting");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->tokens, (std::vector<std::string>{"<cls>", "a", "great", "film", "with", "bad",
                                                  "acting"}));
  EXPECT_EQ(a->special, (std::vector<bool>{true, false, false, false, false, false, false}));
  EXPECT_EQ(a->weights.sizes(), (at::IntArrayRef{2, 2, 7, 7}));
  EXPECT_EQ(a->max_length, 8);
  ExpectRowsSumToOne(a->weights);
  EXPECT_NE(a->summary.find("step 7"), std::string::npos) << a->summary;
}

TEST(ComputeModelAttentionTest, WikiWeightsAreCausal) {
  const std::string path = SaveTinyWikiCheckpoint();
  absl::StatusOr<ModelAttention> a = ComputeModelAttention(ModelTask::kWiki, path, "hello");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->tokens.size(), 5u);
  EXPECT_EQ(a->weights.sizes(), (at::IntArrayRef{1, 2, 5, 5}));
  ExpectRowsSumToOne(a->weights);
  EXPECT_EQ(at::triu(a->weights, 1).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(a->max_length, 8);
}

TEST(ComputeModelAttentionTest, TextLongerThanTheModelReadsIsRefusedWithBothCounts) {
  const std::string imdb = SaveTinyImdbCheckpoint();
  absl::StatusOr<ModelAttention> a = ComputeModelAttention(
      ModelTask::kImdb, imdb, "a great film with great acting and a great cast");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find("11 tokens long"), absl::string_view::npos)
      << a.status();
  EXPECT_NE(a.status().message().find("at most 8"), absl::string_view::npos) << a.status();

  const std::string wiki = SaveTinyWikiCheckpoint();
  a = ComputeModelAttention(ModelTask::kWiki, wiki, "hello world");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("11 tokens long"), absl::string_view::npos)
      << a.status();
  EXPECT_NE(a.status().message().find("at most 8"), absl::string_view::npos) << a.status();
}

TEST(ComputeModelAttentionTest, MissingCheckpointIsNotFoundNamingThePath) {
  const std::string path = TempPath("no-such-run/best.sfckpt");
  for (ModelTask task : {ModelTask::kImdb, ModelTask::kWiki}) {
    absl::StatusOr<ModelAttention> a = ComputeModelAttention(task, path, "hello");
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), absl::StatusCode::kNotFound);
    EXPECT_NE(a.status().message().find(path), absl::string_view::npos) << a.status();
  }
}

TEST(ComputeModelAttentionTest, AFolderAsCheckpointIsNamedAsSuch) {
  const std::string folder = TempPath("a-run-folder");
  std::filesystem::create_directories(folder);
  for (ModelTask task : {ModelTask::kImdb, ModelTask::kWiki}) {
    absl::StatusOr<ModelAttention> a = ComputeModelAttention(task, folder, "hello");
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(a.status().message().find(folder + " is a folder"), absl::string_view::npos)
        << a.status();
  }
}

TEST(ComputeModelAttentionTest, CheckpointOfTheOtherTaskIsRefusedNamingThePath) {
  const std::string wiki = SaveTinyWikiCheckpoint();
  absl::StatusOr<ModelAttention> a = ComputeModelAttention(ModelTask::kImdb, wiki, "hello");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find(wiki), absl::string_view::npos) << a.status();
}

TEST(ComputeModelAttentionTest, EmptyTextIsRefused) {
  const std::string wiki = SaveTinyWikiCheckpoint();
  EXPECT_EQ(ComputeModelAttention(ModelTask::kWiki, wiki, "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseModelTaskTest, NamesRoundTripAndUnknownNamesAreErrors) {
  EXPECT_EQ(*ParseModelTask("imdb"), ModelTask::kImdb);
  EXPECT_EQ(ModelTaskName(*ParseModelTask("wiki")), "wiki");
  absl::StatusOr<ModelTask> bad = ParseModelTask("mnist");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("mnist"), absl::string_view::npos);
}

}  // namespace
}  // namespace sf::visualize
