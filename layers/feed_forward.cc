#include "layers/feed_forward.h"

#include <c10/util/Exception.h>

#include "attention/linear.h"

namespace sf::layers {

PositionwiseFeedForwardImpl::PositionwiseFeedForwardImpl(
    const PositionwiseFeedForwardOptions& options)
    : options(options) {
  reset();
}

void PositionwiseFeedForwardImpl::reset() {
  TORCH_CHECK(options.d_model() > 0 && options.d_ff() > 0,
              "PositionwiseFeedForward: d_model and d_ff must be positive, got d_model=",
              options.d_model(), " d_ff=", options.d_ff());
  TORCH_CHECK(options.dropout() >= 0.0 && options.dropout() < 1.0,
              "PositionwiseFeedForward: dropout must be in [0, 1), got ", options.dropout());
  linear1 = register_module(
      "linear1",
      torch::nn::Linear(
          torch::nn::LinearOptions(options.d_model(), options.d_ff()).bias(options.bias())));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
  linear2 = register_module(
      "linear2",
      torch::nn::Linear(
          torch::nn::LinearOptions(options.d_ff(), options.d_model()).bias(options.bias())));
}

at::Tensor PositionwiseFeedForwardImpl::forward(const at::Tensor& x) {
  TORCH_CHECK(x.dim() >= 1 && x.size(-1) == options.d_model(),
              "PositionwiseFeedForward: expected input [..., ", options.d_model(), "], got ",
              x.sizes());
  const at::Tensor hidden = ApplyActivation(
      attention::Linear(x, linear1->weight, linear1->bias), options.activation());
  return attention::Linear(dropout(hidden), linear2->weight, linear2->bias);
}

}  // namespace sf::layers
