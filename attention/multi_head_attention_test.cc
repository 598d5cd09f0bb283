#include "attention/multi_head_attention.h"

#include <functional>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/full.h>
#include <ATen/ops/randint.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/tensor.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>

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

double Tolerance(at::ScalarType dtype) { return dtype == at::kFloat ? 1e-5 : 1e-10; }

// Our module and LibTorch's with the same (random, non-zero) parameters.
struct ModulePair {
  MultiHeadAttention ours{nullptr};
  torch::nn::MultiheadAttention theirs{nullptr};
};

ModulePair MakePair(int64_t d_model, int64_t heads, at::ScalarType dtype) {
  ModulePair pair;
  pair.ours = MultiHeadAttention(MultiHeadAttentionOptions(d_model, heads).need_weights(true));
  pair.theirs = torch::nn::MultiheadAttention(torch::nn::MultiheadAttentionOptions(d_model, heads));
  pair.ours->to(dtype);
  pair.theirs->to(dtype);
  c10::NoGradGuard no_grad;
  // Non-zero biases, so the bias rows of the fused projection are exercised too.
  torch::nn::init::normal_(pair.ours->in_proj_bias, 0.0, 0.5);
  torch::nn::init::normal_(pair.ours->out_proj->bias, 0.0, 0.5);
  pair.theirs->in_proj_weight.copy_(pair.ours->in_proj_weight);
  pair.theirs->in_proj_bias.copy_(pair.ours->in_proj_bias);
  pair.theirs->out_proj->weight.copy_(pair.ours->out_proj->weight);
  pair.theirs->out_proj->bias.copy_(pair.ours->out_proj->bias);
  pair.ours->eval();
  pair.theirs->eval();
  return pair;
}

// torch::nn::MultiheadAttention is sequence-first and takes "true = ignore" padding and
// additive float masks; returns batch-first output and per-head weights.
std::tuple<at::Tensor, at::Tensor> RunTheirs(torch::nn::MultiheadAttention& theirs,
                                             const at::Tensor& query, const at::Tensor& key,
                                             const at::Tensor& value,
                                             const at::Tensor& key_padding_mask,
                                             const at::Tensor& attn_mask) {
  at::Tensor output, weights;
  std::tie(output, weights) = theirs->forward(
      query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1), key_padding_mask,
      /*need_weights=*/true, attn_mask, /*average_attn_weights=*/false);
  return {output.transpose(0, 1), weights};
}

// LibTorch's causal mask, built independently of masks.h: -inf strictly above the diagonal.
at::Tensor TheirCausalMask(int64_t len, at::ScalarType dtype) {
  return at::full({len, len}, -kInf, dtype).triu(1);
}

// LibTorch's key padding mask: true = ignore.
at::Tensor TheirPaddingMask(const at::Tensor& lengths, int64_t len_k) {
  return at::arange(len_k, at::kLong).unsqueeze(0).ge(lengths.unsqueeze(1));
}

// Lengths in [1, len], one sequence always full.
at::Tensor RandomLengths(int64_t batch, int64_t len) {
  at::Tensor lengths = at::randint(1, len + 1, {batch}, at::kLong);
  lengths[0] = len;
  return lengths;
}

struct Shape {
  int64_t batch, len_q, len_k, d_model, heads;
};

std::string Describe(const Shape& s, at::ScalarType dtype, const std::string& what,
                     AttentionBackend backend) {
  return what + " batch=" + std::to_string(s.batch) + " len_q=" + std::to_string(s.len_q) +
         " len_k=" + std::to_string(s.len_k) + " d_model=" + std::to_string(s.d_model) +
         " heads=" + std::to_string(s.heads) + " dtype=" + c10::toString(dtype) + " backend=" +
         AttentionBackendName(backend);
}

