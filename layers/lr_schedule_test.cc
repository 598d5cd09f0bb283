#include "layers/lr_schedule.h"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include "gtest/gtest.h"

namespace sf::layers {
namespace {

TEST(NoamLearningRateTest, FollowsThePaperFormula) {
  // d_model 512, warm-up 4000: the paper's base model.
  const double scale = 1.0 / std::sqrt(512.0);
  EXPECT_DOUBLE_EQ(NoamLearningRate(1, 512, 4000), scale * std::pow(4000.0, -1.5));
  EXPECT_DOUBLE_EQ(NoamLearningRate(4000, 512, 4000), scale / std::sqrt(4000.0));
  EXPECT_DOUBLE_EQ(NoamLearningRate(16000, 512, 4000), scale / std::sqrt(16000.0));
  EXPECT_DOUBLE_EQ(NoamLearningRate(100, 512, 4000, 2.0), 2 * scale * 100 * std::pow(4000.0, -1.5));
  // The peak is about 7e-4 for the base model.
  EXPECT_NEAR(NoamLearningRate(4000, 512, 4000), 6.988e-4, 1e-6);
}

TEST(NoamLearningRateTest, RisesLinearlyThenDecays) {
  for (int64_t s = 1; s < 100; ++s) {
    EXPECT_LT(NoamLearningRate(s, 64, 100), NoamLearningRate(s + 1, 64, 100)) << s;
  }
  for (int64_t s = 1; s <= 50; ++s) {
    EXPECT_NEAR(NoamLearningRate(2 * s, 64, 100), 2 * NoamLearningRate(s, 64, 100), 1e-15) << s;
  }
  for (int64_t s = 100; s < 1000; ++s) {
    EXPECT_GT(NoamLearningRate(s, 64, 100), NoamLearningRate(s + 1, 64, 100)) << s;
  }
}

TEST(NoamLearningRateTest, RejectsBadArguments) {
  EXPECT_THROW(NoamLearningRate(0, 512, 4000), c10::Error);
  EXPECT_THROW(NoamLearningRate(1, 0, 4000), c10::Error);
  EXPECT_THROW(NoamLearningRate(1, 512, 0), c10::Error);
  EXPECT_THROW(NoamLearningRate(1, 512, 10, -1.0), c10::Error);
}

TEST(NoamSchedulerTest, SetsEveryGroupStepByStep) {
  at::Tensor a = at::zeros({2}).requires_grad_();
  at::Tensor b = at::zeros({3}).requires_grad_();
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<at::Tensor>{a});
  groups.emplace_back(std::vector<at::Tensor>{b});
  torch::optim::SGD sgd(groups, torch::optim::SGDOptions(123.0));
  NoamScheduler schedule(sgd, 16, 10, 0.5);
  for (int64_t step = 1; step <= 30; ++step) {
    EXPECT_EQ(schedule.current_step(), step);
    EXPECT_DOUBLE_EQ(schedule.current_learning_rate(), NoamLearningRate(step, 16, 10, 0.5));
    for (auto& group : sgd.param_groups()) {
      EXPECT_DOUBLE_EQ(group.options().get_lr(), NoamLearningRate(step, 16, 10, 0.5)) << step;
    }
    schedule.step();
  }
  schedule.ResumeAt(1000);
  EXPECT_EQ(schedule.current_step(), 1000);
  EXPECT_DOUBLE_EQ(sgd.param_groups()[1].options().get_lr(), NoamLearningRate(1000, 16, 10, 0.5));
}

TEST(NoamSchedulerTest, DrivesAdamDownALoss) {
  at::manual_seed(0);
  torch::nn::Linear model(8, 1);
  at::Tensor x = at::randn({128, 8});
  at::Tensor y = at::matmul(x, at::randn({8, 1}));
  torch::optim::Adam adam(model->parameters(),
                          torch::optim::AdamOptions(1.0).betas({0.9, 0.98}).eps(1e-9));
  NoamScheduler schedule(adam, /*d_model=*/8, /*warmup_steps=*/20, /*factor=*/2.0);
  auto loss = [&] { return (model(x) - y).pow(2).mean(); };
  double first = loss().item<double>();
  for (int step = 0; step < 100; ++step) {
    adam.zero_grad();
    loss().backward();
    adam.step();
    schedule.step();
  }
  EXPECT_LT(loss().item<double>(), 0.05 * first);
}

}  // namespace
}  // namespace sf::layers
