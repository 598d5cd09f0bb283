#include "layers/activation.h"

#include <string>

#include <ATen/ops/elu.h>
#include <ATen/ops/gelu.h>
#include <ATen/ops/leaky_relu.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/silu.h>
#include <c10/util/Exception.h>

namespace sf::layers {

Activation ParseActivation(const std::string& name) {
  if (name == "identity") return Activation::kIdentity;
  if (name == "relu") return Activation::kReLU;
  if (name == "gelu") return Activation::kGELU;
  if (name == "gelu_tanh") return Activation::kGELUTanh;
  if (name == "silu") return Activation::kSiLU;
  if (name == "leaky_relu") return Activation::kLeakyReLU;
  if (name == "elu") return Activation::kELU;
  TORCH_CHECK(false, "unknown activation \"", name,
              "\"; expected identity, relu, gelu, gelu_tanh, silu, leaky_relu or elu");
}

std::string ActivationName(Activation activation) {
  switch (activation) {
    case Activation::kIdentity:
      return "identity";
    case Activation::kReLU:
      return "relu";
    case Activation::kGELU:
      return "gelu";
    case Activation::kGELUTanh:
      return "gelu_tanh";
    case Activation::kSiLU:
      return "silu";
    case Activation::kLeakyReLU:
      return "leaky_relu";
    case Activation::kELU:
      return "elu";
  }
  TORCH_CHECK(false, "invalid Activation value ", static_cast<int>(activation));
}

at::Tensor ApplyActivation(const at::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::kIdentity:
      return x;
    case Activation::kReLU:
      return at::relu(x);
    case Activation::kGELU:
      return at::gelu(x);
    case Activation::kGELUTanh:
      return at::gelu(x, "tanh");
    case Activation::kSiLU:
      return at::silu(x);
    case Activation::kLeakyReLU:
      return at::leaky_relu(x, 0.2);
    case Activation::kELU:
      return at::elu(x);
  }
  TORCH_CHECK(false, "invalid Activation value ", static_cast<int>(activation));
}

}  // namespace sf::layers