void CompareWithLibTorch(const Shape& s, at::ScalarType dtype) {
  ModulePair pair = MakePair(s.d_model, s.heads, dtype);
  const at::Tensor x = at::randn({s.batch, s.len_q, s.d_model}, dtype);
  const at::Tensor memory = at::randn({s.batch, s.len_k, s.d_model}, dtype);
  const at::Tensor lengths = RandomLengths(s.batch, s.len_k);
  const bool self = s.len_q == s.len_k;

  struct Case {
    std::string name;
    MaskSpec spec;
    at::Tensor key_padding_mask;
    at::Tensor attn_mask;
  };
  std::vector<Case> cases = {
      {"no mask", MaskSpec(), at::Tensor(), at::Tensor()},
      {"key padding", MaskSpec().WithKeyLengths(lengths), TheirPaddingMask(lengths, s.len_k),
       at::Tensor()},
  };
  if (self) {
    cases.push_back({"causal", MaskSpec::Causal(), at::Tensor(), TheirCausalMask(s.len_q, dtype)});
    cases.push_back({"causal + key padding", MaskSpec::Causal().WithKeyLengths(lengths),
                     TheirPaddingMask(lengths, s.len_k), TheirCausalMask(s.len_q, dtype)});
  }
  for (const Case& c : cases) {
    const at::Tensor& key = self ? x : memory;
    at::Tensor want_output, want_weights;
    std::tie(want_output, want_weights) =
        RunTheirs(pair.theirs, x, key, key, c.key_padding_mask, c.attn_mask);
    for (AttentionBackend backend : {AttentionBackend::kReference, AttentionBackend::kLibTorch}) {
      pair.ours->set_backend(backend);
      const std::string label = Describe(s, dtype, (self ? "self, " : "cross, ") + c.name, backend);
      const AttentionOutput got = pair.ours->forward(x, key, key, c.spec);
      ASSERT_EQ(got.output.sizes(), want_output.sizes()) << label;
      ASSERT_TRUE(got.weights.defined()) << label;
      ASSERT_EQ(got.weights.sizes(), want_weights.sizes()) << label;
      EXPECT_EQ(got.output.scalar_type(), dtype) << label;
      EXPECT_LE(MaxAbsDiff(got.output, want_output), Tolerance(dtype)) << label;
      EXPECT_LE(MaxAbsDiff(got.weights, want_weights), Tolerance(dtype)) << label;
    }
  }
}

const std::vector<Shape>& Shapes() {
  static const std::vector<Shape> shapes = {
      {2, 5, 5, 8, 2},  {3, 7, 7, 12, 3}, {1, 1, 1, 4, 4},   {4, 9, 9, 16, 1},
      {2, 3, 3, 6, 2},  {2, 5, 7, 8, 2},  {3, 4, 9, 12, 4},  {1, 7, 3, 6, 3},
  };
  return shapes;
}

TEST(MultiHeadAttentionTest, MatchesLibTorchModuleInFloat32) {
  at::manual_seed(0);
  for (const Shape& s : Shapes()) CompareWithLibTorch(s, at::kFloat);
}

TEST(MultiHeadAttentionTest, MatchesLibTorchModuleInFloat64) {
  at::manual_seed(1);
  for (const Shape& s : Shapes()) CompareWithLibTorch(s, at::kDouble);
}

// Masks LibTorch's module cannot express (window, global tokens, bottom-right causal
// cross-attention, additive bias, a sequence with no key): the LibTorch backend must still
// agree with the reference.
TEST(MultiHeadAttentionTest, LibTorchBackendMatchesReferenceOnEveryMask) {
  at::manual_seed(7);
  MultiHeadAttention mha(MultiHeadAttentionOptions(12, 3).need_weights(true));
  mha->to(at::kDouble);
  torch::nn::init::normal_(mha->in_proj_bias);
  const at::Tensor x = at::randn({3, 4, 12}, at::kDouble);
  const at::Tensor memory = at::randn({3, 9, 12}, at::kDouble);
  at::Tensor bias = at::randn({1, 3, 4, 9}, at::kDouble);
  bias[0][1][2].fill_(-kInf);  // head 1, query 2: no key through the bias alone
  const at::Tensor lengths = at::tensor(std::vector<int64_t>{9, 0, 5});
  const std::vector<MaskSpec> specs = {
      MaskSpec::Causal(),
      MaskSpec::Causal().WithSlidingWindow(3, 0).WithKeyLengths(lengths),
      MaskSpec().WithSlidingWindow(1, 2).WithGlobalTokens({0, 7}),
      MaskSpec::Causal().WithSlidingWindow(2, 0).WithGlobalTokens({6}).WithKeyLengths(lengths),
  };
  for (size_t i = 0; i < specs.size(); ++i) {
    for (const at::Tensor& attn_bias : {at::Tensor(), bias}) {
      mha->set_backend(AttentionBackend::kReference);
      const AttentionOutput want = mha->forward(x, memory, memory, specs[i], nullptr, attn_bias);
      mha->set_backend(AttentionBackend::kLibTorch);
      const AttentionOutput got = mha->forward(x, memory, memory, specs[i], nullptr, attn_bias);
      const std::string label =
          "spec " + std::to_string(i) + (attn_bias.defined() ? " with bias" : " without bias");
      EXPECT_TRUE(got.output.isfinite().all().item<bool>()) << label;
      EXPECT_LE(MaxAbsDiff(got.output, want.output), 1e-10) << label;
      EXPECT_LE(MaxAbsDiff(got.weights, want.weights), 1e-10) << label;
    }
  }
}

