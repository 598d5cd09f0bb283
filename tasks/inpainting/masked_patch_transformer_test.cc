#include "tasks/inpainting/masked_patch_transformer.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <random>
#include <string>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include "tasks/inpainting/test_images.h"
#include "training/optimizer.h"
#include "vision/masks.h"

namespace sf::tasks::inpainting {
namespace {

MaskedPatchTransformerOptions Tiny() {
  return {.image_size = 28,
          .patch_size = 4,
          .d_model = 32,
          .heads = 2,
          .d_ff = 64,
          .layers = 2,
          .refine_blocks = 2,
          .refine_channels = 8,
          .conv_levels = 0,
          .loss = "mse"};
}

// With the convolutional stem and decoder instead of the refinement head.
MaskedPatchTransformerOptions TinyWithStem() {
  MaskedPatchTransformerOptions options = Tiny();
  options.refine_blocks = 0;
  options.conv_levels = 2;
  options.conv_channels = 4;
  return options;
}

// The configuration of `options` with `key` set to `value` is rejected as InvalidArgument with
// a message containing `expected`.
void ExpectRejected(const MaskedPatchTransformerOptions& options, const std::string& key,
                    const nlohmann::json& value, const std::string& expected) {
  nlohmann::json bad = MaskedPatchTransformerConfig(options);
  bad[key] = value;
  const absl::StatusOr<MaskedPatchTransformerOptions> rejected =
      MaskedPatchTransformerOptionsFromConfig(bad);
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument) << key;
  EXPECT_NE(rejected.status().message().find(expected), std::string::npos)
      << rejected.status();
}

struct LossCurve {
  double first = 0.0;
  double last = 0.0;
};

// 60 AdamW updates on one batch of real images with fixed patch masks drawn from `mask_seed`;
// `after_backward(step)`, if given, runs between each backward pass and its update.
LossCurve TrainOnOneBatch(MaskedPatchTransformer& model, const at::Tensor& images,
                          uint64_t mask_seed,
                          const std::function<void(int)>& after_backward = nullptr) {
  auto optimizer = training::MakeAdamW(model, {.lr = 2e-3, .weight_decay = 0.0});
  std::mt19937_64 gen(mask_seed);
  const at::Tensor masks =
      vision::SampleMasks({.kind = vision::MaskKind::kPatches}, images.size(0), 28, 28, gen);
  LossCurve curve;
  for (int step = 0; step < 60; ++step) {
    optimizer->zero_grad();
    const at::Tensor loss = model.Loss(images, masks);
    loss.backward();
    if (after_backward) after_backward(step);
    optimizer->step();
    if (step == 0) curve.first = loss.item<double>();
    curve.last = loss.item<double>();
  }
  return curve;
}

// The configuration of `options` without `keys`, as a checkpoint written before those keys
// existed holds it, loaded back.
absl::StatusOr<MaskedPatchTransformerOptions> LoadWithout(
    const MaskedPatchTransformerOptions& options, std::initializer_list<const char*> keys) {
  nlohmann::json config = MaskedPatchTransformerConfig(options);
  for (const char* key : keys) config.erase(key);
  return MaskedPatchTransformerOptionsFromConfig(config);
}

TEST(MaskedPatchTransformerTest, PredictsEveryPixelForPatchAndCentreMasks) {
  torch::manual_seed(0);
  MaskedPatchTransformer model(Tiny());
  model.eval();
  torch::NoGradGuard no_grad;
  const at::Tensor images = torch::rand({2, 1, 28, 28});
  std::mt19937_64 gen(1);
  const vision::MaskOptions patches{.kind = vision::MaskKind::kPatches};
  const at::Tensor patch_masks = vision::SampleMasks(patches, 2, 28, 28, gen);
  EXPECT_EQ(model.Reconstruct(images, patch_masks).sizes(), images.sizes());
  // A centre 14x14 hole cuts patches in half at its border: those keep their known pixels.
  const at::Tensor centre = vision::CenterSquareMask(28, 28, 14).unsqueeze(0).expand({2, 1, 28, 28});
  const at::Tensor prediction = model.Reconstruct(images, centre);
  EXPECT_EQ(prediction.sizes(), images.sizes());
  const at::Tensor scribbled = images * (1 - centre) + torch::rand_like(images) * centre;
  EXPECT_TRUE(at::allclose(model.Reconstruct(scribbled, centre), prediction, 1e-5, 1e-6));
}

TEST(MaskedPatchTransformerTest, FusedAndReferenceAttentionAgree) {
  torch::manual_seed(0);
  MaskedPatchTransformerOptions fused_options = Tiny();
  MaskedPatchTransformerOptions reference_options = Tiny();
  reference_options.backend = attention::AttentionBackend::kReference;
  MaskedPatchTransformer fused(fused_options);
  MaskedPatchTransformer reference(reference_options);
  {
    torch::NoGradGuard no_grad;
    const auto source = fused.named_parameters();
    for (auto& p : reference.named_parameters()) p.value().copy_(source[p.key()]);
  }
  const at::Tensor images = torch::rand({2, 1, 28, 28});
  std::mt19937_64 gen(2);
  const at::Tensor masks =
      vision::SampleMasks({.kind = vision::MaskKind::kPatches}, 2, 28, 28, gen);
  EXPECT_TRUE(at::allclose(fused.Loss(images, masks), reference.Loss(images, masks), 1e-4, 1e-6));
}

TEST(MaskedPatchTransformerTest, AFewStepsOnRealImagesLowerTheLoss) {
  const std::optional<at::Tensor> images = FashionMnistTestImages(32);
  if (!images) GTEST_SKIP() << FashionMnistSkipReason();
  torch::manual_seed(0);
  MaskedPatchTransformer model(Tiny());
  const auto [first, last] = TrainOnOneBatch(model, *images, /*mask_seed=*/3);
  EXPECT_LT(last, 0.5 * first) << "first " << first << ", last " << last;
}

TEST(MaskedPatchTransformerTest, ConfigRoundTripsAndRejectsBadSizes) {
  MaskedPatchTransformerOptions options = Tiny();
  options.backend = attention::AttentionBackend::kLibTorch;
  absl::StatusOr<MaskedPatchTransformerOptions> back =
      MaskedPatchTransformerOptionsFromConfig(MaskedPatchTransformerConfig(options));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->d_model, 32);
  EXPECT_EQ(back->layers, 2);
  EXPECT_EQ(back->backend, attention::AttentionBackend::kLibTorch);
  ExpectRejected(options, "patch_size", 5, "patch_size 5");
  nlohmann::json bad = MaskedPatchTransformerConfig(options);
  bad["backend"] = "quantum";
  EXPECT_EQ(MaskedPatchTransformerOptionsFromConfig(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  ExpectRejected(options, "refine_channels", 0, "refine_channels 0");
}

TEST(MaskedPatchTransformerTest, ConfigWithoutRefinementHeadLoadsAsNoHead) {
  absl::StatusOr<MaskedPatchTransformerOptions> options =
      LoadWithout(Tiny(), {"refine_blocks", "refine_channels"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->refine_blocks, 0);
  MaskedPatchTransformer model(*options);
  for (const auto& p : model.named_parameters()) {
    EXPECT_EQ(p.key().find("refine"), std::string::npos) << p.key();
  }
}

TEST(MaskedPatchTransformerTest, RefinementHeadStartsAsTheIdentityOnTheCoarseImage) {
  torch::manual_seed(0);
  MaskedPatchTransformerOptions without_head = Tiny();
  without_head.refine_blocks = 0;
  MaskedPatchTransformer with(Tiny());
  MaskedPatchTransformer without(without_head);
  torch::NoGradGuard no_grad;
  const auto source = with.named_parameters();
  for (auto& p : without.named_parameters()) p.value().copy_(source[p.key()]);
  const at::Tensor images = torch::rand({2, 1, 28, 28});
  std::mt19937_64 gen(4);
  const at::Tensor masks =
      vision::SampleMasks({.kind = vision::MaskKind::kPatches}, 2, 28, 28, gen);
  EXPECT_TRUE(at::allclose(with.Reconstruct(images, masks), without.Reconstruct(images, masks)));
  // With a head the loss adds the coarse image's own error to the (equal) refined one.
  EXPECT_GT(with.Loss(images, masks).item<double>(), without.Loss(images, masks).item<double>());
}

TEST(MaskedPatchTransformerTest, ConvStemPredictsFromTheKnownPixelsOnly) {
  torch::manual_seed(0);
  MaskedPatchTransformer model(TinyWithStem());
  model.eval();
  torch::NoGradGuard no_grad;
  const at::Tensor images = torch::rand({2, 1, 28, 28});
  std::mt19937_64 gen(5);
  for (const at::Tensor& masks :
       {vision::SampleMasks({.kind = vision::MaskKind::kPatches}, 2, 28, 28, gen),
        vision::CenterSquareMask(28, 28, 14).unsqueeze(0).expand({2, 1, 28, 28})}) {
    const at::Tensor prediction = model.Reconstruct(images, masks);
    ASSERT_EQ(prediction.sizes(), images.sizes());
    const at::Tensor scribbled = images * (1 - masks) + torch::rand_like(images) * masks;
    EXPECT_TRUE(at::allclose(model.Reconstruct(scribbled, masks), prediction, 1e-5, 1e-6));
  }
  for (const auto& p : model.named_parameters()) {
    EXPECT_EQ(p.key().find("refine"), std::string::npos) << p.key();
  }
  EXPECT_TRUE(model.named_parameters().contains("conv_out.weight"));
}

TEST(MaskedPatchTransformerTest, ConvStemGetsGradientsAndAFewStepsLowerTheLoss) {
  const std::optional<at::Tensor> images = FashionMnistTestImages(32);
  if (!images) GTEST_SKIP() << FashionMnistSkipReason();
  torch::manual_seed(0);
  MaskedPatchTransformer model(TinyWithStem());
  const auto [first, last] = TrainOnOneBatch(model, *images, /*mask_seed=*/6, [&](int step) {
    if (step != 1) return;
    // After one update the zero-initialised output layer lets gradients reach the stem.
    for (const auto& p : model.named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      if (p.key().rfind("conv_", 0) == 0 && p.key().find("weight") != std::string::npos) {
        EXPECT_GT(p.value().grad().abs().max().item<double>(), 0.0) << p.key();
      }
    }
  });
  EXPECT_LT(last, 0.5 * first) << "first " << first << ", last " << last;
}

TEST(MaskedPatchTransformerTest, PsnrLossRisesByDecibelsInAFewSteps) {
  const std::optional<at::Tensor> images = FashionMnistTestImages(32);
  if (!images) GTEST_SKIP() << FashionMnistSkipReason();
  torch::manual_seed(0);
  MaskedPatchTransformerOptions options = TinyWithStem();
  options.loss = "psnr";
  MaskedPatchTransformer model(options);
  const auto [first, last] = TrainOnOneBatch(model, *images, /*mask_seed=*/7);
  // The loss is minus the PSNR in dB (1.5 times: the refined and, at half weight, the coarse
  // image); 60 updates on one batch gain several dB.
  EXPECT_LT(first, 0.0);
  EXPECT_LT(last, first - 1.5 * 3.0) << "first " << first << ", last " << last;
}

TEST(MaskedPatchTransformerTest, LossAndConvDepthRoundTripAndOldConfigsKeepTheirs) {
  MaskedPatchTransformerOptions options = TinyWithStem();
  options.loss = "psnr";
  options.conv_depth = 1;
  absl::StatusOr<MaskedPatchTransformerOptions> back =
      MaskedPatchTransformerOptionsFromConfig(MaskedPatchTransformerConfig(options));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->loss, "psnr");
  EXPECT_EQ(back->conv_depth, 1);
  absl::StatusOr<MaskedPatchTransformerOptions> loaded =
      LoadWithout(options, {"loss", "conv_depth"});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->loss, "mse");
  EXPECT_EQ(loaded->conv_depth, 2);
  ExpectRejected(options, "loss", "ssim", "ssim");
  ExpectRejected(options, "conv_depth", 0, "conv_depth 0");
}

TEST(MaskedPatchTransformerTest, ConvStemConfigRoundTripsAndNeedsMatchingPatches) {
  absl::StatusOr<MaskedPatchTransformerOptions> back =
      MaskedPatchTransformerOptionsFromConfig(MaskedPatchTransformerConfig(TinyWithStem()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->conv_levels, 2);
  EXPECT_EQ(back->conv_channels, 4);
  // 8 x 8 cells for 4 x 4 patches.
  ExpectRejected(TinyWithStem(), "conv_levels", 3, "conv_levels 3");
  nlohmann::json bad = MaskedPatchTransformerConfig(TinyWithStem());
  bad["conv_channels"] = 0;
  EXPECT_FALSE(MaskedPatchTransformerOptionsFromConfig(bad).ok());
  // Configurations from before the stem load without one.
  absl::StatusOr<MaskedPatchTransformerOptions> loaded =
      LoadWithout(Tiny(), {"conv_levels", "conv_channels"});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->conv_levels, 0);
}

// With the nearest-neighbour prior over `neighbours` training images.
MaskedPatchTransformerOptions TinyWithPrior(int64_t neighbours) {
  MaskedPatchTransformerOptions options = TinyWithStem();
  options.neighbours = neighbours;
  options.neighbour_temperature = 0.01;
  options.neighbour_candidates = 50;
  return options;
}

TEST(MaskedPatchTransformerTest, PriorConfigRoundTripsAndOldConfigsLoadWithout) {
  absl::StatusOr<MaskedPatchTransformerOptions> back =
      MaskedPatchTransformerOptionsFromConfig(MaskedPatchTransformerConfig(TinyWithPrior(5)));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->neighbours, 5);
  EXPECT_EQ(back->neighbour_temperature, 0.01);
  EXPECT_EQ(back->neighbour_candidates, 50);
  absl::StatusOr<MaskedPatchTransformerOptions> loaded = LoadWithout(
      TinyWithPrior(5), {"neighbours", "neighbour_temperature", "neighbour_candidates"});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->neighbours, 0);
  EXPECT_FALSE(MaskedPatchTransformer(*loaded).UsesTrainingImages());
  ExpectRejected(TinyWithPrior(5), "neighbours", -1, "neighbours -1");
  ExpectRejected(TinyWithPrior(5), "neighbour_temperature", 0.0, "neighbour_temperature 0");
  ExpectRejected(TinyWithPrior(5), "neighbour_candidates", 5, "neighbour_candidates 5");
}

