#include "attention/scaled_dot_product_attention.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/full.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attention/masks.h"
#include "attention/testing/gradient_check.h"

namespace sf::attention {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();

double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return a.to(at::kDouble).sub(b.to(at::kDouble)).abs().max().item<double>();
}

// Entry-by-entry loops over the definition, in double: an implementation that shares nothing
// with the tensor-op one. `dense` (bool [B, H, Lq, Lk] after expansion) and `bias` may be
// undefined.
ScaledDotProductAttentionResult NaiveAttention(const at::Tensor& q, const at::Tensor& k,
                                               const at::Tensor& v, const MaskSpec& spec,
                                               const at::Tensor& dense, const at::Tensor& bias) {
  const int64_t B = q.size(0), H = q.size(1), Lq = q.size(2), Lk = k.size(2);
  const int64_t D = q.size(3), Dv = v.size(3);
  const at::Tensor qd = q.to(at::kDouble), kd = k.to(at::kDouble), vd = v.to(at::kDouble);
  const auto qa = qd.accessor<double, 4>();
  const auto ka = kd.accessor<double, 4>();
  const auto va = vd.accessor<double, 4>();
  const at::Tensor dense_full = dense.defined() ? dense.expand({B, H, Lq, Lk}).contiguous()
                                                : at::Tensor();
  const at::Tensor bias_full = bias.defined()
                                   ? bias.to(at::kDouble).expand({B, H, Lq, Lk}).contiguous()
                                   : at::zeros({B, H, Lq, Lk}, at::kDouble);
  const auto ba = bias_full.accessor<double, 4>();
  at::Tensor out = at::zeros({B, H, Lq, Dv}, at::kDouble);
  at::Tensor weights = at::zeros({B, H, Lq, Lk}, at::kDouble);
  auto oa = out.accessor<double, 4>();
  auto wa = weights.accessor<double, 4>();
  for (int64_t b = 0; b < B; ++b) {
    const int64_t key_length =
        spec.key_lengths() ? (*spec.key_lengths())[b].item<int64_t>() : Lk;
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t i = 0; i < Lq; ++i) {
        std::vector<double> s(Lk, -kInf);
        double max_score = -kInf;
        for (int64_t j = 0; j < Lk; ++j) {
          bool ok = spec.Allows(key_length, i, j, Lq, Lk);
          if (dense_full.defined()) ok = ok && dense_full[b][h][i][j].item<bool>();
          if (!ok) continue;
          double dot = 0.0;
          for (int64_t d = 0; d < D; ++d) dot += qa[b][h][i][d] * ka[b][h][j][d];
          s[j] = dot / std::sqrt(static_cast<double>(D)) + ba[b][h][i][j];
          max_score = std::max(max_score, s[j]);
        }
        if (max_score == -kInf) continue;  // no allowed key: zero row
        double total = 0.0;
        for (int64_t j = 0; j < Lk; ++j) total += s[j] == -kInf ? 0.0 : std::exp(s[j] - max_score);
        for (int64_t j = 0; j < Lk; ++j) {
          wa[b][h][i][j] = s[j] == -kInf ? 0.0 : std::exp(s[j] - max_score) / total;
          for (int64_t e = 0; e < Dv; ++e) oa[b][h][i][e] += wa[b][h][i][j] * va[b][h][j][e];
        }
      }
    }
  }
  return {out, weights};
}

struct Inputs {
  at::Tensor q, k, v;
};

Inputs RandomInputs(int64_t B, int64_t H, int64_t Lq, int64_t Lk, int64_t D, int64_t Dv,
                    at::ScalarType dtype) {
  return {at::randn({B, H, Lq, D}, dtype), at::randn({B, H, Lk, D}, dtype),
          at::randn({B, H, Lk, Dv}, dtype)};
}

