#include "tasks/inpainting/test_images.h"

#include "absl/strings/str_cat.h"
#include "vision/mnist.h"

namespace sf::tasks::inpainting {

std::optional<at::Tensor> FashionMnistTestImages(int64_t count) {
  absl::StatusOr<vision::MnistData> test =
      vision::LoadMnist(vision::kFashionMnistDir, vision::MnistSplit::kTest);
  if (!test.ok()) return std::nullopt;
  return test->images.slice(0, 0, count).contiguous();
}

std::string FashionMnistSkipReason() {
  return absl::StrCat("Fashion-MNIST not found in ", vision::kFashionMnistDir,
                      " (apt-get install dataset-fashion-mnist)");
}

}  // namespace sf::tasks::inpainting