TEST(MultiHeadAttentionTest, ParametersHaveLibTorchNames) {
  MultiHeadAttention ours(MultiHeadAttentionOptions(8, 2));
  torch::nn::MultiheadAttention theirs(torch::nn::MultiheadAttentionOptions(8, 2));
  std::set<std::string> our_names, their_names;
  for (const auto& item : ours->named_parameters()) our_names.insert(item.key());
  for (const auto& item : theirs->named_parameters()) their_names.insert(item.key());
  EXPECT_EQ(our_names, their_names);
  EXPECT_EQ(ours->in_proj_weight.sizes(), theirs->in_proj_weight.sizes());

  MultiHeadAttention no_bias(MultiHeadAttentionOptions(8, 2).bias(false));
  EXPECT_EQ(no_bias->parameters().size(), 2u);
  const at::Tensor x = at::randn({2, 3, 8});
  EXPECT_EQ(no_bias->forward(x, x, x).output.sizes(), x.sizes());
}

TEST(MultiHeadAttentionTest, SeparateKeyAndValueUseTheirOwnProjectionRows) {
  at::manual_seed(2);
  ModulePair pair = MakePair(8, 2, at::kDouble);
  const at::Tensor q = at::randn({2, 3, 8}, at::kDouble);
  const at::Tensor k = at::randn({2, 5, 8}, at::kDouble);
  const at::Tensor v = at::randn({2, 5, 8}, at::kDouble);
  at::Tensor want_output, want_weights;
  std::tie(want_output, want_weights) = RunTheirs(pair.theirs, q, k, v, at::Tensor(), at::Tensor());
  const AttentionOutput got = pair.ours->forward(q, k, v);
  EXPECT_LE(MaxAbsDiff(got.output, want_output), 1e-10);
  EXPECT_LE(MaxAbsDiff(got.weights, want_weights), 1e-10);
}

TEST(MultiHeadAttentionTest, WeightsOnlyWhenRequested) {
  MultiHeadAttention mha(MultiHeadAttentionOptions(8, 2));
  const at::Tensor x = at::randn({1, 4, 8});
  EXPECT_FALSE(mha->forward(x, x, x).weights.defined());
  mha->options.need_weights(true);
  const at::Tensor weights = mha->forward(x, x, x, MaskSpec::Causal()).weights;
  EXPECT_EQ(weights.sizes(), (std::vector<int64_t>{1, 2, 4, 4}));
}

TEST(MultiHeadAttentionTest, FullyMaskedSequencesGiveFiniteOutputsAndGradients) {
  for (AttentionBackend backend : {AttentionBackend::kReference, AttentionBackend::kLibTorch}) {
    MultiHeadAttention mha(MultiHeadAttentionOptions(8, 2).backend(backend));
    const at::Tensor x = at::randn({2, 4, 8}).requires_grad_();
    const AttentionOutput out = mha->forward(
        x, x, x, MaskSpec::Causal().WithKeyLengths(at::tensor(std::vector<int64_t>{0, 3})));
    EXPECT_TRUE(out.output.isfinite().all().item<bool>()) << AttentionBackendName(backend);
    // No key: the attention is zero, so the row is out_proj's bias (zero at initialisation).
    EXPECT_EQ(out.output[0].abs().max().item<float>(), 0.0f) << AttentionBackendName(backend);
    out.output.pow(2).sum().backward();
    EXPECT_TRUE(x.grad().isfinite().all().item<bool>()) << AttentionBackendName(backend);
    EXPECT_TRUE(mha->in_proj_weight.grad().isfinite().all().item<bool>());
  }
}

