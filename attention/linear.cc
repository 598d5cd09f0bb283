#include "attention/linear.h"

#include <vector>

#include <ATen/ops/addmv.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/mv.h>

namespace sf::attention {

at::Tensor Linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (x.dim() == 0 || x.numel() != x.size(-1) || weight.dim() != 2) {
    return at::linear(x, weight, bias);
  }
  const at::Tensor row = x.reshape({-1});
  const at::Tensor y = bias.defined() ? at::addmv(bias, weight, row) : at::mv(weight, row);
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = weight.size(0);
  return y.view(shape);
}

}  // namespace sf::attention
