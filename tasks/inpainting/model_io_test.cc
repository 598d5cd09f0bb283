#include "tasks/inpainting/model_io.h"

#include <cstdio>
#include <fstream>
#include <memory>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include "tasks/inpainting/cnn_inpainter.h"
#include "tasks/inpainting/masked_patch_transformer.h"
#include "training/optimizer.h"
#include "vision/masks.h"
#include "vision/png_io.h"

namespace sf::tasks::inpainting {
namespace {

absl::StatusOr<std::shared_ptr<InpaintingModel>> BuildCnn(const nlohmann::json& config) {
  absl::StatusOr<CnnInpainterOptions> options = CnnInpainterOptionsFromConfig(config);
  if (!options.ok()) return options.status();
  return std::shared_ptr<InpaintingModel>(std::make_shared<CnnInpainter>(*options));
}

absl::StatusOr<std::shared_ptr<InpaintingModel>> BuildTransformer(const nlohmann::json& config) {
  absl::StatusOr<MaskedPatchTransformerOptions> options =
      MaskedPatchTransformerOptionsFromConfig(config);
  if (!options.ok()) return options.status();
  return std::shared_ptr<InpaintingModel>(std::make_shared<MaskedPatchTransformer>(*options));
}

// Bright squares on black, like Fashion-MNIST's objects on their background.
at::Tensor SyntheticImages(int64_t n) {
  at::Tensor images = torch::zeros({n, 1, 28, 28});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t lo = 4 + i % 5;
    images.index_put_({i, 0, at::indexing::Slice(lo, 28 - lo), at::indexing::Slice(lo, 28 - lo)},
                      0.5 + 0.05 * (i % 8));
  }
  return images;
}

class ModelIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(0);
    model_ = std::make_shared<CnnInpainter>(CnnInpainterOptions{.base_channels = 8, .depth = 2});
    auto optimizer = training::MakeAdamW(*model_, {.lr = 3e-3});
    const at::Tensor images = SyntheticImages(16);
    const at::Tensor masks =
        vision::CenterSquareMask(28, 28, 14).unsqueeze(0).expand({16, 1, 28, 28});
    for (int step = 0; step < 5; ++step) {
      optimizer->zero_grad();
      model_->Loss(images, masks).backward();
      optimizer->step();
    }
    model_->eval();
    path_ = ::testing::TempDir() + "/model.sfckpt";
    ASSERT_TRUE(SaveInpaintingModel(
                    path_, *model_, ModelCheckpointConfig(CnnInpainterConfig(model_->options()), 28, 28))
                    .ok());
  }

  std::shared_ptr<CnnInpainter> model_;
  std::string path_;
};

TEST_F(ModelIoTest, CheckpointRoundTripGivesTheSamePredictions) {
  absl::StatusOr<LoadedModel> loaded = LoadInpaintingModel(path_, BuildCnn);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->height, 28);
  EXPECT_EQ(loaded->width, 28);
  const at::Tensor images = SyntheticImages(4);
  const at::Tensor masks = vision::CenterSquareMask(28, 28, 14).unsqueeze(0).expand({4, 1, 28, 28});
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(at::equal(loaded->model->Reconstruct(images, masks),
                        model_->Reconstruct(images, masks)));
}

TEST_F(ModelIoTest, InpaintsAPngWrittenByTheTest) {
  absl::StatusOr<LoadedModel> loaded = LoadInpaintingModel(path_, BuildCnn);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const std::string input = ::testing::TempDir() + "/input.png";
  const std::string output = ::testing::TempDir() + "/output.png";
  const at::Tensor image = SyntheticImages(3)[2];
  ASSERT_TRUE(vision::WritePng(input, image).ok());
  vision::MaskOptions masks;  // centre 14x14
  absl::StatusOr<InpaintFileResult> result = InpaintPngFile(*loaded, input, output, masks, 2024);
  ASSERT_TRUE(result.ok()) << result.status();
  absl::StatusOr<at::Tensor> written = vision::ReadPng(output);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->sizes(), (std::vector<int64_t>{1, 28, 28}));
  const at::Tensor known = 1 - vision::CenterSquareMask(28, 28, 14);
  // Known pixels come back exactly (up to the 8-bit PNG levels), the hole is filled.
  EXPECT_LE(((*written - image).abs() * known).max().item<float>(), 0.5f / 255.0f);
  EXPECT_TRUE(at::allclose(*written, (result->filled * 255).round() / 255, 0, 1e-6));
}