void ExpectMatchesNaive(const Inputs& x, const MaskSpec& spec, const at::Tensor& dense,
                        const at::Tensor& bias, double tolerance, const std::string& label) {
  const ScaledDotProductAttentionResult got = ScaledDotProductAttention(
      x.q, x.k, x.v,
      ScaledDotProductAttentionOptions().mask(spec).dense_mask(dense).attn_bias(bias)
          .need_weights(true));
  const ScaledDotProductAttentionResult want = NaiveAttention(x.q, x.k, x.v, spec, dense, bias);
  ASSERT_EQ(got.output.sizes(), want.output.sizes()) << label;
  ASSERT_EQ(got.weights.sizes(), want.weights.sizes()) << label;
  EXPECT_EQ(got.output.scalar_type(), x.q.scalar_type()) << label;
  EXPECT_LE(MaxAbsDiff(got.output, want.output), tolerance) << label;
  EXPECT_LE(MaxAbsDiff(got.weights, want.weights), tolerance) << label;
  EXPECT_FALSE(got.output.isnan().any().item<bool>()) << label;
}

TEST(ScaledDotProductAttentionTest, MatchesEntryByEntryDefinition) {
  at::manual_seed(0);
  const at::Tensor lengths = at::tensor(std::vector<int64_t>{5, 2});
  const std::vector<std::pair<std::string, MaskSpec>> specs = {
      {"none", MaskSpec()},
      {"causal", MaskSpec::Causal()},
      {"window", MaskSpec().WithSlidingWindow(1, 2)},
      {"padding", MaskSpec().WithKeyLengths(lengths)},
      {"causal+window+global+padding",
       MaskSpec::Causal().WithSlidingWindow(1, 0).WithGlobalTokens({0, 3}).WithKeyLengths(
           lengths)},
  };
  for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
    const double tolerance = dtype == at::kFloat ? 1e-5 : 1e-12;
    for (const auto& [Lq, Lk] : std::vector<std::pair<int64_t, int64_t>>{{5, 5}, {3, 5}, {1, 5}}) {
      const Inputs x = RandomInputs(2, 3, Lq, Lk, 4, 6, dtype);
      const at::Tensor dense = at::rand({2, 1, Lq, Lk}).gt(0.3);
      const at::Tensor bias = at::randn({3, Lq, Lk}, dtype);
      for (const auto& [name, spec] : specs) {
        const std::string label = name + " Lq=" + std::to_string(Lq) + " dtype=" +
                                  std::string(c10::toString(dtype));
        ExpectMatchesNaive(x, spec, at::Tensor(), at::Tensor(), tolerance, label);
        ExpectMatchesNaive(x, spec, dense, at::Tensor(), tolerance, label + " +dense");
        ExpectMatchesNaive(x, spec, at::Tensor(), bias, tolerance, label + " +bias");
        ExpectMatchesNaive(x, spec, dense, bias, tolerance, label + " +dense+bias");
      }
    }
  }
}

TEST(ScaledDotProductAttentionTest, ExplicitScale) {
  at::manual_seed(1);
  const Inputs x = RandomInputs(1, 2, 3, 4, 5, 5, at::kDouble);
  const at::Tensor got =
      ScaledDotProductAttention(x.q, x.k, x.v, ScaledDotProductAttentionOptions().scale(0.7))
          .output;
  // Scaling q by 0.7 * sqrt(D) and using the default 1/sqrt(D) gives the same scores.
  const at::Tensor want =
      ScaledDotProductAttention(x.q.mul(0.7 * std::sqrt(5.0)), x.k, x.v).output;
  EXPECT_LE(MaxAbsDiff(got, want), 1e-12);
}

TEST(ScaledDotProductAttentionTest, WeightsAreDistributionsOverAllowedKeys) {
  at::manual_seed(2);
  const Inputs x = RandomInputs(2, 2, 6, 6, 4, 4, at::kFloat);
  const ScaledDotProductAttentionResult r = ScaledDotProductAttention(
      x.q, x.k, x.v,
      ScaledDotProductAttentionOptions().mask(MaskSpec::Causal()).need_weights(true));
  EXPECT_TRUE(at::allclose(r.weights.sum(-1), at::full({2, 2, 6}, 1.0f), 1e-5, 1e-6));
  const at::Tensor future = CausalMask(6, 6).logical_not();
  EXPECT_EQ(r.weights.masked_select(future).abs().max().item<float>(), 0.0f);
  EXPECT_FALSE(ScaledDotProductAttention(x.q, x.k, x.v).weights.defined());
}

