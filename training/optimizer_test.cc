#include "training/optimizer.h"

#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "gtest/gtest.h"

namespace sf::training {
namespace {

struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    tok_embed = register_module("tok_embed", torch::nn::Embedding(10, 4));
    proj = register_module("proj", torch::nn::Linear(4, 4));
    ln = register_module("ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({4})));
    frozen = register_parameter("frozen", torch::ones({2, 2}), /*requires_grad=*/false);
  }
  torch::nn::Embedding tok_embed{nullptr};
  torch::nn::Linear proj{nullptr};
  torch::nn::LayerNorm ln{nullptr};
  torch::Tensor frozen;
};
TORCH_MODULE(Tiny);

TEST(OptimizerTest, SplitsBiasesNormsAndEmbeddingsFromWeights) {
  Tiny model;
  ParamSplit split = SplitForWeightDecay(*model, {});
  EXPECT_EQ(split.decay_names, std::vector<std::string>({"proj.weight"}));
  EXPECT_EQ(split.exempt_names,
            std::vector<std::string>({"tok_embed.weight", "proj.bias", "ln.weight", "ln.bias"}));
  EXPECT_TRUE(split.decay[0].is_same(model->proj->weight));
}

TEST(OptimizerTest, RuleIsConfigurable) {
  Tiny model;
  ParamSplit by_dim = SplitForWeightDecay(*model, {.exempt_name_substrings = {}});
  EXPECT_EQ(by_dim.decay_names, std::vector<std::string>({"tok_embed.weight", "proj.weight"}));
  ParamSplit none = SplitForWeightDecay(*model, {.exempt_below_2d = false,
                                                 .exempt_name_substrings = {"PROJ"}});
  EXPECT_EQ(none.exempt_names, std::vector<std::string>({"proj.weight", "proj.bias"}));
}

// With zero gradients the Adam update is 0, so one step shows the decoupled decay alone:
// decayed parameters shrink by (1 - lr * weight_decay), exempt ones stay.
TEST(OptimizerTest, AdamWDecaysOnlyTheDecayGroup) {
  Tiny model;
  auto adamw = MakeAdamW(*model, {.lr = 0.1, .weight_decay = 0.5});
  ASSERT_EQ(adamw->param_groups().size(), 2u);
  auto& decay_options =
      static_cast<torch::optim::AdamWOptions&>(adamw->param_groups()[0].options());
  auto& exempt_options =
      static_cast<torch::optim::AdamWOptions&>(adamw->param_groups()[1].options());
  EXPECT_DOUBLE_EQ(decay_options.weight_decay(), 0.5);
  EXPECT_DOUBLE_EQ(exempt_options.weight_decay(), 0.0);
  EXPECT_DOUBLE_EQ(decay_options.lr(), 0.1);

  torch::Tensor w0 = model->proj->weight.detach().clone();
  torch::Tensor e0 = model->tok_embed->weight.detach().clone();
  for (auto& p : model->parameters()) {
    if (p.requires_grad()) p.mutable_grad() = torch::zeros_like(p);
  }
  adamw->step();
  EXPECT_TRUE(torch::allclose(model->proj->weight, w0 * (1 - 0.1 * 0.5)));
  EXPECT_TRUE(torch::equal(model->tok_embed->weight, e0));
}

TEST(OptimizerTest, LeavesOutEmptyGroupsAndFrozenParameters) {
  torch::nn::Linear lin(torch::nn::LinearOptions(3, 3).bias(false));
  auto adamw = MakeAdamW(*lin, {});
  ASSERT_EQ(adamw->param_groups().size(), 1u);
  EXPECT_EQ(adamw->param_groups()[0].params().size(), 1u);

  Tiny model;
  auto all = MakeAdamW(*model, {});
  size_t total = 0;
  for (auto& g : all->param_groups()) total += g.params().size();
  EXPECT_EQ(total, 5u);  // `frozen` is not optimised
}

}  // namespace
}  // namespace sf::training
