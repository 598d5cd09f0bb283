#include "layers/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include <c10/util/Exception.h>

namespace sf::layers {

double NoamLearningRate(int64_t step, int64_t d_model, int64_t warmup_steps, double factor) {
  TORCH_CHECK(step >= 1, "NoamLearningRate: step must be >= 1, got ", step);
  TORCH_CHECK(d_model >= 1, "NoamLearningRate: d_model must be >= 1, got ", d_model);
  TORCH_CHECK(warmup_steps >= 1, "NoamLearningRate: warmup_steps must be >= 1, got ", warmup_steps);
  TORCH_CHECK(factor > 0, "NoamLearningRate: factor must be positive, got ", factor);
  double s = static_cast<double>(step);
  double w = static_cast<double>(warmup_steps);
  return factor / std::sqrt(static_cast<double>(d_model)) *
         std::min(1.0 / std::sqrt(s), s / (w * std::sqrt(w)));
}

NoamScheduler::NoamScheduler(torch::optim::Optimizer& optimizer, int64_t d_model,
                             int64_t warmup_steps, double factor)
    : torch::optim::LRScheduler(optimizer),
      d_model_(d_model),
      warmup_steps_(warmup_steps),
      factor_(factor) {
  // Validates the arguments before touching the optimizer.
  NoamLearningRate(1, d_model_, warmup_steps_, factor_);
  step();
}

double NoamScheduler::current_learning_rate() const {
  return NoamLearningRate(current_step(), d_model_, warmup_steps_, factor_);
}

void NoamScheduler::ResumeAt(int64_t step_number) {
  TORCH_CHECK(step_number >= 1, "NoamScheduler::ResumeAt: step must be >= 1, got ", step_number);
  step_count_ = static_cast<unsigned>(step_number - 1);
  step();
}

std::vector<double> NoamScheduler::get_lrs() {
  // step() calls this before incrementing step_count_, which counts the steps already set.
  double rate =
      NoamLearningRate(static_cast<int64_t>(step_count_) + 1, d_model_, warmup_steps_, factor_);
  return std::vector<double>(get_current_lrs().size(), rate);
}

}  // namespace sf::layers
