#include "tasks/inpainting/inpainting_data.h"

#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "vision/idx.h"
#include "vision/idx_fixtures.h"

namespace sf::tasks::inpainting {
namespace {

// An MNIST-format directory with `count` images of side x side per split.
std::string WriteDataDir(const std::string& name, uint32_t train_side, uint32_t test_side) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  mkdir(dir.c_str(), 0755);
  const auto write = [&](const std::string& prefix, uint32_t side) {
    const uint32_t count = 3;
    std::vector<uint8_t> pixels(count * side * side);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i % 256);
    vision::WriteGzipFile(dir + "/" + prefix + "-images-idx3-ubyte.gz",
                          vision::IdxBytes(vision::kIdxImagesMagic, {count, side, side}, pixels));
    vision::WriteGzipFile(dir + "/" + prefix + "-labels-idx1-ubyte.gz",
                          vision::IdxBytes(vision::kIdxLabelsMagic, {count}, {0, 1, 2}));
  };
  write("train", train_side);
  write("t10k", test_side);
  return dir;
}

TEST(LoadInpaintingDataTest, ReadsBothSplits) {
  absl::StatusOr<InpaintingData> data = LoadInpaintingData(WriteDataDir("ok", 8, 8));
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train.sizes(), (std::vector<int64_t>{3, 1, 8, 8}));
  EXPECT_EQ(data->test.sizes(), (std::vector<int64_t>{3, 1, 8, 8}));
}

TEST(LoadInpaintingDataTest, MissingDirectoryNamesIt) {
  const std::string dir = ::testing::TempDir() + "/no_such_data_dir";
  absl::StatusOr<InpaintingData> data = LoadInpaintingData(dir);
  EXPECT_EQ(data.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(data.status().message().find(dir), std::string::npos) << data.status();
}

TEST(LoadInpaintingDataTest, MissingFileIsNamed) {
  const std::string dir = WriteDataDir("missing_file", 8, 8);
  ASSERT_EQ(std::remove((dir + "/t10k-images-idx3-ubyte.gz").c_str()), 0);
  absl::StatusOr<InpaintingData> data = LoadInpaintingData(dir);
  EXPECT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("t10k-images-idx3-ubyte"), std::string::npos)
      << data.status();
}

TEST(LoadInpaintingDataTest, SplitsOfDifferentSizesAreRejected) {
  absl::StatusOr<InpaintingData> data = LoadInpaintingData(WriteDataDir("sizes", 8, 6));
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(data.status().message().find("8x8"), std::string::npos) << data.status();
}

TEST(SampleTrainingBatchTest, DrawsImagesOfTheSetReproducibly) {
  const at::Tensor images = at::arange(10, at::kFloat).reshape({10, 1, 1, 1});
  std::mt19937_64 a(7), b(7);
  const TrainingBatch batch = SampleTrainingBatch(images, 16, a);
  const at::Tensor& first = batch.images;
  EXPECT_EQ(first.sizes(), (std::vector<int64_t>{16, 1, 1, 1}));
  EXPECT_TRUE(at::equal(first, SampleTrainingBatch(images, 16, b).images));
  // The indices name the images drawn.
  EXPECT_TRUE(at::equal(first.flatten(), batch.indices.to(at::kFloat)));
  EXPECT_GE(first.min().item<float>(), 0.0f);
  EXPECT_LE(first.max().item<float>(), 9.0f);
  EXPECT_GT(std::get<0>(at::_unique(first)).numel(), 3);
}

}  // namespace
}  // namespace sf::tasks::inpainting
