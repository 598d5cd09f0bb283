// The fused kernel on operands it reads in place through strides: FusedSelfAttention on the
// packed result of one QKV projection, and heads split out of projections for
// cross-attention, forward and backward, on both instruction sets and two threads (so a worker
// moves between heads and query blocks of different heads share its adjacent key rows).
#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

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

// [B, L, 3 * H * D] -> q, k, v [B, H, L, D] (views).
std::vector<at::Tensor> SplitHeads(const at::Tensor& qkv, int64_t heads) {
  const at::Tensor split =
      qkv.view({qkv.size(0), qkv.size(1), 3, heads, qkv.size(2) / (3 * heads)});
  return {split.select(2, 0).transpose(1, 2), split.select(2, 1).transpose(1, 2),
          split.select(2, 2).transpose(1, 2)};
}

// Self-attention with heads merged, [B, L, H * D], by the reference on views of qkv.
at::Tensor ReferenceSelfAttention(const at::Tensor& qkv, int64_t heads, const MaskSpec& mask) {
  const std::vector<at::Tensor> qkv_heads = SplitHeads(qkv, heads);
  const at::Tensor out = ReferenceAttention(qkv_heads[0], qkv_heads[1], qkv_heads[2], mask);
  return out.transpose(1, 2).reshape({qkv.size(0), qkv.size(1), qkv.size(2) / 3});
}

// Output of f(qkv) and the gradient of sum(f(qkv) * weight) with respect to qkv.
template <typename Fn>
std::pair<at::Tensor, at::Tensor> OutputAndGradient(const Fn& f, const at::Tensor& qkv,
                                                    const at::Tensor& weight) {
  const at::Tensor x = qkv.detach().clone().requires_grad_(true);
  const at::Tensor out = f(x);
  out.mul(weight).sum().backward();
  return {out.detach(), x.grad()};
}

class FusedStridedTest : public FusedIsaTest {
 protected:
  void SetUp() override {
    FusedIsaTest::SetUp();
    at::set_num_threads(2);
  }
};

TEST_P(FusedStridedTest, SelfAttentionOnPackedProjectionMatchesReference) {
  at::manual_seed(41);
  const int64_t batch = 2;
  const int64_t heads = 3;
  // 200 rows span several query blocks and key chunks; windows start tiles off the chunks.
  for (int64_t dim : {16, 48}) {
    for (int64_t len : {37, 200}) {
      const at::Tensor qkv = at::randn({batch, len, 3 * heads * dim});
      const at::Tensor weight = at::randn({batch, len, heads * dim});
      for (const auto& [name, mask] : MaskCatalogue(batch, len)) {
        SCOPED_TRACE(::testing::Message() << "dim=" << dim << " len=" << len << " mask=" << name);
        const MaskSpec m = mask;
        const auto [out, grad] = OutputAndGradient(
            [&](const at::Tensor& x) { return FusedSelfAttention(x, heads, m); }, qkv, weight);
        const auto [expected_out, expected_grad] = OutputAndGradient(
            [&](const at::Tensor& x) { return ReferenceSelfAttention(x, heads, m); }, qkv,
            weight);
        ASSERT_EQ(out.sizes(), expected_out.sizes());
        EXPECT_TRUE(out.is_contiguous());
        EXPECT_LE(RelativeMaxDiff(out, expected_out), kTolerance) << "output";
        EXPECT_LE(RelativeMaxDiff(grad, expected_grad), kTolerance) << "gradient";
      }
    }
  }
}

// Reading in place and making rows adjacent inside the kernel changes no arithmetic: the
// packed entry point gives exactly what FusedAttention gives on contiguous copies.
TEST_P(FusedStridedTest, PackedEqualsContiguousHeadsExactly) {
  at::manual_seed(42);
  const int64_t heads = 4;
  const at::Tensor qkv = at::randn({2, 150, 3 * heads * 32});
  const at::Tensor weight = at::randn({2, 150, heads * 32});
  const MaskSpec mask = MaskSpec().WithSlidingWindow(70, 10).WithGlobalTokens({2, 120});
  const auto [out, grad] = OutputAndGradient(
      [&](const at::Tensor& x) { return FusedSelfAttention(x, heads, mask); }, qkv, weight);
  const auto [expected_out, expected_grad] = OutputAndGradient(
      [&](const at::Tensor& x) {
        const std::vector<at::Tensor> h = SplitHeads(x, heads);
        return FusedAttention(h[0].contiguous(), h[1].contiguous(), h[2].contiguous(), mask)
            .transpose(1, 2)
            .reshape({x.size(0), x.size(1), heads * 32});
      },
      qkv, weight);
  EXPECT_TRUE(at::equal(out, expected_out));
  EXPECT_TRUE(at::equal(grad, expected_grad));
}

