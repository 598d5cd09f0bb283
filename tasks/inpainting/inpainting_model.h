// What the inpainting tasks need from a model, whatever its architecture: a prediction of every
// pixel from an image with holes, and the training loss the model is fitted with.
//
// Masks follow vision/masks.h (1 = hole). A model never sees the hole pixels: Reconstruct and
// Loss zero them before the forward pass, so a caller may pass the original images.
//
//   std::shared_ptr<InpaintingModel> model = ...;                  // e.g. a CnnInpainter
//   at::Tensor loss = model->Loss(images, masks);                  // training
//   at::Tensor filled = Composite(model->Reconstruct(images, masks), images, masks);
//
// Evaluation scores the composite: the known pixels copied from the input, the hole from the
// model, clamped to the data range [0, 1].
#ifndef SCRATCHFORMER_TASKS_INPAINTING_INPAINTING_MODEL_H_
#define SCRATCHFORMER_TASKS_INPAINTING_INPAINTING_MODEL_H_

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

namespace sf::tasks::inpainting {

class InpaintingModel : public torch::nn::Module {
 public:
  // images, masks [B, 1, H, W] -> a prediction of every pixel [B, 1, H, W].
  virtual at::Tensor Reconstruct(const at::Tensor& images, const at::Tensor& masks) = 0;

  // The scalar training loss of one batch, attached to the graph.
  virtual at::Tensor Loss(const at::Tensor& images, const at::Tensor& masks) = 0;

  // A model that looks up the training images when it predicts (a nearest-neighbour prior)
  // says so here, and gets them through SetTrainingImages before its first prediction.
  virtual bool UsesTrainingImages() const { return false; }
  virtual void SetTrainingImages(const at::Tensor& images) {}

  // The loss of a batch drawn from the training images at `indices` (int64 [B]): a model that
  // looks up the training images leaves each image out of its own search. Others: Loss.
  virtual at::Tensor TrainingLoss(const at::Tensor& images, const at::Tensor& masks,
                                  const at::Tensor& indices) {
    return Loss(images, masks);
  }
};

// images * (1 - masks) + clamp(prediction, 0, 1) * masks.
at::Tensor Composite(const at::Tensor& prediction, const at::Tensor& images,
                     const at::Tensor& masks);

// Mean squared error over the pixels where `weights` ([B, 1, H, W], broadcast over channels)
// is 1; zero when it is empty (a batch with no hole teaches nothing about holes).
at::Tensor MaskedMse(const at::Tensor& prediction, const at::Tensor& target,
                     const at::Tensor& weights);

// Minus the mean over images of the whole-image PSNR that evaluation averages, computed from the
// errors on the pixels where `weights` is 1 (the others are copied from the input when scored):
// mean_i 10 log10(sum_i / (C H W) + eps), where sum_i is image i's weighted squared error.
// Averaging per-image logarithms weights each image by the inverse of its error, as the metric
// does, where a plain MSE is led by the worst images. `eps` caps an image's PSNR at
// -10 log10(eps). Images with no weighted pixel are left out; zero when none has any.
at::Tensor PsnrLoss(const at::Tensor& prediction, const at::Tensor& target,
                    const at::Tensor& weights, double eps = 1e-4);

}  // namespace sf::tasks::inpainting

#endif  // SCRATCHFORMER_TASKS_INPAINTING_INPAINTING_MODEL_H_
