#include "tasks/wiki/generator.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/optim/adamw.h>

#include "tasks/wiki/lm_corpus.h"
#include "tasks/wiki/lm_windows.h"
#include "tokenization/char_tokenizer.h"

namespace sf::tasks::wiki {
namespace {

using tokenization::TokenId;

std::vector<TokenId> Ids(const at::Tensor& t) {
  return std::vector<TokenId>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

CausalLm RandomModel(int64_t context, bool adaptive) {
  at::manual_seed(11);
  CausalLmOptions options(40);
  options.d_model(32).heads(4).layers(2).d_ff(64).context(context).dropout(0.0);
  if (adaptive) options.cutoffs({8, 20});
  return CausalLm(options);
}

TEST(GeneratorTest, MemorisesARepeatedText) {
  const std::string verse = "the quick brown fox jumps over the lazy dog. ";
  std::string text;
  for (int i = 0; i < 40; ++i) text += verse;
  absl::StatusOr<std::unique_ptr<tokenization::CharTokenizer>> tokenizer =
      tokenization::CharTokenizer::Train({text}, tokenization::CharTokenizerOptions(),
                                         tokenization::VocabularyOptions());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  absl::StatusOr<at::Tensor> ids = EncodeText(**tokenizer, text, 1);
  ASSERT_TRUE(ids.ok()) << ids.status();

  at::manual_seed(0);
  CausalLm model(CausalLmOptions((*tokenizer)->vocab_size())
                     .d_model(48).heads(4).layers(2).d_ff(96).context(48).dropout(0.0));
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(3e-3));
  std::mt19937_64 rng(0);
  double first_loss = 0, last_loss = 0;
  for (int step = 0; step < 150; ++step) {
    LmBatch batch = SampleWindows(*ids, 16, 48, rng);
    optimizer.zero_grad();
    at::Tensor loss = NextTokenLoss(model, model->forward(batch.inputs).hidden, batch.targets);
    loss.backward();
    optimizer.step();
    (step == 0 ? first_loss : last_loss) = loss.item<double>();
  }
  EXPECT_LT(last_loss, 0.2 * first_loss);

  absl::StatusOr<std::vector<TokenId>> prompt = (*tokenizer)->Encode("the quick brown ");
  ASSERT_TRUE(prompt.ok());
  GenerationOptions options;
  options.greedy = true;
  options.max_new_tokens = 60;  // beyond the context: the window slides
  absl::StatusOr<std::vector<TokenId>> generated = Generate(model, *prompt, options);
  ASSERT_TRUE(generated.ok()) << generated.status();
  absl::StatusOr<std::string> continuation = (*tokenizer)->Decode(*generated);
  ASSERT_TRUE(continuation.ok());
  EXPECT_EQ(*continuation, (verse + verse).substr(16, 60));
}

class CacheEquivalenceTest : public ::testing::TestWithParam<bool> {};

TEST_P(CacheEquivalenceTest, CachedAndUncachedGiveTheSameTokens) {
  CausalLm model = RandomModel(/*context=*/12, GetParam());
  const std::vector<TokenId> prompt = {3, 1, 4, 1, 5};
  for (bool greedy : {true, false}) {
    GenerationOptions options;
    options.greedy = greedy;
    options.max_new_tokens = 30;  // slides the 12-token window several times
    options.seed = 9;
    options.use_cache = true;
    absl::StatusOr<std::vector<TokenId>> cached = Generate(model, prompt, options);
    options.use_cache = false;
    absl::StatusOr<std::vector<TokenId>> uncached = Generate(model, prompt, options);
    ASSERT_TRUE(cached.ok() && uncached.ok());
    EXPECT_EQ(cached->size(), 30u);
    EXPECT_EQ(*cached, *uncached) << "greedy=" << greedy;
  }
}

INSTANTIATE_TEST_SUITE_P(FullAndAdaptive, CacheEquivalenceTest, ::testing::Values(false, true));

TEST(GeneratorTest, SamplingIsReproducibleFromTheSeed) {
  CausalLm model = RandomModel(32, false);
  GenerationOptions options;
  options.max_new_tokens = 20;
  options.temperature = 1.5;
  options.top_k = 20;
  options.top_p = 0.95;
  options.seed = 42;
  absl::StatusOr<std::vector<TokenId>> a = Generate(model, {1, 2, 3}, options);
  absl::StatusOr<std::vector<TokenId>> b = Generate(model, {1, 2, 3}, options);
  options.seed = 43;
  absl::StatusOr<std::vector<TokenId>> c = Generate(model, {1, 2, 3}, options);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(GeneratorTest, FiltersKeepTheMostLikelyTokens) {
  const at::Tensor logits = at::tensor({0.0f, 3.0f, 1.0f, 2.9f});
  std::mt19937_64 rng(0);
  GenerationOptions greedy;
  greedy.greedy = true;
  EXPECT_EQ(PickToken(logits, greedy, rng), 1);
  GenerationOptions top1;
  top1.top_k = 1;
  GenerationOptions nucleus;
  nucleus.top_p = 0.01;
  GenerationOptions top2;
  top2.top_k = 2;
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(PickToken(logits, top1, rng), 1);
    EXPECT_EQ(PickToken(logits, nucleus, rng), 1);
    const TokenId t = PickToken(logits, top2, rng);
    EXPECT_TRUE(t == 1 || t == 3) << t;
  }
}

TEST(GeneratorTest, BadRequestsAreErrors) {
  CausalLm model = RandomModel(16, false);
  GenerationOptions options;
  absl::StatusOr<std::vector<TokenId>> empty = Generate(model, {}, options);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(std::string(empty.status().message()).find("prompt is empty"), std::string::npos);
  EXPECT_FALSE(Generate(model, {1, 99}, options).ok());
  options.temperature = 0.0;
  EXPECT_FALSE(Generate(model, {1}, options).ok());
  options.temperature = 1.0;
  options.top_p = 1.5;
  EXPECT_FALSE(Generate(model, {1}, options).ok());
}

}  // namespace
}  // namespace sf::tasks::wiki
