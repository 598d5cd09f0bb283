// The position-wise feed-forward network of a Transformer layer (Vaswani et al. 2017, eq. 2):
// two linear maps with a non-linearity between them, applied to every position alike,
//   FFN(x) = W2 dropout(act(W1 x + b1)) + b2,   d_model -> d_ff -> d_model.
//
//   auto ffn = sf::layers::PositionwiseFeedForward(
//       sf::layers::PositionwiseFeedForwardOptions(/*d_model=*/512, /*d_ff=*/2048)
//           .activation(sf::layers::Activation::kGELU)
//           .dropout(0.1));
//   at::Tensor y = ffn->forward(x);  // x: [..., d_model] -> y: [..., d_model]
//
// The submodules are named `linear1`, `dropout`, `linear2`, as in torch::nn's Transformer layers,
// and the dropout sits where LibTorch puts it (after the activation), so weights and behaviour
// carry across one to one.
#ifndef SCRATCHFORMER_LAYERS_FEED_FORWARD_H_
#define SCRATCHFORMER_LAYERS_FEED_FORWARD_H_

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "layers/activation.h"

namespace sf::layers {

struct PositionwiseFeedForwardOptions {
  PositionwiseFeedForwardOptions(int64_t d_model, int64_t d_ff) : d_model_(d_model), d_ff_(d_ff) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, d_ff);
  TORCH_ARG(Activation, activation) = Activation::kReLU;
  TORCH_ARG(double, dropout) = 0.0;  // on the hidden activations, in training only
  TORCH_ARG(bool, bias) = true;
};

class PositionwiseFeedForwardImpl : public torch::nn::Cloneable<PositionwiseFeedForwardImpl> {
 public:
  explicit PositionwiseFeedForwardImpl(const PositionwiseFeedForwardOptions& options);

  void reset() override;

  // x: [..., d_model] -> [..., d_model].
  at::Tensor forward(const at::Tensor& x);

  PositionwiseFeedForwardOptions options;
  torch::nn::Linear linear1{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear linear2{nullptr};
};

TORCH_MODULE(PositionwiseFeedForward);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_FEED_FORWARD_H_
