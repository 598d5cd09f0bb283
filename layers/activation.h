// The element-wise non-linearities the project's blocks choose between by name: the Transformer
// feed-forward (ReLU as in Vaswani et al. 2017, GELU as in BERT/GPT-2) and the convolution blocks
// (ReLU, SiLU, LeakyReLU, ELU).
//
//   sf::layers::Activation act = sf::layers::ParseActivation("gelu");
//   at::Tensor y = sf::layers::ApplyActivation(x, act);
#ifndef SCRATCHFORMER_LAYERS_ACTIVATION_H_
#define SCRATCHFORMER_LAYERS_ACTIVATION_H_

#include <string>

#include <ATen/core/Tensor.h>

namespace sf::layers {

enum class Activation {
  kIdentity,
  kReLU,
  kGELU,       // exact, x * Phi(x)
  kGELUTanh,   // the tanh approximation of GPT-2
  kSiLU,       // x * sigmoid(x), a.k.a. swish
  kLeakyReLU,  // negative slope 0.2, the convention of GAN and inpainting networks
  kELU,        // alpha 1, as in the gated convolutions of Yu et al. 2019
};

// "identity" | "relu" | "gelu" | "gelu_tanh" | "silu" | "leaky_relu" | "elu" <-> enum.
// Parse throws c10::Error naming the unknown value.
Activation ParseActivation(const std::string& name);
std::string ActivationName(Activation activation);

at::Tensor ApplyActivation(const at::Tensor& x, Activation activation);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_ACTIVATION_H_
