#include "training/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include <c10/util/Exception.h>
#include <torch/optim/optimizer.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sf::training {

absl::StatusOr<LrDecay> ParseLrDecay(const std::string& name) {
  if (name == "constant") return LrDecay::kConstant;
  if (name == "cosine") return LrDecay::kCosine;
  if (name == "linear") return LrDecay::kLinear;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown learning-rate decay '", name, "': use constant, cosine or linear"));
}

std::string LrDecayName(LrDecay decay) {
  switch (decay) {
    case LrDecay::kConstant:
      return "constant";
    case LrDecay::kCosine:
      return "cosine";
    case LrDecay::kLinear:
      return "linear";
  }
  return "unknown";
}

LrSchedule::LrSchedule(const LrScheduleOptions& options) : options_(options) {
  TORCH_CHECK(options.peak_lr >= 0, "peak_lr must be >= 0, got ", options.peak_lr);
  TORCH_CHECK(options.warmup_steps >= 0, "warmup_steps must be >= 0, got ",
              options.warmup_steps);
  TORCH_CHECK(options.min_lr_ratio >= 0 && options.min_lr_ratio <= 1,
              "min_lr_ratio must be in [0, 1], got ", options.min_lr_ratio);
  TORCH_CHECK(options.decay == LrDecay::kConstant || options.total_steps > options.warmup_steps,
              "a ", LrDecayName(options.decay), " schedule needs total_steps (",
              options.total_steps, ") > warmup_steps (", options.warmup_steps, ")");
}

double LrSchedule::LearningRate(int64_t step) const {
  TORCH_CHECK(step >= 0, "step must be >= 0, got ", step);
  const double peak = options_.peak_lr;
  if (step < options_.warmup_steps) {
    return peak * static_cast<double>(step + 1) / static_cast<double>(options_.warmup_steps);
  }
  if (options_.decay == LrDecay::kConstant) return peak;
  const double floor = peak * options_.min_lr_ratio;
  if (step >= options_.total_steps) return floor;
  const double progress = static_cast<double>(step - options_.warmup_steps) /
                          static_cast<double>(options_.total_steps - options_.warmup_steps);
  if (options_.decay == LrDecay::kLinear) return peak - (peak - floor) * progress;
  return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

double LrSchedule::Apply(torch::optim::Optimizer& optimizer, int64_t step) const {
  const double lr = LearningRate(step);
  for (torch::optim::OptimizerParamGroup& group : optimizer.param_groups()) {
    group.options().set_lr(lr);
  }
  return lr;
}

}  // namespace sf::training
