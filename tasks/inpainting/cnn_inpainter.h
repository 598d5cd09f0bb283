// A U-Net inpainter (Ronneberger et al. 2015, as used for inpainting by Liu et al. 2018 and
// Yu et al. 2019): the image with its hole zeroed and the mask go in as two channels, the skip
// connections carry the known pixels' detail to the output, and the bottleneck, whose receptive
// field covers the whole 28 x 28 image, fills the hole from the context around it.
//
//   auto model = std::make_shared<CnnInpainter>(CnnInpainterOptions{.base_channels = 16});
//   at::Tensor loss = model->Loss(images, masks);       // images, masks [B, 1, H, W]
//   at::Tensor prediction = model->Reconstruct(images, masks);
//
// The loss is hole_weight * MSE(hole) + whole_weight * MSE(whole image): the hole is what is
// scored, the whole-image term keeps the output consistent with the known pixels around it.
#ifndef SCRATCHFORMER_TASKS_INPAINTING_CNN_INPAINTER_H_
#define SCRATCHFORMER_TASKS_INPAINTING_CNN_INPAINTER_H_

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "layers/unet.h"
#include "tasks/inpainting/inpainting_model.h"

namespace sf::tasks::inpainting {

struct CnnInpainterOptions {
  int64_t base_channels = 16;  // channels of the first level, doubled at every level
  int64_t depth = 3;           // down-sampling levels: 28 -> 14 -> 7 -> 4
  bool gated = false;          // gated convolutions (Yu et al. 2019) in every block
  double hole_weight = 1.0;
  double whole_weight = 0.1;
};

// The options as a checkpoint configuration, and back (InvalidArgument naming a bad field).
nlohmann::json CnnInpainterConfig(const CnnInpainterOptions& options);
absl::StatusOr<CnnInpainterOptions> CnnInpainterOptionsFromConfig(const nlohmann::json& config);

class CnnInpainter : public InpaintingModel {
 public:
  explicit CnnInpainter(const CnnInpainterOptions& options);

  at::Tensor Reconstruct(const at::Tensor& images, const at::Tensor& masks) override;
  at::Tensor Loss(const at::Tensor& images, const at::Tensor& masks) override;

  const CnnInpainterOptions& options() const { return options_; }

 private:
  CnnInpainterOptions options_;
  layers::UNet unet_{nullptr};
};

}  // namespace sf::tasks::inpainting

#endif  // SCRATCHFORMER_TASKS_INPAINTING_CNN_INPAINTER_H_
