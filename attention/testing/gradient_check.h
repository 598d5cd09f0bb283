// Double-precision finite-difference gradient checks for tests (LibTorch's C++ API has no
// gradcheck): the Jacobian autograd computes is compared with central differences, entry by
// entry, for every input that requires grad. Two ways to name what is differentiated:
//
//   // A function of its inputs:
//   auto fn = [](const std::vector<at::Tensor>& x) { return x[0].mul(x[1]).sin(); };
//   at::Tensor a = at::randn({3}, at::kDouble).requires_grad_();
//   at::Tensor b = at::randn({3}, at::kDouble).requires_grad_();
//   sf::testing::GradientCheckResult r = sf::testing::CheckGradients(fn, {a, b});
//   EXPECT_TRUE(r.ok) << r.message;
//
//   // A closure over leaves it reads, such as a module's parameters:
//   module->to(at::kDouble);
//   at::Tensor x = at::randn({2, 3, 8}, at::kDouble).requires_grad_();
//   at::Tensor w = at::randn({2, 3, 8}, at::kDouble);  // a random projection of the output
//   std::vector<at::Tensor> leaves = module->parameters();
//   leaves.push_back(x);
//   EXPECT_TRUE(sf::testing::GradientsMatchFiniteDifferences(
//       [&] { return (module->forward(x) * w).sum(); }, leaves));
//
// Cost: one backward pass per output element and two forward passes per input element, so
// keep the shapes small (a few hundred elements), or reduce the output to a scalar.
#ifndef SCRATCHFORMER_ATTENTION_TESTING_GRADIENT_CHECK_H_
#define SCRATCHFORMER_ATTENTION_TESTING_GRADIENT_CHECK_H_

#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <gtest/gtest.h>

namespace sf::testing {

struct GradientCheckOptions {
  double eps = 1e-6;   // central-difference step
  double atol = 1e-6;  // an entry passes when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-5;
};

struct GradientCheckResult {
  bool ok = true;
  double max_abs_error = 0.0;  // over every checked Jacobian entry
  int64_t entries_checked = 0;
  std::string message;         // the worst entry (input, element, output, both values)
};

// `fn` maps the inputs to one tensor. Inputs must be float64 CPU tensors; only those with
// requires_grad() are differentiated (pass masks and other constants through the lambda or as
// inputs without requires_grad). `fn` must be deterministic (no dropout). The inputs are not
// modified: the differences are taken on copies.
GradientCheckResult CheckGradients(
    const std::function<at::Tensor(const std::vector<at::Tensor>&)>& fn,
    const std::vector<at::Tensor>& inputs, const GradientCheckOptions& options = {});

// `f` reads the current values of `leaves` each time it is called: the check perturbs them in
// place (under NoGradGuard) one entry at a time and restores them. Leaves must be contiguous
// float64 leaf tensors that require grad; the output may have any shape.
GradientCheckResult CheckLeafGradients(const std::function<at::Tensor()>& f,
                                       const std::vector<at::Tensor>& leaves,
                                       const GradientCheckOptions& options = {});

// CheckLeafGradients for EXPECT_TRUE: the failure names the worst entry, or a leaf that
// cannot be checked.
::testing::AssertionResult GradientsMatchFiniteDifferences(const std::function<at::Tensor()>& f,
                                                           const std::vector<at::Tensor>& leaves,
                                                           double eps = 1e-6, double atol = 1e-6,
                                                           double rtol = 1e-5);

}  // namespace sf::testing

#endif  // SCRATCHFORMER_ATTENTION_TESTING_GRADIENT_CHECK_H_
