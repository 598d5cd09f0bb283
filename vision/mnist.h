// MNIST-format data sets (Fashion-MNIST by default) as tensors, from a directory holding the
// four standard IDX files, gzip-compressed or not:
//   {train,t10k}-images-idx3-ubyte[.gz], {train,t10k}-labels-idx1-ubyte[.gz].
//
// Fashion-MNIST comes with Debian's `dataset-fashion-mnist` package at kFashionMnistDir, so
// nothing has to be downloaded; MNIST, KMNIST or any other set in the same layout is read by
// passing its directory (a binary's --data_dir).
//
//   absl::StatusOr<sf::vision::MnistData> test =
//       sf::vision::LoadMnist(sf::vision::kFashionMnistDir, sf::vision::MnistSplit::kTest);
//   if (!test.ok()) { std::cerr << test.status() << "\n"; return 1; }
//   // test->images: float [10000, 1, 28, 28] in [0, 1]; test->labels: int64 [10000]
#ifndef SCRATCHFORMER_VISION_MNIST_H_
#define SCRATCHFORMER_VISION_MNIST_H_

#include <array>
#include <string>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"

namespace sf::vision {

inline constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

// The ten Fashion-MNIST classes, indexed by label.
inline constexpr std::array<const char*, 10> kFashionMnistClasses = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

enum class MnistSplit { kTrain, kTest };

struct MnistData {
  at::Tensor images;  // float [N, 1, rows, cols] in [0, 1]
  at::Tensor labels;  // int64 [N]
};

// `<dir>/<name>.gz` when it exists, else `<dir>/<name>`; NotFound naming both otherwise.
absl::StatusOr<std::string> FindIdxFile(const std::string& dir, const std::string& name);

// Reads one split; an error names the offending file (missing, malformed, or image and label
// counts that disagree).
absl::StatusOr<MnistData> LoadMnist(const std::string& dir, MnistSplit split);

}  // namespace sf::vision

#endif  // SCRATCHFORMER_VISION_MNIST_H_
