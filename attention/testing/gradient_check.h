// A double-precision finite-difference gradient check for tests (LibTorch's C++ API has no
// gradcheck): compares the full Jacobian from autograd with central differences.
//
//   auto fn = [](const std::vector<at::Tensor>& x) { return x[0].mul(x[1]).sin(); };
//   at::Tensor a = at::randn({3}, at::kDouble).requires_grad_();
//   at::Tensor b = at::randn({3}, at::kDouble).requires_grad_();
//   sf::testing::GradientCheckResult r = sf::testing::CheckGradients(fn, {a, b});
//   EXPECT_TRUE(r.ok) << r.message;
//
// Cost: one backward pass per output element and two forward passes per input element, so
// keep the shapes small (a few hundred elements).
#ifndef SCRATCHFORMER_ATTENTION_TESTING_GRADIENT_CHECK_H_
#define SCRATCHFORMER_ATTENTION_TESTING_GRADIENT_CHECK_H_

#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

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
// inputs without requires_grad). `fn` must be deterministic (no dropout).
GradientCheckResult CheckGradients(
    const std::function<at::Tensor(const std::vector<at::Tensor>&)>& fn,
    const std::vector<at::Tensor>& inputs, const GradientCheckOptions& options = {});

}  // namespace sf::testing

#endif  // SCRATCHFORMER_ATTENTION_TESTING_GRADIENT_CHECK_H_
