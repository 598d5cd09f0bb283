#include "tasks/inpainting/masked_patch_transformer.h"

#include <string>

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include "absl/strings/str_cat.h"
#include "layers/transformer_layer_options.h"
#include "vision/masks.h"

namespace sf::tasks::inpainting {

nlohmann::json MaskedPatchTransformerConfig(const MaskedPatchTransformerOptions& options) {
  return {{"model", "masked_patch_transformer"},
          {"image_size", options.image_size},
          {"patch_size", options.patch_size},
          {"d_model", options.d_model},
          {"heads", options.heads},
          {"d_ff", options.d_ff},
          {"layers", options.layers},
          {"backend", attention::AttentionBackendName(options.backend)}};
}

absl::StatusOr<MaskedPatchTransformerOptions> MaskedPatchTransformerOptionsFromConfig(
    const nlohmann::json& config) {
  if (!config.is_object() ||
      config.value("model", std::string()) != "masked_patch_transformer") {
    return absl::InvalidArgumentError(
        absl::StrCat("not a masked_patch_transformer configuration: ", config.dump()));
  }
  MaskedPatchTransformerOptions options;
  try {
    options.image_size = config.at("image_size").get<int64_t>();
    options.patch_size = config.at("patch_size").get<int64_t>();
    options.d_model = config.at("d_model").get<int64_t>();
    options.heads = config.at("heads").get<int64_t>();
    options.d_ff = config.at("d_ff").get<int64_t>();
    options.layers = config.at("layers").get<int64_t>();
    options.backend = attention::ParseAttentionBackend(config.at("backend").get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad masked_patch_transformer configuration ", config.dump(), ": ", e.what()));
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad masked_patch_transformer configuration ", config.dump(), ": ", e.what_without_backtrace()));
  }
  if (options.patch_size < 1 || options.image_size % options.patch_size != 0) {
    return absl::InvalidArgumentError(absl::StrCat("patch_size ", options.patch_size,
                                                   " does not divide image_size ",
                                                   options.image_size));
  }
  if (options.heads < 1 || options.d_model % options.heads != 0 || options.layers < 1 ||
      options.d_ff < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "masked_patch_transformer needs heads dividing d_model and positive sizes, got d_model ",
        options.d_model, ", heads ", options.heads, ", d_ff ", options.d_ff, ", layers ",
        options.layers));
  }
  return options;
}

MaskedPatchTransformer::MaskedPatchTransformer(const MaskedPatchTransformerOptions& options)
    : options_(options) {
  const int64_t side = options.image_size / options.patch_size;
  patch_embedding_ = register_module(
      "patch_embedding", layers::PatchEmbedding(layers::PatchEmbeddingOptions(
                             /*in_channels=*/2, options.d_model, options.patch_size)));
  mask_token_ = register_parameter("mask_token", torch::zeros({options.d_model}));
  torch::nn::init::normal_(mask_token_, 0.0, 0.02);
  pos_embedding_ = register_module(
      "pos_embedding", attention::LearnedPositionalEmbedding(
                           attention::LearnedPositionalEmbeddingOptions(side * side,
                                                                        options.d_model)));
  // No dropout: a few epochs on 60,000 images do not over-fit, and the fused attention
  // kernel trains only without attention dropout.
  encoder_ = register_module(
      "encoder", layers::TransformerEncoder(layers::TransformerEncoderOptions(
                     layers::TransformerLayerOptions(options.d_model, options.heads)
                         .d_ff(options.d_ff)
                         .dropout(0.0)
                         .attention_dropout(0.0)
                         .activation(layers::Activation::kGELU)
                         .norm_placement(layers::NormPlacement::kPreNorm)
                         .backend(options.backend),
                     options.layers)));
  pixel_decoder_ = register_module(
      "pixel_decoder", layers::PatchUnembedding(layers::PatchUnembeddingOptions(
                           options.d_model, /*out_channels=*/1, options.patch_size)));
}

at::Tensor MaskedPatchTransformer::Reconstruct(const at::Tensor& images, const at::Tensor& masks) {
  TORCH_CHECK(images.size(2) == options_.image_size && images.size(3) == options_.image_size,
              "MaskedPatchTransformer: images must be ", options_.image_size, " x ",
              options_.image_size, ", got ", images.sizes());
  const at::Tensor tokens =
      patch_embedding_->forward(at::cat({images * (1 - masks), masks}, 1));  // [B, N, d]
  // 1 where the whole patch is hole: nothing of it is known, so it is a mask token.
  const at::Tensor fully_masked =
      (vision::PixelMaskToPatches(masks, options_.patch_size) > 0.999).to(tokens.dtype())
          .unsqueeze(-1);
  at::Tensor x = tokens * (1 - fully_masked) + mask_token_ * fully_masked;
  x = encoder_->forward(pos_embedding_->forward(x));
  return pixel_decoder_->forward(x, images.size(2), images.size(3));
}

at::Tensor MaskedPatchTransformer::Loss(const at::Tensor& images, const at::Tensor& masks) {
  const at::Tensor prediction = Reconstruct(images, masks);
  const at::Tensor masked_patches =
      (vision::PixelMaskToPatches(masks, options_.patch_size) > 0).to(masks.dtype());
  const at::Tensor weights = vision::PatchMaskToPixels(masked_patches, images.size(2),
                                                       images.size(3), options_.patch_size);
  return MaskedMse(prediction, images, weights);
}

}  // namespace sf::tasks::inpainting