TEST_F(ModelIoTest, WrongSizeCorruptAndMissingFilesAreClearErrors) {
  absl::StatusOr<LoadedModel> loaded = LoadInpaintingModel(path_, BuildCnn);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const std::string output = ::testing::TempDir() + "/never.png";
  const vision::MaskOptions masks;

  const std::string small = ::testing::TempDir() + "/small.png";
  ASSERT_TRUE(vision::WritePng(small, torch::rand({1, 20, 24})).ok());
  absl::StatusOr<InpaintFileResult> result = InpaintPngFile(*loaded, small, output, masks, 1);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find(small), std::string::npos) << result.status();
  EXPECT_NE(result.status().message().find("24x20"), std::string::npos) << result.status();
  EXPECT_NE(result.status().message().find("28x28"), std::string::npos) << result.status();

  const std::string corrupt = ::testing::TempDir() + "/corrupt.png";
  std::ofstream(corrupt) << "\x89PNG\r\n\x1a\n this is not an image";
  result = InpaintPngFile(*loaded, corrupt, output, masks, 1);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find(corrupt), std::string::npos) << result.status();

  const std::string missing = ::testing::TempDir() + "/missing.png";
  result = InpaintPngFile(*loaded, missing, output, masks, 1);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(result.status().message().find(missing), std::string::npos) << result.status();
  EXPECT_FALSE(std::ifstream(output).good());
}

TEST_F(ModelIoTest, CheckpointOfAnotherModelOrFileIsRefused) {
  absl::StatusOr<LoadedModel> wrong = LoadInpaintingModel(path_, BuildTransformer);
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find(path_), std::string::npos) << wrong.status();

  const std::string garbage = ::testing::TempDir() + "/garbage.sfckpt";
  std::ofstream(garbage) << "not a checkpoint";
  absl::StatusOr<LoadedModel> bad = LoadInpaintingModel(garbage, BuildCnn);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(garbage), std::string::npos) << bad.status();

  const std::string missing = ::testing::TempDir() + "/missing.sfckpt";
  absl::StatusOr<LoadedModel> absent = LoadInpaintingModel(missing, BuildCnn);
  EXPECT_FALSE(absent.ok());
  EXPECT_NE(absent.status().message().find(missing), std::string::npos) << absent.status();
}

TEST(ModelIoTransformerTest, TransformerCheckpointRoundTrips) {
  torch::manual_seed(1);
  const MaskedPatchTransformerOptions options{.d_model = 32, .heads = 2, .d_ff = 64, .layers = 1};
  MaskedPatchTransformer model(options);
  const std::string path = ::testing::TempDir() + "/transformer.sfckpt";
  ASSERT_TRUE(SaveInpaintingModel(path, model,
                                  ModelCheckpointConfig(MaskedPatchTransformerConfig(options), 28, 28))
                  .ok());
  absl::StatusOr<LoadedModel> loaded = LoadInpaintingModel(path, BuildTransformer);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  model.eval();
  std::mt19937_64 gen(5);
  const at::Tensor masks = vision::SampleMasks({.kind = vision::MaskKind::kPatches}, 2, 28, 28, gen);
  const at::Tensor images = SyntheticImages(2);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(at::equal(loaded->model->Reconstruct(images, masks), model.Reconstruct(images, masks)));
}

}  // namespace
}  // namespace sf::tasks::inpainting
