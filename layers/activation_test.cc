#include "layers/activation.h"

#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include "gtest/gtest.h"

namespace sf::layers {
namespace {

TEST(ActivationTest, NamesRoundTrip) {
  for (Activation a :
       {Activation::kIdentity, Activation::kReLU, Activation::kGELU, Activation::kGELUTanh,
        Activation::kSiLU, Activation::kLeakyReLU, Activation::kELU}) {
    EXPECT_EQ(ParseActivation(ActivationName(a)), a) << ActivationName(a);
  }
}

TEST(ActivationTest, UnknownNameIsNamedInTheError) {
  try {
    ParseActivation("swishy");
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("swishy"), std::string::npos) << e.what();
  }
}

TEST(ActivationTest, ValuesMatchTheirDefinitions) {
  at::Tensor x = at::linspace(-3, 3, 13, at::kDouble);
  EXPECT_TRUE(at::equal(ApplyActivation(x, Activation::kIdentity), x));
  EXPECT_TRUE(at::allclose(ApplyActivation(x, Activation::kReLU), at::clamp_min(x, 0)));
  at::Tensor phi = 0.5 * (1 + at::erf(x / std::sqrt(2.0)));
  EXPECT_TRUE(at::allclose(ApplyActivation(x, Activation::kGELU), x * phi));
  at::Tensor tanh_gelu =
      0.5 * x * (1 + at::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x.pow(3))));
  EXPECT_TRUE(at::allclose(ApplyActivation(x, Activation::kGELUTanh), tanh_gelu));
  EXPECT_TRUE(at::allclose(ApplyActivation(x, Activation::kSiLU), x * at::sigmoid(x)));
  EXPECT_TRUE(
      at::allclose(ApplyActivation(x, Activation::kLeakyReLU), at::where(x > 0, x, 0.2 * x)));
  EXPECT_TRUE(
      at::allclose(ApplyActivation(x, Activation::kELU), at::where(x > 0, x, at::exp(x) - 1)));
}

}  // namespace
}  // namespace sf::layers
