// A residual connection around a sublayer together with its LayerNorm, in either arrangement:
//
//   post-LN (Vaswani et al. 2017):  y = LayerNorm(x + dropout(sublayer(x)))
//   pre-LN  (GPT-2, Xiong et al. 2020):  y = x + dropout(sublayer(LayerNorm(x)))
//
// Pre-LN keeps an un-normalised residual stream, trains without warm-up at depth, and needs a
// final LayerNorm after the last layer (the Transformer stacks offer one).
//
//   auto residual = sf::layers::ResidualNorm(
//       sf::layers::ResidualNormOptions(/*d_model=*/512)
//           .placement(sf::layers::NormPlacement::kPreNorm)
//           .dropout(0.1));
//   at::Tensor y = residual->forward(x, [&](const at::Tensor& h) { return ffn->forward(h); });
#ifndef SCRATCHFORMER_LAYERS_RESIDUAL_H_
#define SCRATCHFORMER_LAYERS_RESIDUAL_H_

#include <cstdint>
#include <functional>
#include <string>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace sf::layers {

enum class NormPlacement {
  kPostNorm,  // normalise after the residual sum (the paper)
  kPreNorm,   // normalise the sublayer's input (GPT-2)
};

// "post" | "pre" <-> enum. Parse throws c10::Error naming the unknown value.
NormPlacement ParseNormPlacement(const std::string& name);
std::string NormPlacementName(NormPlacement placement);

struct ResidualNormOptions {
  explicit ResidualNormOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(NormPlacement, placement) = NormPlacement::kPostNorm;
  TORCH_ARG(double, dropout) = 0.0;  // on the sublayer output, in training only
  TORCH_ARG(double, eps) = 1e-5;     // of the LayerNorm
};

class ResidualNormImpl : public torch::nn::Cloneable<ResidualNormImpl> {
 public:
  using Sublayer = std::function<at::Tensor(const at::Tensor&)>;

  explicit ResidualNormImpl(const ResidualNormOptions& options);

  void reset() override;

  // x: [..., d_model]; `sublayer` maps [..., d_model] to the same shape.
  at::Tensor forward(const at::Tensor& x, const Sublayer& sublayer);

  ResidualNormOptions options;
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};

TORCH_MODULE(ResidualNorm);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_RESIDUAL_H_