TEST(ScaledDotProductAttentionTest, FullyMaskedRowsGiveZerosAndZeroGradients) {
  at::manual_seed(3);
  Inputs x = RandomInputs(2, 2, 4, 4, 3, 3, at::kDouble);
  x.q.requires_grad_();
  x.k.requires_grad_();
  x.v.requires_grad_();
  // Sequence 0 has no valid key at all; in sequence 1, query row 2 is blocked by a -inf bias.
  at::Tensor bias = at::zeros({2, 1, 4, 4}, at::kDouble);
  bias[1][0][2].fill_(-kInf);
  bias.requires_grad_();
  const ScaledDotProductAttentionResult r = ScaledDotProductAttention(
      x.q, x.k, x.v,
      ScaledDotProductAttentionOptions()
          .mask(MaskSpec::Causal().WithKeyLengths(at::tensor(std::vector<int64_t>{0, 4})))
          .attn_bias(bias)
          .need_weights(true));
  EXPECT_TRUE(r.output.isfinite().all().item<bool>());
  EXPECT_EQ(r.output[0].abs().max().item<double>(), 0.0);
  EXPECT_EQ(r.weights[0].abs().max().item<double>(), 0.0);
  EXPECT_EQ(r.output.select(0, 1).select(1, 2).abs().max().item<double>(), 0.0);
  EXPECT_GT(r.output[1][0][3].abs().max().item<double>(), 0.0);

  r.output.pow(2).sum().add(r.weights.sum()).backward();
  for (const at::Tensor* t : {&x.q, &x.k, &x.v, &bias}) {
    ASSERT_TRUE(t->grad().defined());
    EXPECT_TRUE(t->grad().isfinite().all().item<bool>());
  }
  EXPECT_EQ(x.q.grad()[0].abs().max().item<double>(), 0.0);
  EXPECT_EQ(x.q.grad().select(0, 1).select(1, 2).abs().max().item<double>(), 0.0);
  EXPECT_GT(x.q.grad()[1].abs().max().item<double>(), 0.0);
}

TEST(ScaledDotProductAttentionTest, GradientsPassFiniteDifferenceCheck) {
  at::manual_seed(4);
  const Inputs x = RandomInputs(2, 2, 3, 4, 3, 2, at::kDouble);
  const at::Tensor bias = at::randn({1, 2, 3, 4}, at::kDouble);
  const at::Tensor dense = at::rand({2, 1, 3, 4}).gt(0.2);
  // Sequence 1 sees only its first key, and the window leaves some rows with few keys.
  const MaskSpec spec = MaskSpec::Causal().WithSlidingWindow(2, 0).WithKeyLengths(
      at::tensor(std::vector<int64_t>{4, 1}));
  const auto fn = [&](const std::vector<at::Tensor>& in) {
    const ScaledDotProductAttentionResult r = ScaledDotProductAttention(
        in[0], in[1], in[2],
        ScaledDotProductAttentionOptions().mask(spec).dense_mask(dense).attn_bias(in[3])
            .need_weights(true));
    return at::cat({r.output.reshape({-1}), r.weights.reshape({-1})});
  };
  const sf::testing::GradientCheckResult result = sf::testing::CheckGradients(
      fn, {x.q.clone().requires_grad_(), x.k.clone().requires_grad_(),
           x.v.clone().requires_grad_(), bias.clone().requires_grad_()});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_GT(result.entries_checked, 1000);
}

TEST(ScaledDotProductAttentionTest, DropoutOnlyInTraining) {
  at::manual_seed(5);
  const Inputs x = RandomInputs(2, 2, 5, 5, 4, 4, at::kFloat);
  const at::Tensor plain = ScaledDotProductAttention(x.q, x.k, x.v).output;
  const at::Tensor eval =
      ScaledDotProductAttention(x.q, x.k, x.v,
                                ScaledDotProductAttentionOptions().dropout(0.5).training(false))
          .output;
  EXPECT_TRUE(at::equal(plain, eval));
}

