#include "tasks/inpainting/inpainting_data.h"

#include <sys/stat.h>

#include <vector>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "vision/mnist.h"

namespace sf::tasks::inpainting {

absl::StatusOr<InpaintingData> LoadInpaintingData(const std::string& dir) {
  struct stat info;
  if (stat(dir.c_str(), &info) != 0) {
    return absl::NotFoundError(
        absl::StrCat("data directory ", dir,
                     " does not exist (expected MNIST-format IDX files; Debian's "
                     "dataset-fashion-mnist installs them in ",
                     vision::kFashionMnistDir, ")"));
  }
  if (!S_ISDIR(info.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data directory ", dir, " is a file, not a folder of MNIST-format IDX files"));
  }
  absl::StatusOr<vision::MnistData> train = vision::LoadMnist(dir, vision::MnistSplit::kTrain);
  if (!train.ok()) return train.status();
  absl::StatusOr<vision::MnistData> test = vision::LoadMnist(dir, vision::MnistSplit::kTest);
  if (!test.ok()) return test.status();
  if (train->images.size(0) == 0 || test->images.size(0) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("data directory ", dir, " has an empty split"));
  }
  if (train->images.sizes().slice(1) != test->images.sizes().slice(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data directory ", dir, ": training images are ", train->images.size(2), "x",
        train->images.size(3), " but test images are ", test->images.size(2), "x",
        test->images.size(3)));
  }
  return InpaintingData{dir, train->images, test->images};
}

TrainingBatch SampleTrainingBatch(const at::Tensor& images, int64_t batch_size,
                                  std::mt19937_64& rng) {
  const uint64_t n = static_cast<uint64_t>(images.size(0));
  std::vector<int64_t> indices(batch_size);
  for (int64_t& index : indices) index = static_cast<int64_t>(rng() % n);
  const at::Tensor index = at::tensor(indices, at::kLong);
  return {images.index_select(0, index), index};
}

}  // namespace sf::tasks::inpainting
