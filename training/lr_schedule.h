// Learning-rate schedules: optional linear warm-up, then constant, cosine or linear decay to
// a floor. lr(step) is a pure function of the step, so a resumed run continues the schedule
// exactly where it stopped without saving any scheduler state.
//
//   sf::training::LrSchedule schedule({.peak_lr = 3e-4, .warmup_steps = 100,
//                                      .total_steps = 5000,
//                                      .decay = sf::training::LrDecay::kCosine,
//                                      .min_lr_ratio = 0.1});
//   for (int64_t step = 0; step < 5000; ++step) {
//     schedule.Apply(optimizer, step);  // every parameter group gets lr(step)
//     ...backward...
//     optimizer.step();
//   }
//
// `step` counts the optimizer updates already done: the update numbered `step` (0-based) uses
// lr(step). Warm-up ramps (step + 1) / warmup_steps * peak, so the first update does not waste
// a zero learning rate and the peak is reached at step warmup_steps - 1. Decay then runs over
// [warmup_steps, total_steps) from the peak down to min_lr_ratio * peak, which is held after.
#ifndef SCRATCHFORMER_TRAINING_LR_SCHEDULE_H_
#define SCRATCHFORMER_TRAINING_LR_SCHEDULE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace torch::optim {
class Optimizer;
}  // namespace torch::optim

namespace sf::training {

enum class LrDecay { kConstant, kCosine, kLinear };

// "constant", "cosine", "linear"; InvalidArgument naming `name` otherwise.
absl::StatusOr<LrDecay> ParseLrDecay(const std::string& name);
std::string LrDecayName(LrDecay decay);

struct LrScheduleOptions {
  double peak_lr = 1e-3;
  int64_t warmup_steps = 0;
  // End of the decay; needed (> warmup_steps) unless decay is kConstant.
  int64_t total_steps = 0;
  LrDecay decay = LrDecay::kCosine;
  // The floor, as a fraction of peak_lr.
  double min_lr_ratio = 0.0;
};

class LrSchedule {
 public:
  // TORCH_CHECKs the options (peak_lr >= 0, warmup_steps >= 0, min_lr_ratio in [0, 1],
  // total_steps > warmup_steps for a decaying schedule).
  explicit LrSchedule(const LrScheduleOptions& options);

  // The learning rate of update number `step` (>= 0).
  double LearningRate(int64_t step) const;

  // Sets every parameter group's learning rate to LearningRate(step) and returns it.
  double Apply(torch::optim::Optimizer& optimizer, int64_t step) const;

  const LrScheduleOptions& options() const { return options_; }

 private:
  LrScheduleOptions options_;
};

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_LR_SCHEDULE_H_
