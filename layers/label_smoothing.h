// Label-smoothed cross-entropy (Szegedy et al. 2016; eps_ls = 0.1 in Vaswani et al. 2017):
// the target distribution puts 1 - smoothing on the true class and spreads `smoothing`
// uniformly over all C classes (the true one included, LibTorch's convention), so
//
//   loss_i = (1 - smoothing) * -log p_i[y_i] + smoothing * mean_c(-log p_i[c]).
//
// Positions whose target equals `ignore_index` (padding) contribute nothing; the mean is over
// the remaining positions (zero, not NaN, when there are none). The class dimension is the
// LAST one, so decoder logits [batch, len, vocab] go in with targets [batch, len] as they are.
//
//   at::Tensor loss = sf::layers::LabelSmoothedCrossEntropy(
//       logits, targets, sf::layers::LabelSmoothingOptions().smoothing(0.1).ignore_index(pad));
#ifndef SCRATCHFORMER_LAYERS_LABEL_SMOOTHING_H_
#define SCRATCHFORMER_LAYERS_LABEL_SMOOTHING_H_

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

namespace sf::layers {

enum class LossReduction {
  kMean,  // over the non-ignored positions
  kSum,
  kNone,  // per position, shaped like the targets (zero at ignored positions)
};

struct LabelSmoothingOptions {
  TORCH_ARG(double, smoothing) = 0.1;  // in [0, 1]
  TORCH_ARG(int64_t, ignore_index) = -100;
  TORCH_ARG(LossReduction, reduction) = LossReduction::kMean;
};

// logits [..., C] (floating), targets [...] int64 in [0, C) or ignore_index.
at::Tensor LabelSmoothedCrossEntropy(const at::Tensor& logits, const at::Tensor& targets,
                                     const LabelSmoothingOptions& options = {});

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_LABEL_SMOOTHING_H_
