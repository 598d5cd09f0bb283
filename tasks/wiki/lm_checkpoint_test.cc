#include "tasks/wiki/lm_checkpoint.h"

#include <cstdio>
#include <fstream>
#include <string>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include "tasks/wiki/lm_corpus.h"
#include "tokenization/tokenizer_io.h"
#include "training/checkpoint.h"

namespace sf::tasks::wiki {
namespace {

std::string TempPath(const std::string& name) {
  return std::string(::testing::TempDir()) + "/" + name;
}

class LmCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> tokenizer =
        WikiTextWordTokenizer({"the", "tower", "is", "tall", "<eos>", "the", "end", "<eos>"});
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = std::move(*tokenizer);
    at::manual_seed(5);
    options_.emplace(tokenizer_->vocab_size());
    options_->d_model(16).heads(2).layers(2).d_ff(32).context(8);
    model_ = CausalLm(*options_);
    path_ = TempPath("lm.sfckpt");
    absl::StatusOr<std::string> json = tokenization::TokenizerToJson(*tokenizer_);
    ASSERT_TRUE(json.ok());
    ASSERT_TRUE(training::SaveCheckpoint(
                    path_, {.model = model_.get()},
                    {.step = 7, .config = {{kModelConfigKey, ToJson(*options_)}}, .tokenizer = *json})
                    .ok());
  }

  std::unique_ptr<tokenization::Tokenizer> tokenizer_;
  std::optional<CausalLmOptions> options_;
  CausalLm model_{nullptr};
  std::string path_;
};

TEST_F(LmCheckpointTest, RebuildsTheModelAndTokenizer) {
  absl::StatusOr<LoadedLm> lm = LoadLanguageModel(path_);
  ASSERT_TRUE(lm.ok()) << lm.status();
  EXPECT_EQ(lm->step, 7);
  EXPECT_EQ(lm->tokenizer->vocab_size(), tokenizer_->vocab_size());
  c10::NoGradGuard no_grad;
  model_->eval();
  const at::Tensor tokens = at::tensor({2, 3, 4, 5}, at::kLong).unsqueeze(0);
  EXPECT_TRUE(at::equal(lm->model->forward(tokens).hidden, model_->forward(tokens).hidden));
}

TEST_F(LmCheckpointTest, AttentionMapsOfAText) {
  absl::StatusOr<LoadedLm> lm = LoadLanguageModel(path_);
  ASSERT_TRUE(lm.ok()) << lm.status();
  absl::StatusOr<AttentionMaps> maps = ComputeAttentionMaps(*lm, "the tower is tall");
  ASSERT_TRUE(maps.ok()) << maps.status();
  EXPECT_EQ(maps->tokens, (std::vector<std::string>{"the", "tower", "is", "tall"}));
  ASSERT_EQ(maps->layers.size(), 2u);
  EXPECT_EQ(maps->layers[1].sizes(), (std::vector<int64_t>{2, 4, 4}));
  EXPECT_FALSE(ComputeAttentionMaps(*lm, "   ").ok());
  EXPECT_FALSE(ComputeAttentionMaps(*lm, "").ok());
}

TEST_F(LmCheckpointTest, BadFilesGiveErrorsNamingThePath) {
  const std::string missing = TempPath("missing.sfckpt");
  absl::StatusOr<LoadedLm> lm = LoadLanguageModel(missing);
  ASSERT_FALSE(lm.ok());
  EXPECT_NE(std::string(lm.status().message()).find(missing), std::string::npos);

  const std::string garbage = TempPath("garbage.sfckpt");
  std::ofstream(garbage) << "not a checkpoint";
  lm = LoadLanguageModel(garbage);
  ASSERT_FALSE(lm.ok());
  EXPECT_NE(std::string(lm.status().message()).find(garbage), std::string::npos);

  std::ifstream in(path_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string truncated = TempPath("truncated.sfckpt");
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_FALSE(LoadLanguageModel(truncated).ok());

  const std::string foreign = TempPath("foreign.sfckpt");
  ASSERT_TRUE(training::SaveCheckpoint(foreign, {.model = model_.get()}, {.step = 1}).ok());
  lm = LoadLanguageModel(foreign);
  ASSERT_FALSE(lm.ok());
  EXPECT_NE(std::string(lm.status().message()).find("no 'model' configuration"),
            std::string::npos);
}

TEST(EncodePromptTest, EmptyPromptsAreErrors) {
  absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> tokenizer =
      WikiTextWordTokenizer({"a", "b"});
  ASSERT_TRUE(tokenizer.ok());
  EXPECT_FALSE(EncodePrompt(**tokenizer, "").ok());
  EXPECT_FALSE(EncodePrompt(**tokenizer, " \n ").ok());
  absl::StatusOr<std::vector<tokenization::TokenId>> ids = EncodePrompt(**tokenizer, "a zzz");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), 2u);
}

}  // namespace
}  // namespace sf::tasks::wiki