TEST(MultiHeadAttentionTest, GradientsPassFiniteDifferenceCheck) {
  at::manual_seed(3);
  for (AttentionBackend backend : {AttentionBackend::kReference, AttentionBackend::kLibTorch}) {
    MultiHeadAttention mha(MultiHeadAttentionOptions(4, 2).backend(backend));
    mha->to(at::kDouble);
    torch::nn::init::normal_(mha->in_proj_bias);
    const MaskSpec spec = MaskSpec::Causal().WithKeyLengths(at::tensor(std::vector<int64_t>{3, 2}));
    const auto fn = [&](const std::vector<at::Tensor>& in) {
      return mha->forward(in[0], in[1], in[1], spec).output;
    };
    const sf::testing::GradientCheckResult result = sf::testing::CheckGradients(
        fn, {at::randn({2, 3, 4}, at::kDouble).requires_grad_(),
             at::randn({2, 3, 4}, at::kDouble).requires_grad_()});
    EXPECT_TRUE(result.ok) << AttentionBackendName(backend) << ": " << result.message;
  }
}

// Runs `call` and checks that it throws c10::Error whose message contains every fragment.
void ExpectError(const std::function<void()>& call, const std::vector<std::string>& fragments) {
  try {
    call();
    ADD_FAILURE() << "expected c10::Error";
  } catch (const c10::Error& e) {
    for (const std::string& fragment : fragments) EXPECT_THAT(e.what(), HasSubstr(fragment));
  }
}

// Feeds `x` to the module in chunks of the given sizes through one cache.
at::Tensor DecodeInChunks(MultiHeadAttention& mha, const at::Tensor& x,
                          const std::vector<int64_t>& chunks, const MaskSpec& spec) {
  KeyValueCache cache;
  std::vector<at::Tensor> outputs;
  int64_t start = 0;
  for (int64_t size : chunks) {
    const at::Tensor step = x.narrow(1, start, size);
    outputs.push_back(mha->forward(step, step, step, spec, &cache).output);
    start += size;
    EXPECT_EQ(cache.length(), start);
  }
  return at::cat(outputs, 1);
}

TEST(MultiHeadAttentionTest, IncrementalDecodingMatchesFullCausalAttention) {
  at::manual_seed(4);
  const std::vector<MaskSpec> specs = {MaskSpec::Causal(),
                                       MaskSpec::Causal().WithSlidingWindow(2, 0)};
  // With gradients the cache concatenates; without, it appends into its buffers.
  for (bool grad : {true, false}) {
  const c10::AutoGradMode grad_mode(grad);
  for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
    for (AttentionBackend backend : {AttentionBackend::kReference, AttentionBackend::kLibTorch}) {
      MultiHeadAttention mha(MultiHeadAttentionOptions(12, 3).backend(backend));
      mha->to(dtype);
      mha->eval();
      const at::Tensor x = at::randn({2, 7, 12}, dtype);
      for (size_t i = 0; i < specs.size(); ++i) {
        const at::Tensor full = mha->forward(x, x, x, specs[i]).output;
        for (const std::vector<int64_t>& chunks :
             std::vector<std::vector<int64_t>>{{1, 1, 1, 1, 1, 1, 1}, {3, 1, 3}, {7}}) {
          EXPECT_LE(MaxAbsDiff(DecodeInChunks(mha, x, chunks, specs[i]), full), Tolerance(dtype))
              << "spec " << i << " chunks " << chunks.size() << " dtype " << dtype
              << " backend " << AttentionBackendName(backend) << " grad " << grad;
        }
      }
    }
  }
  }
}

