#include "tasks/inpainting/model_io.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include "absl/strings/str_cat.h"
#include "training/checkpoint.h"
#include "vision/neighbour_fill.h"
#include "vision/png_io.h"

namespace sf::tasks::inpainting {

nlohmann::json ModelCheckpointConfig(const nlohmann::json& model_config, int64_t height,
                                     int64_t width) {
  return {{"model_config", model_config}, {"image_size", {height, width}}};
}

absl::Status SaveInpaintingModel(const std::string& path, InpaintingModel& model,
                                 const nlohmann::json& config) {
  return training::SaveCheckpoint(path, {.model = &model}, {.config = config});
}

absl::StatusOr<LoadedModel> LoadInpaintingModel(const std::string& path,
                                                const ModelBuilder& build) {
  absl::StatusOr<training::CheckpointInfo> info = training::ReadCheckpointInfo(path);
  if (!info.ok()) return info.status();
  LoadedModel loaded;
  loaded.config = info->config;
  try {
    const nlohmann::json& size = info->config.at("image_size");
    loaded.height = size.at(0).get<int64_t>();
    loaded.width = size.at(1).get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint ", path, " is not an inpainting model (", e.what(), ")"));
  }
  if (!info->config.contains("model_config")) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint ", path, " has no model_config: not an inpainting model"));
  }
  absl::StatusOr<std::shared_ptr<InpaintingModel>> model = build(info->config["model_config"]);
  if (!model.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint ", path, ": ",
                                                   model.status().message()));
  }
  absl::StatusOr<training::CheckpointInfo> restored = training::LoadCheckpoint(
      path, {.model = model->get()}, {.restore_optimizer = false, .restore_rng = false});
  if (!restored.ok()) return restored.status();
  loaded.model = *model;
  loaded.model->eval();
  loaded.step = restored->step;
  return loaded;
}

absl::Status AttachTrainingImages(const LoadedModel& model, const std::string& path,
                                  const at::Tensor& images, const std::string& data_dir) {
  if (!model.model->UsesTrainingImages()) return absl::OkStatus();
  const std::string recorded = model.config.value("training_images", std::string());
  const std::string found = vision::ImagesFingerprint(images);
  if (recorded != found) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": the model's nearest-neighbour prior searches the training images it was "
        "trained with (", recorded.empty() ? "not recorded in the checkpoint" : recorded,
        "), but the training images of --data_dir=", data_dir, " are ", found,
        "; pass the --data_dir the model was trained on"));
  }
  try {
    model.model->SetTrainingImages(images);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": nearest-neighbour prior: ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

absl::StatusOr<InpaintFileResult> InpaintPngFile(const LoadedModel& model,
                                                 const std::string& input,
                                                 const std::string& output,
                                                 const vision::MaskOptions& masks,
                                                 uint64_t mask_seed) {
  absl::StatusOr<at::Tensor> image = vision::ReadPng(input, vision::PngChannels::kGray);
  if (!image.ok()) return image.status();
  if (image->size(1) != model.height || image->size(2) != model.width) {
    return absl::InvalidArgumentError(absl::StrCat(
        input, " is ", image->size(2), "x", image->size(1), " pixels (width x height); the model ",
        "was trained on ", model.width, "x", model.height, " images"));
  }
  InpaintFileResult result;
  result.image = *image;
  try {
    result.mask = vision::IndexedMasks(masks, mask_seed, 0, 1, model.height, model.width);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot make a ", vision::MaskKindName(masks.kind), " mask for ", input, ": ",
                     e.what_without_backtrace()));
  }
  {
    torch::NoGradGuard no_grad;
    model.model->eval();
    const at::Tensor batch = image->unsqueeze(0);
    result.filled =
        Composite(model.model->Reconstruct(batch, result.mask), batch, result.mask).squeeze(0);
  }
  absl::Status written = vision::WritePng(output, result.filled);
  if (!written.ok()) return written;
  return result;
}

}  // namespace sf::tasks::inpainting
