#include "tasks/wiki/lm_windows.h"

#include <cmath>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

namespace sf::tasks::wiki {
namespace {

TEST(LmWindowsTest, SampledWindowsAreContiguousAndShiftedByOne) {
  const at::Tensor ids = at::arange(100, at::kLong);
  std::mt19937_64 rng(3);
  LmBatch batch = SampleWindows(ids, 8, 10, rng);
  ASSERT_EQ(batch.inputs.sizes(), (std::vector<int64_t>{8, 10}));
  EXPECT_TRUE(at::equal(batch.targets, batch.inputs + 1));
  EXPECT_TRUE(at::equal(batch.inputs.slice(1, 1) - batch.inputs.slice(1, 0, 9),
                        at::ones({8, 9}, at::kLong)));
  EXPECT_LE(batch.targets.max().item<int64_t>(), 99);
}

TEST(LmWindowsTest, PerplexityCoversEveryTokenOnceInNonOverlappingWindows) {
  at::manual_seed(2);
  CausalLm model(CausalLmOptions(20).d_model(16).heads(2).layers(1).d_ff(16).context(8));
  model->eval();
  c10::NoGradGuard no_grad;
  const at::Tensor ids = at::randint(0, 20, {30}, at::kLong);
  // By hand: windows [0, 8), [8, 16), [16, 24), then the 5 inputs left.
  double total = 0;
  for (int64_t start = 0; start < 29; start += 8) {
    const int64_t len = std::min<int64_t>(8, 29 - start);
    const at::Tensor in = ids.slice(0, start, start + len).unsqueeze(0);
    const at::Tensor out = ids.slice(0, start + 1, start + len + 1).unsqueeze(0);
    total -= model->target_log_probs(model->forward(in).hidden, out).sum().item<double>();
  }
  Perplexity p = EvaluatePerplexity(model, ids, 8, 2);
  EXPECT_EQ(p.tokens, 29);
  EXPECT_NEAR(p.loss, total / 29, 1e-5);
  EXPECT_NEAR(p.perplexity, std::exp(total / 29), 1e-3);
}

}  // namespace
}  // namespace sf::tasks::wiki
