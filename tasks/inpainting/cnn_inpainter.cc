#include "tasks/inpainting/cnn_inpainter.h"

#include <string>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"

namespace sf::tasks::inpainting {

nlohmann::json CnnInpainterConfig(const CnnInpainterOptions& options) {
  return {{"model", "cnn_inpainter"},
          {"base_channels", options.base_channels},
          {"depth", options.depth},
          {"gated", options.gated},
          {"hole_weight", options.hole_weight},
          {"whole_weight", options.whole_weight}};
}

absl::StatusOr<CnnInpainterOptions> CnnInpainterOptionsFromConfig(const nlohmann::json& config) {
  if (!config.is_object() || config.value("model", std::string()) != "cnn_inpainter") {
    return absl::InvalidArgumentError(
        absl::StrCat("not a cnn_inpainter configuration: ", config.dump()));
  }
  CnnInpainterOptions options;
  try {
    options.base_channels = config.at("base_channels").get<int64_t>();
    options.depth = config.at("depth").get<int64_t>();
    options.gated = config.at("gated").get<bool>();
    options.hole_weight = config.at("hole_weight").get<double>();
    options.whole_weight = config.at("whole_weight").get<double>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad cnn_inpainter configuration ", config.dump(), ": ", e.what()));
  }
  if (options.base_channels < 1 || options.depth < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cnn_inpainter needs base_channels >= 1 and depth >= 1, got ",
        options.base_channels, " and ", options.depth));
  }
  // Both weights scale squared errors: a negative one rewards error, and with both zero the
  // model learns nothing.
  if (!(options.hole_weight >= 0.0 && options.whole_weight >= 0.0) ||
      options.hole_weight + options.whole_weight <= 0.0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cnn_inpainter needs hole_weight >= 0 and whole_weight >= 0, not both 0, got ",
        options.hole_weight, " and ", options.whole_weight));
  }
  return options;
}

CnnInpainter::CnnInpainter(const CnnInpainterOptions& options) : options_(options) {
  unet_ = register_module("unet", layers::UNet(layers::UNetOptions(/*in_channels=*/2,
                                                                   /*out_channels=*/1)
                                                   .base_channels(options.base_channels)
                                                   .depth(options.depth)
                                                   .gated(options.gated)));
}

at::Tensor CnnInpainter::Reconstruct(const at::Tensor& images, const at::Tensor& masks) {
  return unet_->forward(at::cat({images * (1 - masks), masks}, 1));
}

at::Tensor CnnInpainter::Loss(const at::Tensor& images, const at::Tensor& masks) {
  const at::Tensor prediction = Reconstruct(images, masks);
  return options_.hole_weight * MaskedMse(prediction, images, masks) +
         options_.whole_weight * (prediction - images).square().mean();
}

}  // namespace sf::tasks::inpainting