TEST(MaskedPatchTransformerTest, PriorNeedsTheTrainingImagesAndSeesOnlyKnownPixels) {
  torch::manual_seed(0);
  MaskedPatchTransformer model(TinyWithPrior(3));
  model.eval();
  EXPECT_TRUE(model.UsesTrainingImages());
  // The prior is a third input channel of the patch embedding and of the stem.
  EXPECT_EQ(model.named_parameters()["patch_embedding.proj.weight"].size(1), 3);
  torch::NoGradGuard no_grad;
  const at::Tensor images = torch::rand({2, 1, 28, 28});
  std::mt19937_64 gen(8);
  const at::Tensor masks =
      vision::SampleMasks({.kind = vision::MaskKind::kPatches}, 2, 28, 28, gen);
  try {
    model.Reconstruct(images, masks);
    ADD_FAILURE() << "predicted without the training images";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("SetTrainingImages"),
              std::string::npos)
        << e.what_without_backtrace();
  }
  model.SetTrainingImages(torch::rand({60, 1, 28, 28}));
  const at::Tensor prediction = model.Reconstruct(images, masks);
  const at::Tensor scribbled = images * (1 - masks) + torch::rand_like(images) * masks;
  EXPECT_TRUE(at::allclose(model.Reconstruct(scribbled, masks), prediction, 1e-5, 1e-6));
}

