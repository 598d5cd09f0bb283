// Forward pass of the fused kernel against the dense reference, on both instruction sets.
#include "attention/fused_attention.h"

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "attention/internal/fused_attention_kernel.h"
#include "attention/internal/fused_attention_test_util.h"
#include "attention/internal/fused_attention_tile_ops.h"
#include "attention/masks.h"

namespace sf::attention {
namespace {

using internal::FusedKernelIsa;
using testing::FusedIsaTest;
using testing::MaskCatalogue;
using testing::ReferenceAttention;
using testing::RelativeMaxDiff;

constexpr double kTolerance = 1e-4;

class FusedForwardTest : public FusedIsaTest {};

TEST_P(FusedForwardTest, MatchesReferenceOverDimsLengthsAndMasks) {
  at::manual_seed(1);
  const std::vector<int64_t> dims = {16, 20, 32, 64, 100, 128};
  // Lengths off the tile sizes, a single row, len_q < len_k and len_q > len_k.
  const std::vector<std::pair<int64_t, int64_t>> lengths = {
      {1, 1}, {5, 37}, {37, 5}, {64, 64}, {97, 130}, {130, 97}, {200, 200}};
  for (int64_t dim : dims) {
    for (auto [len_q, len_k] : lengths) {
      const at::Tensor q = at::randn({2, 2, len_q, dim});
      const at::Tensor k = at::randn({2, 2, len_k, dim});
      const at::Tensor v = at::randn({2, 2, len_k, dim});
      for (const auto& [name, mask] : MaskCatalogue(2, len_k)) {
        SCOPED_TRACE(::testing::Message() << "dim=" << dim << " len_q=" << len_q
                                          << " len_k=" << len_k << " mask=" << name);
        const at::Tensor out = FusedAttention(q, k, v, mask);
        const at::Tensor expected = ReferenceAttention(q, k, v, mask);
        ASSERT_EQ(out.sizes(), expected.sizes());
        EXPECT_LE(RelativeMaxDiff(out, expected), kTolerance);
      }
    }
  }
}

TEST_P(FusedForwardTest, LongSequencesWithBlockSkipping) {
  at::manual_seed(2);
  const int64_t len = 700;
  const at::Tensor q = at::randn({1, 2, len, 32});
  const at::Tensor k = at::randn({1, 2, len, 32});
  const at::Tensor v = at::randn({1, 2, len, 32});
  const std::vector<std::pair<const char*, MaskSpec>> masks = {
      {"causal", MaskSpec::Causal()},
      {"window", MaskSpec().WithSlidingWindow(100, 100)},
      {"mistral", MaskSpec::Causal().WithSlidingWindow(127, 0)},
      {"longformer", MaskSpec().WithSlidingWindow(64, 64).WithGlobalTokens({0, 1, 350, 699})},
      {"far_globals", MaskSpec::Causal().WithSlidingWindow(10, 0).WithGlobalTokens({5, 600})},
  };
  for (const auto& [name, mask] : masks) {
    SCOPED_TRACE(name);
    EXPECT_LE(RelativeMaxDiff(FusedAttention(q, k, v, mask), ReferenceAttention(q, k, v, mask)),
              kTolerance);
  }
}

TEST_P(FusedForwardTest, DifferentValueDimAndExplicitScale) {
  at::manual_seed(3);
  const at::Tensor q = at::randn({2, 3, 50, 24});
  const at::Tensor k = at::randn({2, 3, 70, 24});
  const at::Tensor v = at::randn({2, 3, 70, 40});
  const MaskSpec mask = MaskSpec::Causal();
  const at::Tensor out = FusedAttention(q, k, v, mask, 0.3);
  EXPECT_EQ(out.sizes(), (at::IntArrayRef{2, 3, 50, 40}));
  EXPECT_LE(RelativeMaxDiff(out, ReferenceAttention(q, k, v, mask, 0.3)), kTolerance);
}

TEST_P(FusedForwardTest, ReadsStridedViewsInPlace) {
  at::manual_seed(4);
  // Heads split out of a fused projection [B, L, 3, H, D], as a multi-head layer produces them.
  const at::Tensor qkv = at::randn({2, 45, 3, 4, 16});
  const at::Tensor q = qkv.select(2, 0).transpose(1, 2);
  const at::Tensor k = qkv.select(2, 1).transpose(1, 2);
  const at::Tensor v = qkv.select(2, 2).transpose(1, 2);
  ASSERT_FALSE(q.is_contiguous());
  const MaskSpec mask = MaskSpec::Causal();
  const at::Tensor out = FusedAttention(q, k, v, mask);
  EXPECT_LE(RelativeMaxDiff(out, FusedAttention(q.contiguous(), k.contiguous(), v.contiguous(),
                                                mask)),
            0.0);
  EXPECT_LE(RelativeMaxDiff(out, ReferenceAttention(q, k, v, mask)), kTolerance);
  // Merging heads is a view: the output is laid out [B, L, H, D].
  EXPECT_TRUE(out.transpose(1, 2).is_contiguous());
  // A last dimension with a stride is copied first, and still gives the same result.
  const at::Tensor wide = at::randn({2, 4, 45, 32});
  const at::Tensor strided = wide.slice(3, 0, 32, 2);
  EXPECT_LE(RelativeMaxDiff(FusedAttention(strided, strided, strided, mask),
                            ReferenceAttention(strided, strided, strided, mask)),
            kTolerance);
}

TEST_P(FusedForwardTest, RowsThatSeeNoKeyAreZero) {
  at::manual_seed(5);
  // Bottom-right causal with len_q > len_k: the first len_q - len_k rows see nothing; the
  // second sequence has no valid key at all.
  const at::Tensor q = at::randn({2, 2, 90, 32});
  const at::Tensor k = at::randn({2, 2, 30, 32});
  const at::Tensor v = at::randn({2, 2, 30, 32});
  const MaskSpec mask = MaskSpec::Causal().WithKeyLengths(at::tensor({30, 0}, at::kLong));
  auto [out, lse] = FusedAttentionForward(q, k, v, mask);
  EXPECT_TRUE(out.isfinite().all().item<bool>());
  EXPECT_EQ(out.select(0, 1).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(out.select(0, 0).narrow(1, 0, 60).abs().max().item<float>(), 0.0f);
  EXPECT_GT(out.select(0, 0).narrow(1, 60, 30).abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(lse.select(0, 1).isneginf().all().item<bool>());
  EXPECT_LE(RelativeMaxDiff(out, ReferenceAttention(q, k, v, mask)), kTolerance);
}

TEST_P(FusedForwardTest, LogSumExpMatchesDenseScores) {
  at::manual_seed(6);
  const at::Tensor q = at::randn({1, 2, 77, 48});
  const at::Tensor k = at::randn({1, 2, 150, 48});
  const at::Tensor v = at::randn({1, 2, 150, 48});
  const MaskSpec mask = MaskSpec().WithSlidingWindow(30, 10).WithGlobalTokens({100});
  auto [out, lse] = FusedAttentionForward(q, k, v, mask, 0.2);
  const at::Tensor scores = at::matmul(q, k.transpose(-2, -1)).mul(0.2).masked_fill(
      mask.Materialize(77, 150).logical_not(), -std::numeric_limits<float>::infinity());
  const at::Tensor expected = at::logsumexp(scores, -1);
  EXPECT_LE((lse - expected).abs().max().item<double>(), 1e-4);
}

TEST_P(FusedForwardTest, Float64MatchesReferenceClosely) {
  at::manual_seed(7);
  const at::Tensor q = at::randn({2, 2, 70, 24}, at::kDouble);
  const at::Tensor k = at::randn({2, 2, 100, 24}, at::kDouble);
  const at::Tensor v = at::randn({2, 2, 100, 24}, at::kDouble);
  for (const auto& [name, mask] : MaskCatalogue(2, 100)) {
    SCOPED_TRACE(name);
    const at::Tensor out = FusedAttention(q, k, v, mask);
    EXPECT_EQ(out.scalar_type(), at::kDouble);
    EXPECT_LE(RelativeMaxDiff(out, ReferenceAttention(q, k, v, mask)), 1e-12);
  }
}

TEST_P(FusedForwardTest, SingleThreadGivesTheSameResult) {
  at::manual_seed(8);
  const at::Tensor q = at::randn({1, 3, 150, 32});
  const MaskSpec mask = MaskSpec::Causal().WithGlobalTokens({3, 140});
  const at::Tensor one_thread = FusedAttention(q, q, q, mask);
  at::set_num_threads(2);
  const at::Tensor two_threads = FusedAttention(q, q, q, mask);
  EXPECT_TRUE(at::equal(one_thread, two_threads));
}

INSTANTIATE_TEST_SUITE_P(Isa, FusedForwardTest,
                         ::testing::Values(FusedKernelIsa::kPortable, FusedKernelIsa::kAvx2),
                         testing::IsaName);

TEST(FusedAttentionArgs, RejectsDropoutAndBadInputs) {
  const at::Tensor q = at::randn({1, 2, 8, 16});
  EXPECT_THROW(
      {
        try {
          FusedAttention(q, q, q, MaskSpec(), std::nullopt, 0.1);
        } catch (const c10::Error& e) {
          EXPECT_NE(std::string(e.what()).find("dropout"), std::string::npos);
          throw;
        }
      },
      c10::Error);
  EXPECT_THROW(FusedAttention(q.to(at::kHalf), q.to(at::kHalf), q.to(at::kHalf)), c10::Error);
  EXPECT_THROW(FusedAttention(q, q.to(at::kDouble), q), c10::Error);
  EXPECT_THROW(FusedAttention(q[0], q[0], q[0]), c10::Error);
  EXPECT_THROW(FusedAttention(q, at::randn({1, 2, 8, 8}), q), c10::Error);
  EXPECT_THROW(FusedAttention(q, q, at::randn({1, 2, 9, 16})), c10::Error);
  EXPECT_THROW(FusedAttention(q, q, q, MaskSpec().WithKeyLengths(at::tensor({9}, at::kLong))),
               c10::Error);
  EXPECT_THROW(FusedAttention(q, q, q, MaskSpec().WithKeyLengths(at::tensor({1, 2, 3}, at::kLong))),
               c10::Error);
  EXPECT_TRUE(FusedAttentionSupports(q));
  EXPECT_FALSE(FusedAttentionSupports(q.to(at::kHalf)));
}

TEST(FusedAttentionIsa, AutoPicksAvx2WhenTheCpuHasIt) {
  internal::SetFusedKernelIsa(FusedKernelIsa::kAuto);
  EXPECT_EQ(internal::ActiveFusedKernelIsa(), internal::CpuHasAvx2Fma()
                                                  ? FusedKernelIsa::kAvx2
                                                  : FusedKernelIsa::kPortable);
  internal::SetFusedKernelIsa(FusedKernelIsa::kPortable);
  EXPECT_EQ(internal::ActiveFusedKernelIsa(), FusedKernelIsa::kPortable);
  internal::SetFusedKernelIsa(FusedKernelIsa::kAuto);
}

}  // namespace
}  // namespace sf::attention
