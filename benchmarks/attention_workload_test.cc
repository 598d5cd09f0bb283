#include "benchmarks/attention_workload.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "gtest/gtest.h"

namespace sf::benchmarks {
namespace {

// Every implementation computes the same layer: the comparison the report prints must hold.
TEST(AttentionWorkloadTest, ImplementationsAgreeWithTorchUnderEveryMask) {
  for (const char* mask : {"none", "causal", "window", "padding"}) {
    at::manual_seed(0);
    AttentionWorkload w({"fused", "forward", mask, 3, 4, 32, 150});
    at::NoGradGuard no_grad;
    const at::Tensor baseline = w.Forward(kBaselineImplementation);
    ASSERT_EQ(baseline.sizes(), (std::vector<int64_t>{3, 150, 32}));
    for (const std::string& impl : AttentionImplementations()) {
      if (impl == "native_mha" && (std::string(mask) == "causal" || std::string(mask) == "window")) {
        EXPECT_THROW(w.Forward(impl), c10::Error);
        continue;
      }
      const Agreement a = CompareOutputs(w.Forward(impl), baseline);
      EXPECT_GT(a.cosine_similarity, 0.99999) << impl << " " << mask;
      EXPECT_LT(a.max_abs_diff, 1e-4) << impl << " " << mask;
    }
  }
}

TEST(AttentionWorkloadTest, CompareOutputsSeesADifference) {
  const at::Tensor a = at::tensor({1.0f, 0.0f});
  const Agreement same = CompareOutputs(a, a);
  EXPECT_DOUBLE_EQ(same.cosine_similarity, 1.0);
  EXPECT_DOUBLE_EQ(same.max_abs_diff, 0.0);
  const Agreement orthogonal = CompareOutputs(a, at::tensor({0.0f, 2.0f}));
  EXPECT_NEAR(orthogonal.cosine_similarity, 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(orthogonal.max_abs_diff, 2.0);
}

TEST(AttentionWorkloadTest, ForwardBackwardLeavesNoGradientsBehind) {
  at::manual_seed(0);
  AttentionWorkload w({"fused", "forward_backward", "causal", 2, 2, 16, 40});
  for (const std::string& impl : AttentionImplementations()) {
    if (SupportsBackward(impl)) {
      EXPECT_NO_THROW(w.ForwardBackward(impl)) << impl;
    } else {
      EXPECT_THROW(w.ForwardBackward(impl), c10::Error) << impl;
    }
  }
}

}  // namespace
}  // namespace sf::benchmarks
