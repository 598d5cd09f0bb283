// Test helpers for the fused attention kernel: a straightforward dense reference, a tolerance
// measure, packing of padded batches into the varlen layout, a fixture that selects the
// kernel's instruction set, and central-difference gradients.
//
//   at::Tensor expected = ReferenceAttention(q, k, v, MaskSpec::Causal());
//   EXPECT_LE(RelativeMaxDiff(FusedAttention(q, k, v, MaskSpec::Causal()), expected), 1e-4);
#ifndef SCRATCHFORMER_ATTENTION_INTERNAL_FUSED_ATTENTION_TEST_UTIL_H_
#define SCRATCHFORMER_ATTENTION_INTERNAL_FUSED_ATTENTION_TEST_UTIL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <gtest/gtest.h>

#include "attention/internal/fused_attention_kernel.h"
#include "attention/masks.h"

namespace sf::attention::testing {

// softmax(scale * q k^T masked by mask.Materialize) v with tensor ops; rows that see no key
// give zeros. Differentiable.
at::Tensor ReferenceAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                              const MaskSpec& mask, std::optional<double> scale = std::nullopt);

// max |actual - expected| / max(max |expected|, 1e-3): the error relative to the output scale.
double RelativeMaxDiff(const at::Tensor& actual, const at::Tensor& expected);

// Named masks for a problem with len_k keys and `batch` sequences, covering every mask kind
// and combinations of them.
struct NamedMask {
  std::string name;
  MaskSpec spec;
};
std::vector<NamedMask> MaskCatalogue(int64_t batch, int64_t len_k);

// padded [N, H, L, D] -> packed [sum(lengths), H, D]: rows [0, lengths[n]) of sequence n.
at::Tensor PackRows(const at::Tensor& padded, const std::vector<int64_t>& lengths);
// {0, l0, l0 + l1, ...} as a tensor of `dtype`.
at::Tensor CuSeqlens(const std::vector<int64_t>& lengths, at::ScalarType dtype);

// Central differences of f with respect to `index`-th flat element of x (x float64, changed
// in place and restored): (f(x + eps) - f(x - eps)) / (2 eps).
double NumericalGradient(const std::function<double()>& f, at::Tensor& x, int64_t index,
                         double eps = 1e-6);

// Runs each test with the kernel's instruction set given by the parameter on one intra-op
// thread (tests of the parallel paths set two), and restores kAuto after. kAvx2 skips on CPUs
// without AVX2/FMA.
class FusedIsaTest : public ::testing::TestWithParam<internal::FusedKernelIsa> {
 protected:
  void SetUp() override;
  void TearDown() override;
};

std::string IsaName(const ::testing::TestParamInfo<internal::FusedKernelIsa>& info);

}  // namespace sf::attention::testing

#endif  // SCRATCHFORMER_ATTENTION_INTERNAL_FUSED_ATTENTION_TEST_UTIL_H_
