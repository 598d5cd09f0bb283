// Backward pass of the fused kernel: gradients against autograd through the dense reference
// on both instruction sets, and float64 central differences.
#include <cmath>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include "attention/fused_attention.h"
#include "attention/internal/fused_attention_kernel.h"
#include "attention/internal/fused_attention_test_util.h"
#include "attention/masks.h"

namespace sf::attention {
namespace {

using internal::FusedKernelIsa;
using testing::FusedIsaTest;
using testing::MaskCatalogue;
using testing::NumericalGradient;
using testing::ReferenceAttention;
using testing::RelativeMaxDiff;

constexpr double kTolerance = 1e-4;

struct Grads {
  at::Tensor out, dq, dk, dv;
};

// Output and gradients of sum(attention(q, k, v) * grad_out).
template <typename Fn>
Grads RunBackward(const Fn& attention, const at::Tensor& q, const at::Tensor& k,
                  const at::Tensor& v, const at::Tensor& grad_out) {
  const at::Tensor qg = q.detach().clone().requires_grad_(true);
  const at::Tensor kg = k.detach().clone().requires_grad_(true);
  const at::Tensor vg = v.detach().clone().requires_grad_(true);
  const at::Tensor out = attention(qg, kg, vg);
  out.mul(grad_out).sum().backward();
  return {out.detach(), qg.grad(), kg.grad(), vg.grad()};
}

void ExpectGradsMatch(const Grads& actual, const Grads& expected, double tolerance) {
  EXPECT_LE(RelativeMaxDiff(actual.out, expected.out), tolerance) << "output";
  EXPECT_LE(RelativeMaxDiff(actual.dq, expected.dq), tolerance) << "dq";
  EXPECT_LE(RelativeMaxDiff(actual.dk, expected.dk), tolerance) << "dk";
  EXPECT_LE(RelativeMaxDiff(actual.dv, expected.dv), tolerance) << "dv";
}

class FusedBackwardTest : public FusedIsaTest {};

TEST_P(FusedBackwardTest, GradientsMatchReferenceOverDimsLengthsAndMasks) {
  at::manual_seed(11);
  const std::vector<int64_t> dims = {16, 40, 64, 128};
  const std::vector<std::pair<int64_t, int64_t>> lengths = {
      {37, 37}, {5, 37}, {97, 130}, {130, 97}, {200, 200}};
  for (int64_t dim : dims) {
    for (auto [len_q, len_k] : lengths) {
      const at::Tensor q = at::randn({2, 2, len_q, dim});
      const at::Tensor k = at::randn({2, 2, len_k, dim});
      const at::Tensor v = at::randn({2, 2, len_k, dim});
      const at::Tensor grad_out = at::randn({2, 2, len_q, dim});
      for (const auto& [name, mask] : MaskCatalogue(2, len_k)) {
        SCOPED_TRACE(::testing::Message() << "dim=" << dim << " len_q=" << len_q
                                          << " len_k=" << len_k << " mask=" << name);
        const MaskSpec m = mask;
        const Grads fused = RunBackward(
            [&](auto& a, auto& b, auto& c) { return FusedAttention(a, b, c, m); }, q, k, v,
            grad_out);
        const Grads reference = RunBackward(
            [&](auto& a, auto& b, auto& c) { return ReferenceAttention(a, b, c, m); }, q, k, v,
            grad_out);
        ExpectGradsMatch(fused, reference, kTolerance);
      }
    }
  }
}

TEST_P(FusedBackwardTest, LongSequencesAndFewHeads) {
  at::manual_seed(12);
  // One head on two threads: the backward splits the head's query blocks over tasks.
  at::set_num_threads(2);
  const at::Tensor q = at::randn({1, 1, 600, 32});
  const at::Tensor k = at::randn({1, 1, 600, 32});
  const at::Tensor v = at::randn({1, 1, 600, 32});
  const at::Tensor grad_out = at::randn({1, 1, 600, 32});
  const std::vector<std::pair<const char*, MaskSpec>> masks = {
      {"none", MaskSpec()},
      {"causal", MaskSpec::Causal()},
      {"longformer", MaskSpec().WithSlidingWindow(64, 64).WithGlobalTokens({0, 1, 300, 599})},
      {"mistral_globals", MaskSpec::Causal().WithSlidingWindow(50, 0).WithGlobalTokens({7})},
  };
  for (const auto& [name, mask] : masks) {
    SCOPED_TRACE(name);
    const MaskSpec m = mask;
    ExpectGradsMatch(
        RunBackward([&](auto& a, auto& b, auto& c) { return FusedAttention(a, b, c, m); }, q, k,
                    v, grad_out),
        RunBackward([&](auto& a, auto& b, auto& c) { return ReferenceAttention(a, b, c, m); }, q,
                    k, v, grad_out),
        kTolerance);
  }
}

TEST_P(FusedBackwardTest, DifferentValueDimStridedInputsAndScale) {
  at::manual_seed(13);
  const at::Tensor qk = at::randn({2, 60, 2, 3, 24});  // [B, L, {q,k}, H, D]
  const at::Tensor q = qk.select(2, 0).transpose(1, 2);
  const at::Tensor k = qk.select(2, 1).transpose(1, 2);
  const at::Tensor v = at::randn({2, 3, 60, 40});
  const at::Tensor grad_out = at::randn({2, 3, 60, 40});
  const MaskSpec mask = MaskSpec::Causal().WithGlobalTokens({10});
  ExpectGradsMatch(
      RunBackward([&](auto& a, auto& b, auto& c) { return FusedAttention(a, b, c, mask, 0.3); },
                  q, k, v, grad_out),
      RunBackward(
          [&](auto& a, auto& b, auto& c) { return ReferenceAttention(a, b, c, mask, 0.3); }, q,
          k, v, grad_out),
      kTolerance);
}

TEST_P(FusedBackwardTest, RowsThatSeeNoKeyHaveZeroFiniteGradients) {
  at::manual_seed(14);
  const at::Tensor q = at::randn({2, 2, 90, 16});
  const at::Tensor k = at::randn({2, 2, 30, 16});
  const at::Tensor v = at::randn({2, 2, 30, 16});
  const at::Tensor grad_out = at::randn({2, 2, 90, 16});
  const MaskSpec mask = MaskSpec::Causal().WithKeyLengths(at::tensor({30, 0}, at::kLong));
  const Grads fused = RunBackward(
      [&](auto& a, auto& b, auto& c) { return FusedAttention(a, b, c, mask); }, q, k, v,
      grad_out);
  for (const at::Tensor& g : {fused.dq, fused.dk, fused.dv}) {
    EXPECT_TRUE(g.isfinite().all().item<bool>());
  }
  EXPECT_EQ(fused.dq.select(0, 1).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(fused.dk.select(0, 1).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(fused.dq.select(0, 0).narrow(1, 0, 60).abs().max().item<float>(), 0.0f);
  ExpectGradsMatch(
      fused,
      RunBackward([&](auto& a, auto& b, auto& c) { return ReferenceAttention(a, b, c, mask); },
                  q, k, v, grad_out),
      kTolerance);
}

INSTANTIATE_TEST_SUITE_P(Isa, FusedBackwardTest,
                         ::testing::Values(FusedKernelIsa::kPortable, FusedKernelIsa::kAvx2),
                         testing::IsaName);

// Autograd through the float64 kernel against central differences of its own forward pass:
// every element on a small problem, a random sample on one spanning several tiles.
void CheckAgainstFiniteDifferences(int64_t len_q, int64_t len_k, int64_t dim,
                                   const MaskSpec& mask, int64_t samples_per_input) {
  at::Tensor q = at::randn({1, 2, len_q, dim}, at::kDouble);
  at::Tensor k = at::randn({1, 2, len_k, dim}, at::kDouble);
  at::Tensor v = at::randn({1, 2, len_k, dim}, at::kDouble);
  const at::Tensor weight = at::randn({1, 2, len_q, dim}, at::kDouble);
  const Grads analytic = RunBackward(
      [&](auto& a, auto& b, auto& c) { return FusedAttention(a, b, c, mask); }, q, k, v, weight);
  auto loss = [&] { return FusedAttention(q, k, v, mask).mul(weight).sum().item<double>(); };
  const std::vector<std::pair<at::Tensor*, const at::Tensor*>> inputs = {
      {&q, &analytic.dq}, {&k, &analytic.dk}, {&v, &analytic.dv}};
  for (const auto& [x, grad] : inputs) {
    const int64_t n = x->numel();
    const at::Tensor flat_grad = grad->contiguous().view(-1);
    const at::Tensor indices = samples_per_input >= n
                                   ? at::arange(n, at::kLong)
                                   : at::randperm(n, at::kLong).narrow(0, 0, samples_per_input);
    for (int64_t s = 0; s < indices.numel(); ++s) {
      const int64_t index = indices[s].item<int64_t>();
      const double numeric = NumericalGradient(loss, *x, index);
      const double autograd = flat_grad[index].item<double>();
      EXPECT_NEAR(autograd, numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
          << "element " << index;
    }
  }
}

TEST(FusedBackwardFloat64, SmallProblemEveryElement) {
  at::manual_seed(15);
  at::set_num_threads(2);
  CheckAgainstFiniteDifferences(
      7, 9, 5, MaskSpec::Causal().WithSlidingWindow(3, 0).WithGlobalTokens({1}), 1 << 20);
  CheckAgainstFiniteDifferences(
      9, 7, 3,
      MaskSpec().WithSlidingWindow(2, 2).WithKeyLengths(at::tensor({6}, at::kLong)), 1 << 20);
}

TEST(FusedBackwardFloat64, ManyTilesSpotChecks) {
  at::manual_seed(16);
  at::set_num_threads(2);
  CheckAgainstFiniteDifferences(
      150, 220, 6, MaskSpec::Causal().WithSlidingWindow(70, 0).WithGlobalTokens({3, 120}), 60);
  CheckAgainstFiniteDifferences(130, 130, 4, MaskSpec(), 40);
}

TEST(FusedBackwardArgs, DoubleBackwardIsRejected) {
  const at::Tensor q = at::randn({1, 1, 4, 8}, at::kDouble).requires_grad_(true);
  const at::Tensor out = FusedAttention(q, q, q);
  const std::vector<at::Tensor> grads = torch::autograd::grad(
      {out.sum()}, {q}, {}, /*retain_graph=*/true, /*create_graph=*/false);
  EXPECT_TRUE(grads[0].defined());
  EXPECT_THROW(torch::autograd::grad({out.sum()}, {q}, {}, true, /*create_graph=*/true),
               c10::Error);
}

}  // namespace
}  // namespace sf::attention
