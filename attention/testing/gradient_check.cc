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

// Rows: output elements; columns: elements of input `index`.
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

at::Tensor NumericJacobian(
    const std::function<at::Tensor(const std::vector<at::Tensor>&)>& fn,
    std::vector<at::Tensor> values, size_t index, int64_t rows, double eps) {
  c10::NoGradGuard no_grad;
  at::Tensor flat = values[index].view({-1});
  at::Tensor jacobian = at::zeros({rows, flat.numel()}, at::kDouble);
  double* data = flat.data_ptr<double>();
  for (int64_t n = 0; n < flat.numel(); ++n) {
    const double original = data[n];
    data[n] = original + eps;
    const at::Tensor plus = fn(values).reshape({-1}).to(at::kDouble);
    data[n] = original - eps;
    const at::Tensor minus = fn(values).reshape({-1}).to(at::kDouble);
    data[n] = original;
    jacobian.select(1, n).copy_(plus.sub(minus).div_(2.0 * eps));
  }
  return jacobian;
}

}  // namespace

GradientCheckResult CheckGradients(
    const std::function<at::Tensor(const std::vector<at::Tensor>&)>& fn,
    const std::vector<at::Tensor>& inputs, const GradientCheckOptions& options) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    TORCH_CHECK(!inputs[i].requires_grad() || inputs[i].scalar_type() == at::kDouble,
                "CheckGradients: differentiated input ", i, " must be float64, got ",
                inputs[i].scalar_type());
  }
  const at::Tensor output = fn(inputs);
  TORCH_CHECK(output.requires_grad(),
              "CheckGradients: the output does not depend on any input requiring grad");

  // Perturbed copies: detached, contiguous, so the finite differences never touch the graph.
  std::vector<at::Tensor> values;
  for (const at::Tensor& input : inputs) values.push_back(input.detach().clone().contiguous());

  GradientCheckResult result;
  double worst_excess = 0.0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    const at::Tensor analytic = AnalyticJacobian(output, inputs[i]);
    const at::Tensor numeric = NumericJacobian(fn, values, i, output.numel(), options.eps);
    const double* a = analytic.data_ptr<double>();
    const double* n = numeric.data_ptr<double>();
    const int64_t columns = analytic.size(1);
    for (int64_t e = 0; e < analytic.numel(); ++e) {
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
        message << "input " << i << " element " << e % columns << ", output element "
                << e / columns << ": autograd " << a[e] << " vs finite difference " << n[e]
                << " (|diff| " << error << ")";
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

}  // namespace sf::testing