TEST(ScaledDotProductAttentionTest, DropoutZeroesAndRescalesWeightsFromTheGenerator) {
  at::manual_seed(6);
  const Inputs x = RandomInputs(4, 4, 32, 32, 8, 8, at::kFloat);
  const double p = 0.25;
  const auto run = [&](uint64_t seed) {
    return ScaledDotProductAttention(
        x.q, x.k, x.v,
        ScaledDotProductAttentionOptions().dropout(p).training(true).need_weights(true)
            .generator(at::detail::createCPUGenerator(seed)));
  };
  const ScaledDotProductAttentionResult a = run(42), b = run(42), c = run(43);
  EXPECT_TRUE(at::equal(a.weights, b.weights));
  EXPECT_TRUE(at::equal(a.output, b.output));
  EXPECT_FALSE(at::equal(a.weights, c.weights));

  const at::Tensor clean =
      ScaledDotProductAttention(x.q, x.k, x.v,
                                ScaledDotProductAttentionOptions().need_weights(true))
          .weights;
  const at::Tensor kept = a.weights.ne(0);
  const double dropped_fraction = 1.0 - kept.to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(dropped_fraction, p, 0.02);
  EXPECT_TRUE(at::allclose(a.weights.masked_select(kept),
                           clean.masked_select(kept).div(1.0 - p), 1e-5, 1e-7));
  EXPECT_LE(MaxAbsDiff(a.output, a.weights.matmul(x.v)), 1e-5);

  const at::Tensor all_dropped =
      ScaledDotProductAttention(x.q, x.k, x.v,
                                ScaledDotProductAttentionOptions().dropout(1.0).training(true))
          .output;
  EXPECT_EQ(all_dropped.abs().max().item<float>(), 0.0f);
}

TEST(ScaledDotProductAttentionTest, BadArgumentsNameTheShapes) {
  const at::Tensor q = at::randn({2, 3, 4, 8});
  const at::Tensor k = at::randn({2, 3, 5, 8});
  const at::Tensor v = at::randn({2, 3, 5, 6});
  const auto expect_error = [](const std::function<void()>& call,
                               const std::vector<std::string>& fragments) {
    try {
      call();
      ADD_FAILURE() << "expected c10::Error";
    } catch (const c10::Error& e) {
      for (const std::string& fragment : fragments) {
        EXPECT_THAT(e.what(), HasSubstr(fragment));
      }
    }
  };
  expect_error([&] { ScaledDotProductAttention(q.reshape({6, 4, 8}), k, v); }, {"[6, 4, 8]"});
  expect_error([&] { ScaledDotProductAttention(q, at::randn({2, 3, 5, 7}), v); },
               {"head_dim 8", "head_dim 7"});
  expect_error([&] { ScaledDotProductAttention(q, k, at::randn({2, 3, 4, 6})); },
               {"key length 5", "value length 4"});
  expect_error([&] { ScaledDotProductAttention(q, at::randn({2, 2, 5, 8}), v); },
               {"[2, 2, 5, 8]"});
  expect_error([&] { ScaledDotProductAttention(q, k.to(at::kDouble), v); }, {"Double"});
  expect_error(
      [&] {
        ScaledDotProductAttention(
            q, k, v, ScaledDotProductAttentionOptions().dense_mask(at::ones({4, 4}, at::kBool)));
      },
      {"[4, 4]", "[2, 3, 4, 5]"});
  expect_error(
      [&] {
        ScaledDotProductAttention(
            q, k, v, ScaledDotProductAttentionOptions().dense_mask(at::ones({4, 5})));
      },
      {"bool"});
  expect_error(
      [&] {
        ScaledDotProductAttention(
            q, k, v, ScaledDotProductAttentionOptions().attn_bias(at::zeros({3, 5, 4})));
      },
      {"[3, 5, 4]"});
  expect_error(
      [&] {
        ScaledDotProductAttention(
            q, k, v,
            ScaledDotProductAttentionOptions().mask(
                MaskSpec().WithKeyLengths(at::tensor(std::vector<int64_t>{1, 2, 3}))));
      },
      {"3 key lengths", "2 sequences"});
  expect_error(
      [&] {
        ScaledDotProductAttention(q, k, v,
                                  ScaledDotProductAttentionOptions().dropout(1.5).training(true));
      },
      {"1.5"});
}

}  // namespace
}  // namespace sf::attention
