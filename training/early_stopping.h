// Early stopping on a validation metric: stop when `patience` evaluations in a row brought no
// improvement of at least `min_delta` over the best value seen.
//
//   sf::training::EarlyStopping stopper({.metric = "eval/loss",
//                                        .mode = sf::training::MetricMode::kMin,
//                                        .patience = 3});
//   if (stopper.Update(eval_loss, step)) SaveBest();
//   if (stopper.ShouldStop()) break;
//
// Its state goes into checkpoints (ToJson/FromJson) so a resumed run keeps counting patience
// from where the interrupted run was. A NaN never counts as an improvement.
#ifndef SCRATCHFORMER_TRAINING_EARLY_STOPPING_H_
#define SCRATCHFORMER_TRAINING_EARLY_STOPPING_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sf::training {

enum class MetricMode { kMin, kMax };

// "min" or "max"; InvalidArgument naming `name` otherwise.
absl::StatusOr<MetricMode> ParseMetricMode(const std::string& name);
std::string MetricModeName(MetricMode mode);

struct EarlyStoppingOptions {
  // The key of the evaluation metric watched (as returned by the task's eval callback).
  std::string metric = "loss";
  MetricMode mode = MetricMode::kMin;
  // Evaluations without improvement before stopping; 0 never stops (the best is still tracked).
  int patience = 0;
  // How much better than the best a value must be to count as an improvement (>= 0).
  double min_delta = 0.0;
};

class EarlyStopping {
 public:
  explicit EarlyStopping(const EarlyStoppingOptions& options);

  // Records the evaluation at `step`; true when it is a new best.
  bool Update(double value, int64_t step);

  // True once `patience` (> 0) evaluations in a row have not improved.
  bool ShouldStop() const;

  bool has_best() const { return best_step_ >= 0; }
  double best() const { return best_; }
  int64_t best_step() const { return best_step_; }
  int evaluations_since_best() const { return evaluations_since_best_; }
  const EarlyStoppingOptions& options() const { return options_; }

  nlohmann::json ToJson() const;
  // Restores state written by ToJson(); InvalidArgument when `state` is malformed or was
  // written for another metric or mode.
  absl::Status FromJson(const nlohmann::json& state);

 private:
  EarlyStoppingOptions options_;
  double best_ = 0.0;
  int64_t best_step_ = -1;
  int evaluations_since_best_ = 0;
};

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_EARLY_STOPPING_H_