TEST(MultiHeadAttentionTest, CacheGrowsInPlaceWithoutGradients) {
  at::manual_seed(7);
  const c10::NoGradGuard no_grad;
  MultiHeadAttention mha(MultiHeadAttentionOptions(8, 2));
  mha->eval();
  const at::Tensor x = at::randn({2, 40, 8});
  const at::Tensor full = mha->forward(x, x, x, MaskSpec::Causal()).output;
  KeyValueCache cache;
  std::vector<at::Tensor> outputs;
  std::vector<int64_t> capacities;
  std::vector<const void*> buffers;
  for (int64_t t = 0; t < 40; ++t) {
    const at::Tensor step = x.narrow(1, t, 1);
    outputs.push_back(mha->forward(step, step, step, MaskSpec::Causal(), &cache).output);
    ASSERT_TRUE(cache.key_buffer.defined());
    EXPECT_EQ(cache.keys.data_ptr(), cache.key_buffer.data_ptr());
    EXPECT_EQ(cache.values.data_ptr(), cache.value_buffer.data_ptr());
    if (capacities.empty() || capacities.back() != cache.key_buffer.size(2)) {
      capacities.push_back(cache.key_buffer.size(2));
      buffers.push_back(cache.key_buffer.data_ptr());
    }
  }
  EXPECT_LE(MaxAbsDiff(at::cat(outputs, 1), full), 1e-5);
  // Three buffers for forty appends: the capacity doubled when full.
  EXPECT_EQ(capacities, (std::vector<int64_t>{16, 32, 64}));
  EXPECT_EQ(std::set<const void*>(buffers.begin(), buffers.end()).size(), 3u);

  // A tensor taken from the cache and still held never changes: the next append after a
  // truncation goes to a new buffer instead of over its positions.
  const at::Tensor held = cache.keys;
  const at::Tensor held_copy = held.clone();
  const void* before = cache.key_buffer.data_ptr();
  cache.Truncate(10);
  const at::Tensor step = at::randn({2, 1, 8});
  mha->forward(step, step, step, MaskSpec::Causal(), &cache);
  EXPECT_TRUE(at::equal(held, held_copy));
  EXPECT_NE(cache.key_buffer.data_ptr(), before);
  EXPECT_EQ(cache.length(), 11);
  // Once nothing else holds it, the new buffer grows in place again.
  const void* now = cache.key_buffer.data_ptr();
  mha->forward(step, step, step, MaskSpec::Causal(), &cache);
  EXPECT_EQ(cache.key_buffer.data_ptr(), now);
}

TEST(MultiHeadAttentionTest, CopiesOfACacheDoNotShareAppends) {
  at::manual_seed(8);
  const c10::NoGradGuard no_grad;
  MultiHeadAttention mha(MultiHeadAttentionOptions(8, 2));
  mha->eval();
  const at::Tensor prefix = at::randn({1, 3, 8});
  const at::Tensor a = at::randn({1, 1, 8});
  const at::Tensor b = at::randn({1, 1, 8});
  const auto continued = [&](const at::Tensor& next) {
    const at::Tensor whole = at::cat({prefix, next}, 1);
    return mha->forward(whole, whole, whole, MaskSpec::Causal()).output.narrow(1, 3, 1);
  };
  KeyValueCache first;
  mha->forward(prefix, prefix, prefix, MaskSpec::Causal(), &first);
  KeyValueCache second = first;  // shares the buffers until one of them appends
  const at::Tensor out_a = mha->forward(a, a, a, MaskSpec::Causal(), &first).output;
  const at::Tensor out_b = mha->forward(b, b, b, MaskSpec::Causal(), &second).output;
  EXPECT_LE(MaxAbsDiff(out_a, continued(a)), 1e-5);
  EXPECT_LE(MaxAbsDiff(out_b, continued(b)), 1e-5);
  // Each copy ends with its own fourth position.
  EXPECT_FALSE(at::equal(first.keys.narrow(2, 3, 1), second.keys.narrow(2, 3, 1)));
  EXPECT_TRUE(at::equal(first.keys.narrow(2, 0, 3), second.keys.narrow(2, 0, 3)));

  // Keys replaced by the caller (here sliced) are never written through.
  KeyValueCache sliced;
  mha->forward(prefix, prefix, prefix, MaskSpec::Causal(), &sliced);
  const at::Tensor all_keys = sliced.keys.clone();
  const at::Tensor held = sliced.keys;
  sliced.keys = sliced.keys.slice(2, 0, 2);
  sliced.values = sliced.values.slice(2, 0, 2);
  mha->forward(a, a, a, MaskSpec::Causal(), &sliced);
  EXPECT_TRUE(at::equal(held, all_keys));
  EXPECT_EQ(sliced.length(), 3);
}

