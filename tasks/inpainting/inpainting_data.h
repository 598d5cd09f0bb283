// The images the inpainting tasks train and test on: an MNIST-format directory
// (Fashion-MNIST by default, vision/mnist.h), and random training batches.
//
//   absl::StatusOr<InpaintingData> data = LoadInpaintingData(vision::kFashionMnistDir);
//   TrainingBatch batch = SampleTrainingBatch(data->train, 128, rng);  // images [128, 1, 28, 28]
#ifndef SCRATCHFORMER_TASKS_INPAINTING_INPAINTING_DATA_H_
#define SCRATCHFORMER_TASKS_INPAINTING_INPAINTING_DATA_H_

#include <cstdint>
#include <random>
#include <string>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"

namespace sf::tasks::inpainting {

struct InpaintingData {
  std::string dir;
  at::Tensor train;  // float [N, 1, H, W] in [0, 1]
  at::Tensor test;   // float [M, 1, H, W]
};

// Both splits of `dir`. NotFound naming `dir` when it is not a directory; the reader's error
// (naming the file) when a file is missing or malformed; InvalidArgument when the splits'
// image sizes differ or a split is empty.
absl::StatusOr<InpaintingData> LoadInpaintingData(const std::string& dir);

struct TrainingBatch {
  at::Tensor images;   // [B, C, H, W]
  at::Tensor indices;  // int64 [B]: where each image is in the training set
};

// `batch_size` images drawn uniformly (with replacement) by `rng`.
TrainingBatch SampleTrainingBatch(const at::Tensor& images, int64_t batch_size,
                                  std::mt19937_64& rng);

}  // namespace sf::tasks::inpainting

#endif  // SCRATCHFORMER_TASKS_INPAINTING_INPAINTING_DATA_H_
