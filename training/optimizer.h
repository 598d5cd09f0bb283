// AdamW with the usual two parameter groups: weights that are decayed, and parameters that
// weight decay should not touch (biases, normalisation gains, embeddings), chosen by
// dimension (< 2) or by name.
//
//   std::unique_ptr<torch::optim::AdamW> adamw =
//       sf::training::MakeAdamW(*model, {.lr = 3e-4, .weight_decay = 0.1});
//
// Group 0 is the decayed group and group 1 the exempt one; a group with no parameter is left
// out. Frozen parameters (requires_grad false) are in neither.
#ifndef SCRATCHFORMER_TRAINING_OPTIMIZER_H_
#define SCRATCHFORMER_TRAINING_OPTIMIZER_H_

#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

namespace sf::training {

struct WeightDecayRule {
  // Parameters of fewer than two dimensions (biases, LayerNorm gains and shifts) are exempt.
  bool exempt_below_2d = true;
  // Parameters whose dotted name contains one of these (case-insensitive) are exempt.
  std::vector<std::string> exempt_name_substrings = {"bias", "norm", "embed"};
};

struct ParamSplit {
  std::vector<std::string> decay_names;
  std::vector<torch::Tensor> decay;
  std::vector<std::string> exempt_names;
  std::vector<torch::Tensor> exempt;
};

// Sorts the trainable parameters of `module` (in named_parameters() order) by `rule`.
ParamSplit SplitForWeightDecay(const torch::nn::Module& module, const WeightDecayRule& rule);

struct AdamWConfig {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
  bool amsgrad = false;
  WeightDecayRule rule;
};

// AdamW over the trainable parameters of `module`; exempt parameters get weight_decay 0.
std::unique_ptr<torch::optim::AdamW> MakeAdamW(const torch::nn::Module& module,
                                               const AdamWConfig& config);

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_OPTIMIZER_H_