TEST(MultiHeadAttentionTest, TruncatedCacheDecodesAgainFromThere) {
  at::manual_seed(9);
  for (bool grad : {true, false}) {
    const c10::AutoGradMode grad_mode(grad);
    MultiHeadAttention mha(MultiHeadAttentionOptions(8, 2));
    mha->eval();
    const at::Tensor x = at::randn({2, 7, 8});
    const at::Tensor full = mha->forward(x, x, x, MaskSpec::Causal()).output;
    KeyValueCache cache;
    mha->forward(x, x, x, MaskSpec::Causal(), &cache);
    mha->forward(at::randn({2, 2, 8}), at::randn({2, 2, 8}), at::randn({2, 2, 8}),
                 MaskSpec::Causal(), &cache);
    EXPECT_EQ(cache.length(), 9);
    cache.Truncate(4);
    EXPECT_EQ(cache.length(), 4);
    const at::Tensor rest = x.narrow(1, 4, 3);
    const at::Tensor out = mha->forward(rest, rest, rest, MaskSpec::Causal(), &cache).output;
    EXPECT_LE(MaxAbsDiff(out, full.narrow(1, 4, 3)), 1e-5) << "grad " << grad;
    cache.Truncate(0);
    EXPECT_EQ(cache.length(), 0);
    const at::Tensor again = mha->forward(x, x, x, MaskSpec::Causal(), &cache).output;
    EXPECT_LE(MaxAbsDiff(again, full), 1e-5) << "grad " << grad;
    ExpectError([&] { cache.Truncate(8); }, {"length 8", "[0, 7]"});
    ExpectError([&] { cache.Truncate(-1); }, {"length -1"});
  }
}

TEST(MultiHeadAttentionTest, GradientsFlowThroughTheCachedSteps) {
  at::manual_seed(10);
  MultiHeadAttention mha(MultiHeadAttentionOptions(8, 2));
  const at::Tensor x = at::randn({2, 5, 8});
  mha->forward(x, x, x, MaskSpec::Causal()).output.square().sum().backward();
  const at::Tensor full_grad = mha->in_proj_weight.grad().clone();
  mha->zero_grad();
  const at::Tensor decoded = DecodeInChunks(mha, x, {2, 1, 2}, MaskSpec::Causal());
  decoded.square().sum().backward();
  EXPECT_LE(MaxAbsDiff(mha->in_proj_weight.grad(), full_grad), 1e-5);
}

TEST(MultiHeadAttentionTest, CrossAttentionReusesACachedMemory) {
  at::manual_seed(5);
  MultiHeadAttention mha(MultiHeadAttentionOptions(8, 2));
  const at::Tensor memory = at::randn({2, 6, 8});
  const at::Tensor queries = at::randn({2, 3, 8});
  const at::Tensor full = mha->forward(queries, memory, memory).output;
  KeyValueCache cache;
  std::vector<at::Tensor> steps;
  steps.push_back(mha->forward(queries.narrow(1, 0, 1), memory, memory, MaskSpec(), &cache).output);
  for (int64_t t = 1; t < 3; ++t) {
    steps.push_back(mha->forward(queries.narrow(1, t, 1), at::Tensor(), at::Tensor(), MaskSpec(),
                                 &cache)
                        .output);
    EXPECT_EQ(cache.length(), 6);
  }
  EXPECT_LE(MaxAbsDiff(at::cat(steps, 1), full), 1e-5);
  cache.Reset();
  EXPECT_EQ(cache.length(), 0);
  EXPECT_THROW(mha->forward(queries, at::Tensor(), at::Tensor(), MaskSpec(), &cache), c10::Error);
}

TEST(MultiHeadAttentionTest, DropoutOnlyInTraining) {
  at::manual_seed(6);
  MultiHeadAttention mha(MultiHeadAttentionOptions(8, 2).dropout(0.5));
  const at::Tensor x = at::randn({2, 6, 8});
  mha->eval();
  EXPECT_TRUE(at::equal(mha->forward(x, x, x).output, mha->forward(x, x, x).output));
  const at::Tensor eval_output = mha->forward(x, x, x).output;
  mha->train();
  EXPECT_GT(MaxAbsDiff(mha->forward(x, x, x).output, eval_output), 1e-3);
}

