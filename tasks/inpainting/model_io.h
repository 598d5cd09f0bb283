// Saving a trained inpainter, loading it back from its checkpoint alone, and inpainting a
// user's PNG with it.
//
// A model checkpoint is a //training:checkpoint file (atomic, verified) whose configuration is
//   {"model_config": {...the architecture...}, "image_size": [H, W], ...training settings}
// so a binary rebuilds the architecture from the file before loading the weights. The
// periodic checkpoints of the training loop have the same configuration and load too.
//
//   absl::Status s = SaveInpaintingModel("run/model.sfckpt", *model, config);
//   absl::StatusOr<LoadedModel> loaded = LoadInpaintingModel("run/model.sfckpt", BuildCnn);
//   absl::StatusOr<InpaintFileResult> r = InpaintPngFile(*loaded, "shirt.png", "filled.png",
//                                                        mask_options, /*mask_seed=*/2024);
#ifndef SCRATCHFORMER_TASKS_INPAINTING_MODEL_IO_H_
#define SCRATCHFORMER_TASKS_INPAINTING_MODEL_IO_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tasks/inpainting/inpainting_model.h"
#include "vision/masks.h"

namespace sf::tasks::inpainting {

// Builds an untrained model from a "model_config" object; InvalidArgument when it is not this
// binary's kind of model.
using ModelBuilder =
    std::function<absl::StatusOr<std::shared_ptr<InpaintingModel>>(const nlohmann::json&)>;

// The run configuration of a model trained on height x width images.
nlohmann::json ModelCheckpointConfig(const nlohmann::json& model_config, int64_t height,
                                     int64_t width);

absl::Status SaveInpaintingModel(const std::string& path, InpaintingModel& model,
                                 const nlohmann::json& config);

struct LoadedModel {
  std::shared_ptr<InpaintingModel> model;  // in eval mode
  nlohmann::json config;
  int64_t height = 0;  // of the training images
  int64_t width = 0;
  int64_t step = 0;
};

// Errors name `path`: unreadable or corrupt file, a configuration `build` rejects, weights
// that do not fit the rebuilt model.
absl::StatusOr<LoadedModel> LoadInpaintingModel(const std::string& path,
                                                const ModelBuilder& build);

struct InpaintFileResult {
  at::Tensor image;   // [1, H, W] as read
  at::Tensor mask;    // [1, 1, H, W]
  at::Tensor filled;  // [1, H, W], the composite written to the output
};

// A model that looks up its training images (InpaintingModel::UsesTrainingImages) gets
// `images` here, after a check that they are the ones it was trained with: the fingerprint
// (vision::ImagesFingerprint) its configuration recorded under "training_images".
// FailedPrecondition naming `path` and `data_dir` when they differ. Other models: no-op.
absl::Status AttachTrainingImages(const LoadedModel& model, const std::string& path,
                                  const at::Tensor& images, const std::string& data_dir);

// Reads `input` as grayscale, masks it with image 0's mask of IndexedMasks(masks, mask_seed),
// fills the hole with the model and writes the composite to `output` (atomically). A PNG that
// is missing, corrupt or not of the model's image size is an error naming the path and sizes.
absl::StatusOr<InpaintFileResult> InpaintPngFile(const LoadedModel& model,
                                                 const std::string& input,
                                                 const std::string& output,
                                                 const vision::MaskOptions& masks,
                                                 uint64_t mask_seed);

}  // namespace sf::tasks::inpainting

#endif  // SCRATCHFORMER_TASKS_INPAINTING_MODEL_IO_H_
