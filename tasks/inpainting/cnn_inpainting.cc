// Image inpainting with a U-Net CNN (tasks/inpainting/cnn_inpainter.h) on Fashion-MNIST:
// trains, evaluates against mean and harmonic fill on the 10,000 test images with fixed masks,
// writes metrics and a PNG grid; or inpaints a user's image with a saved model.
//
//   bazel run //tasks/inpainting:cnn_inpainting                  # centre 14x14 hole
//   bazel run //tasks/inpainting:cnn_inpainting -- --checkpoint=runs/cnn_inpainting/model.sfckpt
//       --input=shirt.png --output=filled.png                    (one command line)
//
// See tasks/inpainting/inpainting_main.h for the shared flags and outputs.
#include <memory>

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "tasks/inpainting/cnn_inpainter.h"
#include "tasks/inpainting/inpainting_main.h"

ABSL_FLAG(int64_t, base_channels, 16, "Channels of the U-Net's first level (doubled per level).");
ABSL_FLAG(int64_t, depth, 3, "Down-sampling levels of the U-Net.");
ABSL_FLAG(bool, gated, false, "Gated convolutions (Yu et al. 2019) in every block.");
ABSL_FLAG(double, hole_weight, 1.0, "Weight of the MSE over the hole in the loss.");
ABSL_FLAG(double, whole_weight, 0.1, "Weight of the MSE over the whole image in the loss.");

namespace sf::tasks::inpainting {
namespace {

InpaintingTask CnnTask() {
  InpaintingTask task;
  task.name = "cnn_inpainting";
  task.model_name = "U-Net CNN";
  task.usage = "Inpainting with a U-Net CNN: train and evaluate, or --checkpoint --input.";
  // About 0.85 epochs: 24.3 dB / 0.765 SSIM on the centre 14x14 hole, 15 minutes of wall time
  // (training and evaluation) on two heavily shared cores.
  task.defaults = {.steps = 1600,
                   .lr = 2e-3,
                   .warmup_steps = 100,
                   .weight_decay = 0.01,
                   .batch_size = 32,
                   .mask = "center",
                   .out_dir = "runs/cnn_inpainting"};
  task.model_config_from_flags = [](int64_t, int64_t) -> absl::StatusOr<nlohmann::json> {
    const CnnInpainterOptions options{.base_channels = absl::GetFlag(FLAGS_base_channels),
                                      .depth = absl::GetFlag(FLAGS_depth),
                                      .gated = absl::GetFlag(FLAGS_gated),
                                      .hole_weight = absl::GetFlag(FLAGS_hole_weight),
                                      .whole_weight = absl::GetFlag(FLAGS_whole_weight)};
    const nlohmann::json config = CnnInpainterConfig(options);
    absl::StatusOr<CnnInpainterOptions> checked = CnnInpainterOptionsFromConfig(config);
    if (!checked.ok()) return checked.status();
    return config;
  };
  task.build_model =
      [](const nlohmann::json& config) -> absl::StatusOr<std::shared_ptr<InpaintingModel>> {
    absl::StatusOr<CnnInpainterOptions> options = CnnInpainterOptionsFromConfig(config);
    if (!options.ok()) return options.status();
    return std::shared_ptr<InpaintingModel>(std::make_shared<CnnInpainter>(*options));
  };
  return task;
}

}  // namespace
}  // namespace sf::tasks::inpainting

int main(int argc, char** argv) {
  return sf::tasks::inpainting::RunInpaintingMain(argc, argv,
                                                  sf::tasks::inpainting::CnnTask());
}