TEST_P(FusedStridedTest, CrossAttentionOnProjectedHeadsMatchesReference) {
  at::manual_seed(43);
  const int64_t heads = 2;
  const int64_t dim = 24;
  // Queries from one projection [B, Lq, H, D], keys and values from another [B, Lk, 2, H, D].
  for (const auto& lengths : {std::pair<int64_t, int64_t>{97, 230}, {230, 97}}) {
    const int64_t len_q = lengths.first;
    const int64_t len_k = lengths.second;
    const at::Tensor q_rows = at::randn({2, len_q, heads * dim});
    const at::Tensor kv_rows = at::randn({2, len_k, 2 * heads * dim});
    const at::Tensor weight = at::randn({2, heads, len_q, dim});
    for (const auto& [name, mask] : MaskCatalogue(2, len_k)) {
      SCOPED_TRACE(::testing::Message() << "len_q=" << len_q << " len_k=" << len_k
                                        << " mask=" << name);
      const MaskSpec m = mask;
      auto run = [&](bool fused) {
        const at::Tensor qg = q_rows.detach().clone().requires_grad_(true);
        const at::Tensor kvg = kv_rows.detach().clone().requires_grad_(true);
        const at::Tensor q = qg.view({2, len_q, heads, dim}).transpose(1, 2);
        const at::Tensor kv = kvg.view({2, len_k, 2, heads, dim});
        const at::Tensor k = kv.select(2, 0).transpose(1, 2);
        const at::Tensor v = kv.select(2, 1).transpose(1, 2);
        const at::Tensor out = fused ? FusedAttention(q, k, v, m) : ReferenceAttention(q, k, v, m);
        out.mul(weight).sum().backward();
        return std::vector<at::Tensor>{out.detach(), qg.grad(), kvg.grad()};
      };
      const std::vector<at::Tensor> fused = run(true);
      const std::vector<at::Tensor> reference = run(false);
      for (size_t i = 0; i < fused.size(); ++i) {
        EXPECT_LE(RelativeMaxDiff(fused[i], reference[i]), kTolerance) << "tensor " << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, FusedStridedTest,
                         ::testing::Values(FusedKernelIsa::kPortable, FusedKernelIsa::kAvx2),
                         testing::IsaName);

// Gradients that reach the output as broadcasts or strided views are read as they are.
TEST(FusedSelfAttention, AnyIncomingGradientLayout) {
  at::manual_seed(44);
  const int64_t heads = 2;
  const at::Tensor qkv = at::randn({3, 70, 3 * heads * 16});
  const MaskSpec mask = MaskSpec::Causal();
  auto gradient = [&](bool fused, const std::function<at::Tensor(const at::Tensor&)>& loss) {
    const at::Tensor x = qkv.detach().clone().requires_grad_(true);
    const at::Tensor out =
        fused ? FusedSelfAttention(x, heads, mask) : ReferenceSelfAttention(x, heads, mask);
    loss(out).backward();
    return x.grad();
  };
  const std::vector<std::function<at::Tensor(const at::Tensor&)>> losses = {
      [](const at::Tensor& out) { return out.sum(); },
      [](const at::Tensor& out) { return out.transpose(0, 1).select(2, 5).pow(2).sum(); },
      [](const at::Tensor& out) { return out.narrow(1, 10, 30).exp().mean(); },
  };
  for (size_t i = 0; i < losses.size(); ++i) {
    EXPECT_LE(RelativeMaxDiff(gradient(true, losses[i]), gradient(false, losses[i])),
              kTolerance)
        << "loss " << i;
  }
}

TEST(FusedSelfAttention, Float64GradientAgainstFiniteDifferences) {
  at::manual_seed(45);
  const int64_t heads = 2;
  at::Tensor qkv = at::randn({2, 9, 3 * heads * 4}, at::kDouble);
  const at::Tensor weight = at::randn({2, 9, heads * 4}, at::kDouble);
  const MaskSpec mask = MaskSpec::Causal().WithKeyLengths(at::tensor({9, 6}, at::kLong));
  const at::Tensor grad =
      OutputAndGradient([&](const at::Tensor& x) { return FusedSelfAttention(x, heads, mask); },
                        qkv, weight)
          .second.view(-1);
  auto loss = [&] { return FusedSelfAttention(qkv, heads, mask).mul(weight).sum().item<double>(); };
  for (int64_t index = 0; index < qkv.numel(); ++index) {
    const double numeric = NumericalGradient(loss, qkv, index);
    EXPECT_NEAR(grad[index].item<double>(), numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
        << "element " << index;
  }
}

TEST(FusedSelfAttention, WithoutGradientGivesTheSameOutput) {
  at::manual_seed(46);
  const at::Tensor qkv = at::randn({2, 40, 3 * 4 * 8}).requires_grad_(true);
  const at::Tensor with_graph = FusedSelfAttention(qkv, 4, MaskSpec::Causal());
  EXPECT_TRUE(with_graph.requires_grad());
  at::NoGradGuard no_grad;
  const at::Tensor without = FusedSelfAttention(qkv, 4, MaskSpec::Causal());
  EXPECT_FALSE(without.requires_grad());
  EXPECT_TRUE(at::equal(with_graph.detach(), without));
}

TEST(FusedSelfAttention, RejectsBadArguments) {
  const at::Tensor qkv = at::randn({1, 8, 3 * 2 * 16});
  EXPECT_THROW(
      {
        try {
          FusedSelfAttention(qkv, 2, MaskSpec(), std::nullopt, 0.1);
        } catch (const c10::Error& e) {
          EXPECT_NE(std::string(e.what()).find("dropout"), std::string::npos);
          throw;
        }
      },
      c10::Error);
  EXPECT_THROW(
      {
        try {
          FusedSelfAttention(qkv, 5);
        } catch (const c10::Error& e) {
          EXPECT_NE(std::string(e.what()).find("96"), std::string::npos) << e.what();
          throw;
        }
      },
      c10::Error);
  EXPECT_THROW(FusedSelfAttention(qkv, 0), c10::Error);
  EXPECT_THROW(FusedSelfAttention(qkv[0], 2), c10::Error);
  EXPECT_THROW(FusedSelfAttention(at::Tensor(), 2), c10::Error);
  EXPECT_THROW(FusedSelfAttention(qkv.to(at::kHalf), 2), c10::Error);
  EXPECT_THROW(FusedSelfAttention(qkv, 2, MaskSpec().WithKeyLengths(at::tensor({9}, at::kLong))),
               c10::Error);
}

}  // namespace
}  // namespace sf::attention
