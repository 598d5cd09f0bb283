#include "attention/testing/gradient_check.h"

#include <cmath>
#include <cstdint>
#include <sstream>

#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>
#include <torch/csrc/autograd/autograd.h>

namespace sf::testing {
namespace {

// Rows: output elements; columns: elements of `input`.
at::Tensor AnalyticJacobian(const at::Tensor& output, const at::Tensor& input) {
  const int64_t rows = output.numel();
  at::Tensor jacobian = at::zeros({rows, input.numel()}, at::kDouble);
  for (int64_t m = 0; m < rows; ++m) {
    at::Tensor seed = at::zeros_like(output);
    seed.view({-1})[m].fill_(1.0);
    const torch::autograd::variable_list grads =
        torch::autograd::grad({output}, {input}, {seed}, /*retain_graph=*/true,
                              /*create_graph=*/false, /*allow_unused=*/true);
    if (grads[0].defined()) jacobian[m].copy_(grads[0].reshape({-1}));
  }
  return jacobian;
}

// Central differences of f() with respect to each element of `leaf`, perturbed in place
// through its data pointer and restored.
at::Tensor NumericJacobian(const std::function<at::Tensor()>& f, const at::Tensor& leaf,
                           int64_t rows, double eps) {
  c10::NoGradGuard no_grad;
  at::Tensor jacobian = at::zeros({rows, leaf.numel()}, at::kDouble);
  double* data = leaf.data_ptr<double>();
  for (int64_t n = 0; n < leaf.numel(); ++n) {
    const double original = data[n];
    data[n] = original + eps;
    const at::Tensor plus = f().reshape({-1}).to(at::kDouble);
    data[n] = original - eps;
    const at::Tensor minus = f().reshape({-1}).to(at::kDouble);
    data[n] = original;
    jacobian.select(1, n).copy_(plus.sub(minus).div_(2.0 * eps));
  }
  return jacobian;
}

// The check of f() against `leaves`; leaf j is called "<noun> <labels[j]>" in messages.
GradientCheckResult Check(const std::function<at::Tensor()>& f,
                          const std::vector<at::Tensor>& leaves,
                          const std::vector<size_t>& labels, const char* noun,
                          const GradientCheckOptions& options) {
  const at::Tensor output = f();
  TORCH_CHECK(output.requires_grad(),
              "gradient check: the output does not depend on any input requiring grad");
  // Every analytic Jacobian first, from the unperturbed leaves.
  std::vector<at::Tensor> analytic;
  for (const at::Tensor& leaf : leaves) analytic.push_back(AnalyticJacobian(output, leaf));
  GradientCheckResult result;
  double worst_excess = 0.0;
  for (size_t j = 0; j < leaves.size(); ++j) {
    const at::Tensor numeric = NumericJacobian(f, leaves[j], output.numel(), options.eps);
    const double* a = analytic[j].data_ptr<double>();
    const double* n = numeric.data_ptr<double>();
    const int64_t columns = analytic[j].size(1);
    for (int64_t e = 0; e < analytic[j].numel(); ++e) {
      const double error = std::abs(a[e] - n[e]);
      const double excess = error - (options.atol + options.rtol * std::abs(n[e]));
      if (std::isnan(error) || error > result.max_abs_error) {
        if (!std::isnan(result.max_abs_error)) result.max_abs_error = error;
      }
      ++result.entries_checked;
      // `!(x <= y)` also catches NaN.
      if (!(excess <= worst_excess)) {
        worst_excess = std::isnan(excess) ? INFINITY : excess;
        result.ok = false;
        std::ostringstream message;
        message << noun << " " << labels[j] << " " << leaves[j].sizes() << " element "
                << e % columns << ", output element " << e / columns << ": autograd " << a[e]
                << " vs finite difference " << n[e] << " (|diff| " << error << ")";
        result.message = message.str();
      }
    }
  }
  if (result.ok) {
    std::ostringstream message;
    message << result.entries_checked << " Jacobian entries agree, max |diff| "
            << result.max_abs_error;
    result.message = message.str();
  }
  return result;
}

}  // namespace

GradientCheckResult CheckGradients(
    const std::function<at::Tensor(const std::vector<at::Tensor>&)>& fn,
    const std::vector<at::Tensor>& inputs, const GradientCheckOptions& options) {
  // Detached contiguous copies, so the differences never touch the caller's tensors.
  std::vector<at::Tensor> values;
  std::vector<at::Tensor> leaves;
  std::vector<size_t> labels;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const bool differentiated = inputs[i].requires_grad();
    TORCH_CHECK(!differentiated || inputs[i].scalar_type() == at::kDouble,
                "CheckGradients: differentiated input ", i, " must be float64, got ",
                inputs[i].scalar_type());
    values.push_back(inputs[i].detach().clone().contiguous().requires_grad_(differentiated));
    if (differentiated) {
      leaves.push_back(values.back());
      labels.push_back(i);
    }
  }
  return Check([&] { return fn(values); }, leaves, labels, "input", options);
}

GradientCheckResult CheckLeafGradients(const std::function<at::Tensor()>& f,
                                       const std::vector<at::Tensor>& leaves,
                                       const GradientCheckOptions& options) {
  std::vector<size_t> labels;
  for (size_t i = 0; i < leaves.size(); ++i) {
    const at::Tensor& leaf = leaves[i];
    TORCH_CHECK(leaf.scalar_type() == at::kDouble && leaf.requires_grad() && leaf.is_leaf() &&
                    leaf.is_contiguous(),
                "CheckLeafGradients: leaf ", i,
                " must be a contiguous float64 leaf tensor requiring grad, got ",
                leaf.scalar_type(), " ", leaf.sizes(),
                leaf.requires_grad() ? "" : " without requires_grad",
                leaf.is_contiguous() ? "" : " (not contiguous)");
    labels.push_back(i);
  }
  return Check(f, leaves, labels, "leaf", options);
}

::testing::AssertionResult GradientsMatchFiniteDifferences(const std::function<at::Tensor()>& f,
                                                           const std::vector<at::Tensor>& leaves,
                                                           double eps, double atol, double rtol) {
  try {
    const GradientCheckResult result =
        CheckLeafGradients(f, leaves, {.eps = eps, .atol = atol, .rtol = rtol});
    if (result.ok) return ::testing::AssertionSuccess() << result.message;
    return ::testing::AssertionFailure() << result.message;
  } catch (const c10::Error& e) {
    return ::testing::AssertionFailure() << e.what_without_backtrace();
  }
}

}  // namespace sf::testing
