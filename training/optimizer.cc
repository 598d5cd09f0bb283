#include "training/optimizer.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace sf::training {

ParamSplit SplitForWeightDecay(const torch::nn::Module& module, const WeightDecayRule& rule) {
  ParamSplit split;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    const torch::Tensor& p = item.value();
    if (!p.requires_grad()) continue;
    bool exempt = rule.exempt_below_2d && p.dim() < 2;
    const std::string lower = absl::AsciiStrToLower(item.key());
    for (const std::string& s : rule.exempt_name_substrings) {
      exempt = exempt || absl::StrContains(lower, absl::AsciiStrToLower(s));
    }
    if (exempt) {
      split.exempt_names.push_back(item.key());
      split.exempt.push_back(p);
    } else {
      split.decay_names.push_back(item.key());
      split.decay.push_back(p);
    }
  }
  return split;
}

std::unique_ptr<torch::optim::AdamW> MakeAdamW(const torch::nn::Module& module,
                                               const AdamWConfig& config) {
  auto options = [&](double weight_decay) {
    torch::optim::AdamWOptions o(config.lr);
    o.betas(std::make_tuple(config.beta1, config.beta2))
        .eps(config.eps)
        .weight_decay(weight_decay)
        .amsgrad(config.amsgrad);
    return o;
  };
  ParamSplit split = SplitForWeightDecay(module, config.rule);
  TORCH_CHECK(!split.decay.empty() || !split.exempt.empty(),
              "the module has no trainable parameter to optimise");
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!split.decay.empty()) {
    groups.emplace_back(std::move(split.decay),
                        std::make_unique<torch::optim::AdamWOptions>(options(config.weight_decay)));
  }
  if (!split.exempt.empty()) {
    groups.emplace_back(std::move(split.exempt),
                        std::make_unique<torch::optim::AdamWOptions>(options(0.0)));
  }
  return std::make_unique<torch::optim::AdamW>(std::move(groups), options(config.weight_decay));
}

}  // namespace sf::training
