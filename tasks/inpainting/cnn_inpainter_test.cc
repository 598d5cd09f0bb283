#include "tasks/inpainting/cnn_inpainter.h"

#include <cmath>
#include <random>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include "tasks/inpainting/inpainting_model.h"
#include "tasks/inpainting/test_images.h"
#include "training/optimizer.h"
#include "vision/masks.h"
#include "vision/metrics.h"

namespace sf::tasks::inpainting {
namespace {

TEST(CnnInpainterTest, KeepsTheImageSizeAndIgnoresHolePixels) {
  torch::manual_seed(0);
  CnnInpainter model({.base_channels = 8, .depth = 2});
  model.eval();
  torch::NoGradGuard no_grad;
  const at::Tensor images = torch::rand({3, 1, 28, 28});
  const at::Tensor masks = vision::CenterSquareMask(28, 28, 14).unsqueeze(0).expand({3, 1, 28, 28});
  const at::Tensor prediction = model.Reconstruct(images, masks);
  EXPECT_EQ(prediction.sizes(), images.sizes());
  // Whatever the hole holds, the model sees zeros there.
  const at::Tensor scribbled = images * (1 - masks) + torch::rand_like(images) * masks;
  EXPECT_TRUE(at::allclose(model.Reconstruct(scribbled, masks), prediction));
}

TEST(CnnInpainterTest, AFewStepsOnRealImagesLowerTheLoss) {
  const std::optional<at::Tensor> images = FashionMnistTestImages(32);
  if (!images) GTEST_SKIP() << FashionMnistSkipReason();
  torch::manual_seed(0);
  CnnInpainter model({.base_channels = 8, .depth = 2});
  auto optimizer = training::MakeAdamW(model, {.lr = 3e-3, .weight_decay = 0.0});
  const at::Tensor masks =
      vision::CenterSquareMask(28, 28, 14).unsqueeze(0).expand({32, 1, 28, 28});
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 40; ++step) {
    optimizer->zero_grad();
    const at::Tensor loss = model.Loss(*images, masks);
    loss.backward();
    optimizer->step();
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  EXPECT_LT(last, 0.5 * first) << "first " << first << ", last " << last;
}

TEST(CnnInpainterTest, ConfigRoundTripsAndRejectsOtherModels) {
  const CnnInpainterOptions options{.base_channels = 16, .depth = 2, .gated = true};
  absl::StatusOr<CnnInpainterOptions> back =
      CnnInpainterOptionsFromConfig(CnnInpainterConfig(options));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->base_channels, 16);
  EXPECT_EQ(back->depth, 2);
  EXPECT_TRUE(back->gated);
  absl::StatusOr<CnnInpainterOptions> other =
      CnnInpainterOptionsFromConfig({{"model", "masked_patch_transformer"}});
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  nlohmann::json bad = CnnInpainterConfig(options);
  bad["depth"] = 0;
  EXPECT_EQ(CnnInpainterOptionsFromConfig(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CompositeTest, KeepsKnownPixelsAndClampsTheFill) {
  const at::Tensor images = torch::full({1, 1, 2, 2}, 0.25);
  const at::Tensor masks = torch::tensor({0.0f, 1.0f, 1.0f, 0.0f}).reshape({1, 1, 2, 2});
  const at::Tensor prediction = torch::tensor({9.0f, 2.0f, -1.0f, 9.0f}).reshape({1, 1, 2, 2});
  const at::Tensor expected = torch::tensor({0.25f, 1.0f, 0.0f, 0.25f}).reshape({1, 1, 2, 2});
  EXPECT_TRUE(at::equal(Composite(prediction, images, masks), expected));
}

TEST(MaskedMseTest, AveragesOverTheWeightedPixelsOnly) {
  const at::Tensor target = torch::zeros({1, 1, 2, 2});
  const at::Tensor prediction = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).reshape({1, 1, 2, 2});
  const at::Tensor weights = torch::tensor({0.0f, 1.0f, 0.0f, 1.0f}).reshape({1, 1, 2, 2});
  EXPECT_FLOAT_EQ(MaskedMse(prediction, target, weights).item<float>(), (4.0f + 16.0f) / 2.0f);
  EXPECT_FLOAT_EQ(MaskedMse(prediction, target, torch::zeros_like(weights)).item<float>(), 0.0f);
}

TEST(PsnrLossTest, AveragesPerImageDecibelsOverImagesWithAHole) {
  const at::Tensor target = torch::zeros({3, 1, 2, 2});
  const at::Tensor prediction =
      torch::tensor({1.0f, 2.0f, 3.0f, 4.0f, 0.5f, 0.5f, 0.5f, 0.5f, 9.0f, 9.0f, 9.0f, 9.0f})
          .reshape({3, 1, 2, 2});
  // Image 0: errors 4 + 16 over its 4 pixels; image 1: 0.25 on one pixel; image 2: no hole.
  const at::Tensor weights =
      torch::tensor({0.0f, 1.0f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f})
          .reshape({3, 1, 2, 2});
  const double eps = 1e-4;
  const double expected =
      (10 * std::log10(20.0 / 4 + eps) + 10 * std::log10(0.25 / 4 + eps)) / 2;
  EXPECT_NEAR(PsnrLoss(prediction, target, weights, eps).item<double>(), expected, 1e-5);
  EXPECT_FLOAT_EQ(PsnrLoss(prediction, target, torch::zeros_like(weights)).item<float>(), 0.0f);
  EXPECT_THROW(PsnrLoss(prediction, target, weights, 0.0), c10::Error);
  EXPECT_THROW(PsnrLoss(prediction, target.flatten(1), weights), c10::Error);
}

TEST(PsnrLossTest, IsMinusTheMeanPsnrTheEvaluationReports) {
  torch::manual_seed(0);
  const at::Tensor images = torch::rand({6, 1, 28, 28});
  std::mt19937_64 gen(1);
  const at::Tensor masks =
      vision::SampleMasks({.kind = vision::MaskKind::kPatches}, 6, 28, 28, gen);
  const at::Tensor prediction = torch::rand({6, 1, 28, 28});  // in [0, 1]: clamping is a no-op
  const double metric =
      vision::Psnr(Composite(prediction, images, masks), images).mean().item<double>();
  EXPECT_NEAR(-PsnrLoss(prediction, images, masks, 1e-12).item<double>(), metric, 1e-3);
}

}  // namespace
}  // namespace sf::tasks::inpainting
