#include "vision/mnist.h"

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "vision/idx.h"
#include "vision/idx_fixtures.h"

namespace sf::vision {
namespace {

namespace fs = std::filesystem;

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(MnistTest, LoadsPlainFilesWhenNoGzipExists) {
  const std::string dir = FreshDir("plain_set");
  WritePlainFile(dir + "/t10k-images-idx3-ubyte",
                 IdxBytes(kIdxImagesMagic, {2, 2, 2}, {0, 255, 51, 102, 1, 2, 3, 4}));
  WritePlainFile(dir + "/t10k-labels-idx1-ubyte", IdxBytes(kIdxLabelsMagic, {2}, {7, 3}));
  absl::StatusOr<MnistData> data = LoadMnist(dir, MnistSplit::kTest);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->images.sizes(), (std::vector<int64_t>{2, 1, 2, 2}));
  EXPECT_FLOAT_EQ(data->images[0][0][0][1].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(data->images[0][0][1][0].item<float>(), 0.2f);
  EXPECT_TRUE(at::equal(data->labels, at::tensor(std::vector<int64_t>{7, 3})));
}

TEST(MnistTest, PrefersGzipAndReadsTheTrainSplit) {
  const std::string dir = FreshDir("gzip_set");
  WriteGzipFile(dir + "/train-images-idx3-ubyte.gz",
                IdxBytes(kIdxImagesMagic, {1, 1, 2}, {10, 20}));
  WritePlainFile(dir + "/train-images-idx3-ubyte", "stale, not an IDX file");
  WriteGzipFile(dir + "/train-labels-idx1-ubyte.gz", IdxBytes(kIdxLabelsMagic, {1}, {4}));
  absl::StatusOr<std::string> found = FindIdxFile(dir, "train-images-idx3-ubyte");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, dir + "/train-images-idx3-ubyte.gz");
  absl::StatusOr<MnistData> data = LoadMnist(dir, MnistSplit::kTrain);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->labels.item<int64_t>(), 4);
}

TEST(MnistTest, CountMismatchNamesBothFiles) {
  const std::string dir = FreshDir("mismatch_set");
  WritePlainFile(dir + "/t10k-images-idx3-ubyte",
                 IdxBytes(kIdxImagesMagic, {2, 1, 1}, {1, 2}));
  WritePlainFile(dir + "/t10k-labels-idx1-ubyte", IdxBytes(kIdxLabelsMagic, {3}, {1, 2, 3}));
  absl::StatusOr<MnistData> data = LoadMnist(dir, MnistSplit::kTest);
  ASSERT_FALSE(data.ok());
  const std::string message(data.status().message());
  EXPECT_TRUE(absl::StrContains(message, "2 images")) << message;
  EXPECT_TRUE(absl::StrContains(message, "3 labels")) << message;
  EXPECT_TRUE(absl::StrContains(message, dir + "/t10k-labels-idx1-ubyte")) << message;
}

TEST(MnistTest, MissingDirectoryIsNotFoundWithAHint) {
  const std::string dir = ::testing::TempDir() + "no_such_set";
  absl::StatusOr<MnistData> data = LoadMnist(dir, MnistSplit::kTest);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kNotFound);
  const std::string message(data.status().message());
  EXPECT_TRUE(absl::StrContains(message, dir + "/t10k-images-idx3-ubyte.gz")) << message;
  EXPECT_TRUE(absl::StrContains(message, "--data_dir")) << message;
}

TEST(MnistTest, MalformedFileErrorNamesIt) {
  const std::string dir = FreshDir("malformed_set");
  WritePlainFile(dir + "/t10k-images-idx3-ubyte", IdxBytes(kIdxImagesMagic, {2, 1, 1}, {1}));
  WritePlainFile(dir + "/t10k-labels-idx1-ubyte", IdxBytes(kIdxLabelsMagic, {2}, {1, 2}));
  absl::StatusOr<MnistData> data = LoadMnist(dir, MnistSplit::kTest);
  ASSERT_FALSE(data.ok());
  EXPECT_TRUE(absl::StrContains(data.status().message(), dir + "/t10k-images-idx3-ubyte"))
      << data.status();
}

TEST(MnistTest, RealFashionMnistTestSet) {
  if (!fs::is_directory(kFashionMnistDir)) {
    GTEST_SKIP() << "Fashion-MNIST not installed at " << kFashionMnistDir
                 << " (Debian package dataset-fashion-mnist)";
  }
  absl::StatusOr<MnistData> data = LoadMnist(kFashionMnistDir, MnistSplit::kTest);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->images.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(data->labels.sizes(), (std::vector<int64_t>{10000}));
  EXPECT_EQ(data->labels.min().item<int64_t>(), 0);
  EXPECT_EQ(data->labels.max().item<int64_t>(), 9);
  // The test split is balanced: 1000 images of each class.
  EXPECT_TRUE(at::equal(at::bincount(data->labels), at::full({10}, 1000, at::kLong)));
  EXPECT_GE(data->images.min().item<float>(), 0.0f);
  EXPECT_EQ(data->images.max().item<float>(), 1.0f);
  // Pixel values are multiples of 1/255.
  at::Tensor scaled = data->images * 255.0;
  EXPECT_LT((scaled - scaled.round()).abs().max().item<float>(), 1e-3f);
  // Images are dark-background objects, the mean intensity well away from 0 and 1.
  const double mean = data->images.mean().item<double>();
  EXPECT_GT(mean, 0.2);
  EXPECT_LT(mean, 0.4);
}

}  // namespace
}  // namespace sf::vision
