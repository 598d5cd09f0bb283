#include "layers/label_smoothing.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/where.h>
#include <ATen/ops/zeros_like.h>
#include <c10/util/Exception.h>

namespace sf::layers {

at::Tensor LabelSmoothedCrossEntropy(const at::Tensor& logits, const at::Tensor& targets,
                                     const LabelSmoothingOptions& options) {
  TORCH_CHECK(logits.is_floating_point(),
              "LabelSmoothedCrossEntropy: logits must be floating point, got ",
              logits.scalar_type());
  TORCH_CHECK(targets.scalar_type() == at::kLong,
              "LabelSmoothedCrossEntropy: targets must be int64, got ", targets.scalar_type());
  TORCH_CHECK(logits.dim() == targets.dim() + 1 &&
                  logits.sizes().slice(0, targets.dim()) == targets.sizes(),
              "LabelSmoothedCrossEntropy: logits [..., C] must match targets [...], got logits ",
              logits.sizes(), " and targets ", targets.sizes());
  TORCH_CHECK(options.smoothing() >= 0.0 && options.smoothing() <= 1.0,
              "LabelSmoothedCrossEntropy: smoothing must be in [0, 1], got ", options.smoothing());
  const int64_t classes = logits.size(-1);
  at::Tensor valid = targets != options.ignore_index();
  at::Tensor safe_targets = at::where(valid, targets, at::zeros_like(targets));
  if (safe_targets.numel() > 0) {
    int64_t low = safe_targets.min().item<int64_t>();
    int64_t high = safe_targets.max().item<int64_t>();
    TORCH_CHECK(low >= 0 && high < classes, "LabelSmoothedCrossEntropy: targets must be in [0, ",
                classes, ") or ignore_index ", options.ignore_index(), ", got values in [", low,
                ", ", high, "]");
  }
  at::Tensor log_probs = at::log_softmax(logits, -1);
  at::Tensor nll = -log_probs.gather(-1, safe_targets.unsqueeze(-1)).squeeze(-1);
  at::Tensor uniform = -log_probs.mean(-1);
  at::Tensor per_position = (1.0 - options.smoothing()) * nll + options.smoothing() * uniform;
  // `where`, not a product: an ignored position with non-finite logits must not leak NaN.
  per_position = at::where(valid, per_position, at::zeros_like(per_position));
  switch (options.reduction()) {
    case LossReduction::kNone:
      return per_position;
    case LossReduction::kSum:
      return per_position.sum();
    case LossReduction::kMean:
      return per_position.sum() / valid.sum().clamp_min(1);
  }
  TORCH_CHECK(false, "invalid LossReduction value ", static_cast<int>(options.reduction()));
}

}  // namespace sf::layers
