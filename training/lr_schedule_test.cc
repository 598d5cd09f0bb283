#include "training/lr_schedule.h"

#include <cmath>

#include <c10/util/Exception.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sf::training {
namespace {

TEST(LrScheduleTest, WarmupThenCosineAtKnownSteps) {
  LrSchedule s({.peak_lr = 1.0, .warmup_steps = 4, .total_steps = 14,
                .decay = LrDecay::kCosine, .min_lr_ratio = 0.0});
  EXPECT_DOUBLE_EQ(s.LearningRate(0), 0.25);
  EXPECT_DOUBLE_EQ(s.LearningRate(1), 0.5);
  EXPECT_DOUBLE_EQ(s.LearningRate(3), 1.0);
  EXPECT_DOUBLE_EQ(s.LearningRate(4), 1.0);             // progress 0
  EXPECT_NEAR(s.LearningRate(9), 0.5, 1e-15);           // progress 1/2: cos(pi/2) = 0
  EXPECT_NEAR(s.LearningRate(6), 0.5 * (1 + std::cos(M_PI * 0.2)), 1e-15);
  EXPECT_DOUBLE_EQ(s.LearningRate(14), 0.0);
  EXPECT_DOUBLE_EQ(s.LearningRate(1000), 0.0);
}

TEST(LrScheduleTest, LinearDecayToFloor) {
  LrSchedule s({.peak_lr = 2.0, .warmup_steps = 0, .total_steps = 10,
                .decay = LrDecay::kLinear, .min_lr_ratio = 0.1});
  EXPECT_DOUBLE_EQ(s.LearningRate(0), 2.0);
  EXPECT_DOUBLE_EQ(s.LearningRate(5), 2.0 - 1.8 * 0.5);
  EXPECT_DOUBLE_EQ(s.LearningRate(9), 2.0 - 1.8 * 0.9);
  EXPECT_DOUBLE_EQ(s.LearningRate(10), 0.2);
  EXPECT_DOUBLE_EQ(s.LearningRate(50), 0.2);
}

TEST(LrScheduleTest, CosineFloorIsMinLrRatio) {
  LrSchedule s({.peak_lr = 1.0, .warmup_steps = 2, .total_steps = 12,
                .decay = LrDecay::kCosine, .min_lr_ratio = 0.1});
  EXPECT_NEAR(s.LearningRate(7), 0.1 + 0.9 * 0.5, 1e-15);
  EXPECT_DOUBLE_EQ(s.LearningRate(12), 0.1);
}

TEST(LrScheduleTest, ConstantWithAndWithoutWarmup) {
  LrSchedule flat({.peak_lr = 0.3, .decay = LrDecay::kConstant});
  EXPECT_DOUBLE_EQ(flat.LearningRate(0), 0.3);
  EXPECT_DOUBLE_EQ(flat.LearningRate(1 << 30), 0.3);
  LrSchedule warm({.peak_lr = 0.3, .warmup_steps = 3, .decay = LrDecay::kConstant});
  EXPECT_DOUBLE_EQ(warm.LearningRate(0), 0.1);
  EXPECT_DOUBLE_EQ(warm.LearningRate(2), 0.3);
  EXPECT_DOUBLE_EQ(warm.LearningRate(100), 0.3);
}

TEST(LrScheduleTest, IsMonotoneAfterWarmup) {
  LrSchedule s({.peak_lr = 1.0, .warmup_steps = 10, .total_steps = 100});
  for (int64_t step = 10; step < 110; ++step) {
    EXPECT_LE(s.LearningRate(step + 1), s.LearningRate(step)) << step;
  }
}

TEST(LrScheduleTest, ApplySetsEveryParameterGroup) {
  torch::Tensor a = torch::zeros({2}, torch::requires_grad());
  torch::Tensor b = torch::zeros({3}, torch::requires_grad());
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{a},
                      std::make_unique<torch::optim::AdamWOptions>(0.5));
  groups.emplace_back(std::vector<torch::Tensor>{b},
                      std::make_unique<torch::optim::AdamWOptions>(0.7));
  torch::optim::AdamW adamw(std::move(groups));
  LrSchedule s({.peak_lr = 1.0, .warmup_steps = 4, .total_steps = 8});
  EXPECT_DOUBLE_EQ(s.Apply(adamw, 1), 0.5);
  for (auto& group : adamw.param_groups()) EXPECT_DOUBLE_EQ(group.options().get_lr(), 0.5);

  torch::optim::SGD sgd({a}, torch::optim::SGDOptions(9.0));
  s.Apply(sgd, 3);
  EXPECT_DOUBLE_EQ(sgd.param_groups()[0].options().get_lr(), 1.0);
}

TEST(LrScheduleTest, ParsesDecayNames) {
  EXPECT_EQ(*ParseLrDecay("cosine"), LrDecay::kCosine);
  EXPECT_EQ(*ParseLrDecay("linear"), LrDecay::kLinear);
  EXPECT_EQ(*ParseLrDecay("constant"), LrDecay::kConstant);
  absl::Status bad = ParseLrDecay("exp").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.message(), "'exp'")) << bad;
  for (LrDecay d : {LrDecay::kConstant, LrDecay::kCosine, LrDecay::kLinear}) {
    EXPECT_EQ(*ParseLrDecay(LrDecayName(d)), d);
  }
}

TEST(LrScheduleTest, RejectsInconsistentOptionsNamingValues) {
  try {
    LrSchedule s({.peak_lr = 1.0, .warmup_steps = 10, .total_steps = 10});
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_TRUE(absl::StrContains(e.what(), "total_steps (10) > warmup_steps (10)")) << e.what();
  }
  EXPECT_THROW(LrSchedule({.peak_lr = -1.0, .decay = LrDecay::kConstant}), c10::Error);
  EXPECT_THROW(LrSchedule({.total_steps = 5, .min_lr_ratio = 2.0}), c10::Error);
}

}  // namespace
}  // namespace sf::training
