#include "tasks/wiki/causal_lm.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include "tasks/wiki/adaptive_softmax.h"

namespace sf::tasks::wiki {
namespace {

CausalLmOptions SmallOptions(bool adaptive) {
  CausalLmOptions options(50);
  options.d_model(32).heads(4).layers(2).d_ff(64).context(16).dropout(0.0);
  if (adaptive) options.cutoffs({10, 30});
  return options;
}

class CausalLmTest : public ::testing::TestWithParam<bool> {};

TEST_P(CausalLmTest, CachedStepsEqualOneFullPass) {
  at::manual_seed(1);
  CausalLm model(SmallOptions(GetParam()));
  model->eval();
  c10::NoGradGuard no_grad;
  const at::Tensor tokens = at::randint(0, 50, {2, 12}, at::kLong);
  const at::Tensor full = model->forward(tokens).hidden;
  CausalLmCache cache;
  std::vector<at::Tensor> steps{model->forward(tokens.slice(1, 0, 5), &cache).hidden};
  for (int64_t t = 5; t < 12; ++t) steps.push_back(model->forward(tokens.slice(1, t, t + 1), &cache).hidden);
  EXPECT_EQ(cache.length(), 12);
  EXPECT_TRUE(at::allclose(at::cat(steps, 1), full, 1e-4, 1e-5));
}

TEST_P(CausalLmTest, LogitsGiveTargetLogProbs) {
  at::manual_seed(2);
  CausalLm model(SmallOptions(GetParam()));
  c10::NoGradGuard no_grad;
  model->eval();
  const at::Tensor tokens = at::randint(0, 50, {2, 8}, at::kLong);
  const at::Tensor targets = at::randint(0, 50, {2, 8}, at::kLong);
  const at::Tensor hidden = model->forward(tokens).hidden;
  const at::Tensor log_probs = at::log_softmax(model->logits(hidden), -1);
  EXPECT_TRUE(at::allclose(log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1),
                           model->target_log_probs(hidden, targets), 1e-4, 1e-5));
  EXPECT_NEAR(NextTokenLoss(model, hidden, targets).item<double>(),
              -model->target_log_probs(hidden, targets).mean().item<double>(), 1e-5);
}

TEST_P(CausalLmTest, AttentionWeightsArePerLayerCausalDistributions) {
  at::manual_seed(3);
  CausalLm model(SmallOptions(GetParam()));
  model->eval();
  c10::NoGradGuard no_grad;
  CausalLmOutput out = model->forward(at::randint(0, 50, {1, 6}, at::kLong), nullptr, true);
  ASSERT_EQ(out.weights.size(), 2u);
  for (const at::Tensor& w : out.weights) {
    ASSERT_EQ(w.sizes(), (std::vector<int64_t>{1, 4, 6, 6}));
    EXPECT_TRUE(at::allclose(w.sum(-1), at::ones({1, 4, 6}), 1e-5, 1e-5));
    EXPECT_EQ(w.triu(1).abs().max().item<float>(), 0.0f);
  }
}

INSTANTIATE_TEST_SUITE_P(FullAndAdaptive, CausalLmTest, ::testing::Values(false, true));

TEST(AdaptiveSoftmaxTest, LogProbsAreNormalised) {
  at::manual_seed(4);
  TiedAdaptiveSoftmax adaptive(TiedAdaptiveSoftmaxOptions(100, 16).cutoffs({20, 60}));
  c10::NoGradGuard no_grad;
  const at::Tensor lp = adaptive->log_probs(at::randn({5, 16}));
  ASSERT_EQ(lp.sizes(), (std::vector<int64_t>{5, 100}));
  EXPECT_TRUE(at::allclose(lp.logsumexp(-1), at::zeros({5}), 1e-5, 1e-5));
  EXPECT_EQ(adaptive->embed(at::arange(100)).sizes(), (std::vector<int64_t>{100, 16}));
}

TEST(AdaptiveSoftmaxTest, GradientsReachEveryCluster) {
  at::manual_seed(5);
  TiedAdaptiveSoftmax adaptive(TiedAdaptiveSoftmaxOptions(100, 16).cutoffs({20, 60}));
  const at::Tensor tokens = at::tensor({1, 25, 70}, at::kLong);
  adaptive->target_log_probs(adaptive->embed(tokens), tokens).sum().backward();
  for (const at::Tensor& p : adaptive->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0);
  }
}

TEST(CausalLmOptionsTest, JsonRoundTrip) {
  CausalLmOptions options = SmallOptions(true).backend(attention::AttentionBackend::kReference);
  absl::StatusOr<CausalLmOptions> back = CausalLmOptionsFromJson(ToJson(options));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ToJson(*back), ToJson(options));
}

TEST(CausalLmOptionsTest, BadJsonNamesTheKey) {
  nlohmann::json json = ToJson(SmallOptions(false));
  json["heads"] = 5;
  absl::StatusOr<CausalLmOptions> bad = CausalLmOptionsFromJson(json);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("divisible"), std::string::npos);
  json.erase("d_model");
  bad = CausalLmOptionsFromJson(json);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("d_model"), std::string::npos);
  json = ToJson(SmallOptions(false));
  json["cutoffs"] = {30, 10};
  EXPECT_FALSE(CausalLmOptionsFromJson(json).ok());
}

}  // namespace
}  // namespace sf::tasks::wiki
