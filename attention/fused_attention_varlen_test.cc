// Packed variable-length batches: FusedAttentionVarlen against the padded computation, row
// for row, forward and backward, on both instruction sets.
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "attention/fused_attention.h"
#include "attention/internal/fused_attention_kernel.h"
#include "attention/internal/fused_attention_test_util.h"
#include "attention/masks.h"

namespace sf::attention {
namespace {

using internal::FusedKernelIsa;
using testing::CuSeqlens;
using testing::FusedIsaTest;
using testing::PackRows;
using testing::ReferenceAttention;
using testing::RelativeMaxDiff;

constexpr double kTolerance = 1e-4;

class FusedVarlenTest : public FusedIsaTest {};

// Self-attention of sequences of different lengths (one empty), packed vs padded with key
// lengths: the padded computation aligns every sequence at 0 like the packed one.
TEST_P(FusedVarlenTest, PackedEqualsPaddedRowForRow) {
  at::manual_seed(21);
  const std::vector<int64_t> lengths = {5, 130, 0, 64, 1, 97};
  const int64_t batch = static_cast<int64_t>(lengths.size());
  const int64_t max_len = 130;
  const int64_t heads = 3;
  const int64_t dim = 24;
  const at::Tensor q = at::randn({batch, heads, max_len, dim});
  const at::Tensor k = at::randn({batch, heads, max_len, dim});
  const at::Tensor v = at::randn({batch, heads, max_len, dim});
  const at::Tensor grad_out = at::randn({batch, heads, max_len, dim});
  const at::Tensor key_lengths = at::tensor(lengths, at::kLong);
  const std::vector<std::pair<const char*, MaskSpec>> masks = {
      {"none", MaskSpec()},
      {"causal", MaskSpec::Causal()},
      {"window", MaskSpec().WithSlidingWindow(9, 4)},
      {"causal_window_global", MaskSpec::Causal().WithSlidingWindow(20, 0).WithGlobalTokens({0, 70})},
  };
  for (at::ScalarType cu_type : {at::kInt, at::kLong}) {
    const at::Tensor cu = CuSeqlens(lengths, cu_type);
    for (const auto& [name, mask] : masks) {
      SCOPED_TRACE(::testing::Message() << name << " cu_seqlens " << cu_type);
      // Padded: gradients only from the valid query rows.
      const at::Tensor row_valid =
          at::arange(max_len).unsqueeze(0).lt(key_lengths.unsqueeze(1)).view({batch, 1, max_len, 1});
      const at::Tensor qp = q.clone().requires_grad_(true);
      const at::Tensor kp = k.clone().requires_grad_(true);
      const at::Tensor vp = v.clone().requires_grad_(true);
      const at::Tensor padded = FusedAttention(qp, kp, vp, mask.WithKeyLengths(key_lengths));
      padded.mul(grad_out).mul(row_valid).sum().backward();

      const at::Tensor qv = PackRows(q, lengths).requires_grad_(true);
      const at::Tensor kv = PackRows(k, lengths).requires_grad_(true);
      const at::Tensor vv = PackRows(v, lengths).requires_grad_(true);
      const at::Tensor packed = FusedAttentionVarlen(qv, kv, vv, cu, cu, max_len, max_len, mask);
      ASSERT_EQ(packed.sizes(), qv.sizes());
      packed.mul(PackRows(grad_out, lengths)).sum().backward();

      EXPECT_LE(RelativeMaxDiff(packed, PackRows(padded, lengths)), kTolerance);
      EXPECT_LE(RelativeMaxDiff(qv.grad(), PackRows(qp.grad(), lengths)), kTolerance);
      EXPECT_LE(RelativeMaxDiff(kv.grad(), PackRows(kp.grad(), lengths)), kTolerance);
      EXPECT_LE(RelativeMaxDiff(vv.grad(), PackRows(vp.grad(), lengths)), kTolerance);
    }
  }
}

// Cross-attention with different query and key lengths per sequence: each sequence equals a
// dense call on its own rows (bottom-right alignment within the sequence).
TEST_P(FusedVarlenTest, CrossAttentionEqualsPerSequenceReference) {
  at::manual_seed(22);
  const std::vector<int64_t> len_q = {3, 70, 40, 1};
  const std::vector<int64_t> len_k = {50, 20, 140, 0};
  const int64_t heads = 2;
  const int64_t dim = 40;
  const at::Tensor q = at::randn({114, heads, dim});
  const at::Tensor k = at::randn({210, heads, dim});
  const at::Tensor v = at::randn({210, heads, dim});
  const at::Tensor cu_q = CuSeqlens(len_q, at::kInt);
  const at::Tensor cu_k = CuSeqlens(len_k, at::kInt);
  for (const MaskSpec& mask :
       {MaskSpec(), MaskSpec::Causal(), MaskSpec().WithSlidingWindow(6, 6).WithGlobalTokens({2})}) {
    const at::Tensor out = FusedAttentionVarlen(q, k, v, cu_q, cu_k, 70, 140, mask);
    int64_t q0 = 0;
    int64_t k0 = 0;
    for (size_t n = 0; n < len_q.size(); ++n) {
      SCOPED_TRACE(::testing::Message() << "sequence " << n);
      auto heads_first = [](const at::Tensor& rows) { return rows.transpose(0, 1).unsqueeze(0); };
      const at::Tensor expected = ReferenceAttention(heads_first(q.narrow(0, q0, len_q[n])),
                                                     heads_first(k.narrow(0, k0, len_k[n])),
                                                     heads_first(v.narrow(0, k0, len_k[n])), mask);
      EXPECT_LE(RelativeMaxDiff(heads_first(out.narrow(0, q0, len_q[n])), expected), kTolerance);
      q0 += len_q[n];
      k0 += len_k[n];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, FusedVarlenTest,
                         ::testing::Values(FusedKernelIsa::kPortable, FusedKernelIsa::kAvx2),
                         testing::IsaName);

TEST(FusedVarlenArgs, RejectsInconsistentOffsets) {
  const at::Tensor x = at::randn({10, 2, 8});
  const at::Tensor cu = at::tensor({0, 4, 10}, at::kInt);
  EXPECT_NO_THROW(FusedAttentionVarlen(x, x, x, cu, cu, 6, 6));
  // Not starting at 0, decreasing, not ending at the packed size, longer than the maximum.
  EXPECT_THROW(FusedAttentionVarlen(x, x, x, at::tensor({1, 4, 10}, at::kInt), cu, 6, 6),
               c10::Error);
  EXPECT_THROW(FusedAttentionVarlen(x, x, x, at::tensor({0, 7, 5, 10}, at::kInt),
                                    at::tensor({0, 7, 5, 10}, at::kInt), 7, 7),
               c10::Error);
  EXPECT_THROW(FusedAttentionVarlen(x, x, x, at::tensor({0, 4, 9}, at::kInt), cu, 6, 6),
               c10::Error);
  EXPECT_THROW(FusedAttentionVarlen(x, x, x, cu, cu, 5, 6), c10::Error);
  EXPECT_THROW(FusedAttentionVarlen(x, x, x, cu, at::tensor({0, 10}, at::kInt), 6, 10),
               c10::Error);
  EXPECT_THROW(FusedAttentionVarlen(x, x, x, cu.to(at::kFloat), cu, 6, 6), c10::Error);
  // Padding is implicit in a packed batch; dropout is not implemented.
  EXPECT_THROW(FusedAttentionVarlen(x, x, x, cu, cu, 6, 6,
                                    MaskSpec().WithKeyLengths(at::tensor({4, 6}, at::kLong))),
               c10::Error);
  EXPECT_THROW(FusedAttentionVarlen(x, x, x, cu, cu, 6, 6, MaskSpec(), std::nullopt, 0.5),
               c10::Error);
}

}  // namespace
}  // namespace sf::attention