TEST(MultiHeadAttentionTest, CloneCopiesParameters) {
  MultiHeadAttention mha(MultiHeadAttentionOptions(8, 4).need_weights(true));
  const auto copy = std::dynamic_pointer_cast<MultiHeadAttentionImpl>(mha->clone());
  ASSERT_NE(copy, nullptr);
  EXPECT_TRUE(at::equal(copy->in_proj_weight, mha->in_proj_weight));
  EXPECT_NE(copy->in_proj_weight.data_ptr(), mha->in_proj_weight.data_ptr());
  const at::Tensor x = at::randn({1, 3, 8});
  EXPECT_TRUE(at::equal(copy->forward(x, x, x).weights, mha->forward(x, x, x).weights));
}

TEST(MultiHeadAttentionTest, BackendNamesRoundTrip) {
  for (AttentionBackend backend :
       {AttentionBackend::kReference, AttentionBackend::kFused, AttentionBackend::kLibTorch}) {
    EXPECT_EQ(ParseAttentionBackend(AttentionBackendName(backend)), backend);
  }
  try {
    ParseAttentionBackend("flash");
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"flash\""));
  }
}

TEST(MultiHeadAttentionTest, BadArgumentsNameTheValues) {
  ExpectError([] { MultiHeadAttention(MultiHeadAttentionOptions(10, 3)); },
              {"d_model (10)", "heads (3)"});
  ExpectError([] { MultiHeadAttention(MultiHeadAttentionOptions(8, 0)); }, {"heads=0"});
  ExpectError([] { MultiHeadAttention(MultiHeadAttentionOptions(8, 2).dropout(1.0)); },
              {"dropout", "got 1"});

  for (AttentionBackend backend :
       {AttentionBackend::kReference, AttentionBackend::kFused, AttentionBackend::kLibTorch}) {
    SCOPED_TRACE(AttentionBackendName(backend));
    MultiHeadAttention mha(MultiHeadAttentionOptions(8, 2).backend(backend));
    mha->eval();
    const at::Tensor x = at::randn({2, 5, 8});
    // One length for a batch of two: every backend refuses it, the fused kernel included.
    ExpectError([&] { mha->forward(x, x, x, MaskSpec().WithKeyLengths(at::tensor({3L}))); },
                {"1 key lengths", "2 sequences"});
    if (backend == AttentionBackend::kFused) continue;  // takes no attn_bias at all
    // A bool "allowed" mask passed as a bias would add 1 to the allowed scores and mask nothing.
    const at::Tensor causal_bool = at::ones({5, 5}, at::kBool).tril();
    ExpectError([&] { mha->forward(x, x, x, MaskSpec(), nullptr, causal_bool); },
                {"attn_bias must be floating point", "Bool"});
    ExpectError([&] { mha->forward(x, x, x, MaskSpec(), nullptr, at::zeros({5, 3})); },
                {"attn_bias of shape [5, 3]", "[2, 2, 5, 5]"});
  }

  MultiHeadAttention mha(MultiHeadAttentionOptions(8, 2));
  const at::Tensor x = at::randn({2, 5, 8});
  ExpectError([&] { mha->forward(at::randn({2, 5, 6}), x, x); }, {"d_model=8", "[2, 5, 6]"});
  ExpectError([&] { mha->forward(x, x, at::randn({2, 4, 8})); },
              {"key length 5", "value length 4"});
  ExpectError([&] { mha->forward(x, at::randn({3, 5, 8}), at::randn({3, 5, 8})); },
              {"[2, 5, 8]", "[3, 5, 8]"});
  ExpectError([&] { mha->forward(x, x, x, MaskSpec().WithSlidingWindow(-1, 0)); }, {"-1"});
  ExpectError(
      [&] {
        mha->forward(x, x, x, MaskSpec().WithKeyLengths(at::tensor(std::vector<int64_t>{5})));
      },
      {"1 key lengths", "2 sequences"});
  KeyValueCache cache;
  mha->forward(x, x, x, MaskSpec::Causal(), &cache);
  const at::Tensor other_batch = at::randn({3, 1, 8});
  ExpectError([&] { mha->forward(other_batch, other_batch, other_batch, MaskSpec(), &cache); },
              {"[2, 2, 5, 4]", "[3, 2, 1, 4]"});
}

}  // namespace
}  // namespace sf::attention
