#include "attention/internal/fused_attention_test_util.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "attention/internal/fused_attention_tile_ops.h"

namespace sf::attention::testing {

at::Tensor ReferenceAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                              const MaskSpec& mask, std::optional<double> scale) {
  const double s = scale.value_or(1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  const at::Tensor blocked = mask.Materialize(q.size(-2), k.size(-2)).logical_not();
  at::Tensor scores = at::matmul(q, k.transpose(-2, -1)).mul(s);
  scores = scores.masked_fill(blocked, -std::numeric_limits<double>::infinity());
  // A row with no allowed key is all NaN after softmax; the fill turns it into zeros.
  const at::Tensor p = at::softmax(scores, -1).masked_fill(blocked, 0.0);
  return at::matmul(p, v);
}

double RelativeMaxDiff(const at::Tensor& actual, const at::Tensor& expected) {
  const at::Tensor a = actual.detach().to(at::kDouble);
  const at::Tensor e = expected.detach().to(at::kDouble);
  if (e.numel() == 0) return 0.0;
  const double scale = std::max(e.abs().max().item<double>(), 1e-3);
  return (a - e).abs().max().item<double>() / scale;
}

std::vector<NamedMask> MaskCatalogue(int64_t batch, int64_t len_k) {
  std::vector<int64_t> lengths;
  for (int64_t b = 0; b < batch; ++b) lengths.push_back(len_k - (len_k * b) / (batch + 1));
  const at::Tensor key_lengths = at::tensor(lengths, at::kLong);
  const std::vector<int64_t> globals = {0, 5, 77, 150};
  return {
      {"none", MaskSpec()},
      {"causal", MaskSpec::Causal()},
      {"window", MaskSpec().WithSlidingWindow(13, 7)},
      {"window_left_only", MaskSpec().WithSlidingWindow(20, MaskSpec::kUnbounded)},
      {"causal_window", MaskSpec::Causal().WithSlidingWindow(40, 0)},
      {"key_lengths", MaskSpec().WithKeyLengths(key_lengths)},
      {"causal_key_lengths", MaskSpec::Causal().WithKeyLengths(key_lengths)},
      {"window_global", MaskSpec().WithSlidingWindow(8, 8).WithGlobalTokens(globals)},
      {"causal_global", MaskSpec::Causal().WithGlobalTokens({1, 64, 99})},
      {"everything", MaskSpec::Causal()
                         .WithSlidingWindow(30, 0)
                         .WithGlobalTokens({0, 3, 100})
                         .WithKeyLengths(key_lengths)},
      {"window_global_key_lengths",
       MaskSpec().WithSlidingWindow(5, 20).WithGlobalTokens({2, 90}).WithKeyLengths(key_lengths)},
  };
}

at::Tensor PackRows(const at::Tensor& padded, const std::vector<int64_t>& lengths) {
  std::vector<at::Tensor> parts;
  for (size_t n = 0; n < lengths.size(); ++n) {
    parts.push_back(padded[n].narrow(1, 0, lengths[n]).transpose(0, 1));
  }
  return at::cat(parts, 0).contiguous();
}

at::Tensor CuSeqlens(const std::vector<int64_t>& lengths, at::ScalarType dtype) {
  std::vector<int64_t> cu = {0};
  for (int64_t length : lengths) cu.push_back(cu.back() + length);
  return at::tensor(cu, at::kLong).to(dtype);
}

double NumericalGradient(const std::function<double()>& f, at::Tensor& x, int64_t index,
                         double eps) {
  double* data = x.data_ptr<double>();
  const double saved = data[index];
  data[index] = saved + eps;
  const double plus = f();
  data[index] = saved - eps;
  const double minus = f();
  data[index] = saved;
  return (plus - minus) / (2 * eps);
}

void FusedIsaTest::SetUp() {
  if (GetParam() == internal::FusedKernelIsa::kAvx2 && !internal::CpuHasAvx2Fma()) {
    GTEST_SKIP() << "this CPU has no AVX2/FMA";
  }
  internal::SetFusedKernelIsa(GetParam());
  at::set_num_threads(1);
}

void FusedIsaTest::TearDown() { internal::SetFusedKernelIsa(internal::FusedKernelIsa::kAuto); }

std::string IsaName(const ::testing::TestParamInfo<internal::FusedKernelIsa>& info) {
  return internal::FusedKernelIsaName(info.param);
}

}  // namespace sf::attention::testing
