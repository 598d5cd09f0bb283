// Test helper: compares autograd's gradients with central finite differences, in double.
//
// LibTorch's C++ API has no gradcheck; this is the small one the layer tests share:
//
//   module->to(at::kDouble);
//   at::Tensor x = at::randn({2, 3, 8}, at::kDouble).requires_grad_();
//   at::Tensor w = at::randn({2, 3, 8}, at::kDouble);  // a random projection of the output
//   std::vector<at::Tensor> leaves = module->parameters();
//   leaves.push_back(x);
//   EXPECT_TRUE(sf::layers::GradientsMatchFiniteDifferences(
//       [&] { return (module->forward(x) * w).sum(); }, leaves));
//
// `f` must read the current values of `leaves` each time it is called: the check perturbs
// them in place (under NoGradGuard) one entry at a time and restores them.
#ifndef SCRATCHFORMER_LAYERS_GRADIENT_CHECK_H_
#define SCRATCHFORMER_LAYERS_GRADIENT_CHECK_H_

#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gtest/gtest.h"

namespace sf::layers {

// True when every entry of every leaf's autograd gradient of the scalar `f()` is within
// `atol + rtol * |numeric|` of the central difference with step `eps`. Leaves must be double
// tensors that require grad. The failure message names the leaf, the entry and both values.
::testing::AssertionResult GradientsMatchFiniteDifferences(const std::function<at::Tensor()>& f,
                                                           const std::vector<at::Tensor>& leaves,
                                                           double eps = 1e-6, double atol = 1e-6,
                                                           double rtol = 1e-5);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_GRADIENT_CHECK_H_