TEST(MaskedPatchTransformerTest, TrainingLossLeavesEachImageOutOfItsOwnSearch) {
  torch::manual_seed(0);
  const at::Tensor training = torch::rand({40, 1, 28, 28});
  const at::Tensor image = training.slice(0, 5, 6);
  std::mt19937_64 gen(9);
  const at::Tensor masks =
      vision::SampleMasks({.kind = vision::MaskKind::kPatches}, 1, 28, 28, gen);
  MaskedPatchTransformer model(TinyWithPrior(1));
  model.SetTrainingImages(training);
  // The same weights, searching the training images without image 5.
  MaskedPatchTransformer without(TinyWithPrior(1));
  {
    torch::NoGradGuard no_grad;
    for (const auto& p : model.named_parameters()) {
      without.named_parameters()[p.key()].copy_(p.value());
    }
  }
  without.SetTrainingImages(at::cat({training.slice(0, 0, 5), training.slice(0, 6)}));
  const double left_out =
      model.TrainingLoss(image, masks, at::tensor({int64_t{5}}, at::kLong)).item<double>();
  EXPECT_NEAR(left_out, without.Loss(image, masks).item<double>(), 1e-5);
  // Without leaving it out, the image is its own nearest neighbour: a different input.
  EXPECT_GT(std::abs(model.Loss(image, masks).item<double>() - left_out), 1e-4);
}

TEST(MaskedPatchTransformerTest, PriorModelLearnsInAFewSteps) {
  const std::optional<at::Tensor> images = FashionMnistTestImages(96);
  if (!images) GTEST_SKIP() << FashionMnistSkipReason();
  torch::manual_seed(0);
  MaskedPatchTransformerOptions options = TinyWithPrior(5);
  options.loss = "psnr";
  MaskedPatchTransformer model(options);
  // The prior searches 64 images; the model trains on 32 others.
  model.SetTrainingImages(images->slice(0, 32));
  const auto [first, last] = TrainOnOneBatch(model, images->slice(0, 0, 32), /*mask_seed=*/10);
  EXPECT_LT(first, 0.0);
  EXPECT_LT(last, first - 1.5 * 2.0) << "first " << first << ", last " << last;
}

}  // namespace
}  // namespace sf::tasks::inpainting
