// Test helper: the first few Fashion-MNIST test images, for tests that train on real data and
// skip where Debian's dataset-fashion-mnist is not installed.
//
//   std::optional<at::Tensor> images = FashionMnistTestImages(64);
//   if (!images) GTEST_SKIP() << FashionMnistSkipReason();
#ifndef SCRATCHFORMER_TASKS_INPAINTING_TEST_IMAGES_H_
#define SCRATCHFORMER_TASKS_INPAINTING_TEST_IMAGES_H_

#include <cstdint>
#include <optional>
#include <string>

#include <ATen/core/Tensor.h>

namespace sf::tasks::inpainting {

// The first `count` test images [count, 1, 28, 28], or nullopt when they cannot be read.
std::optional<at::Tensor> FashionMnistTestImages(int64_t count);

std::string FashionMnistSkipReason();

}  // namespace sf::tasks::inpainting

#endif  // SCRATCHFORMER_TASKS_INPAINTING_TEST_IMAGES_H_
