#include "training/train_flags.h"

#include <cmath>
#include <limits>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/environment.h"
#include "runtime/paths.h"
#include "training/device.h"
#include "training/early_stopping.h"

ABSL_FLAG(int64_t, steps, 1000, "Optimizer updates to train for.");
ABSL_FLAG(double, lr, 1e-3, "Peak learning rate.");
ABSL_FLAG(int64_t, warmup_steps, 0, "Updates of linear learning-rate warm-up.");
ABSL_FLAG(std::string, lr_decay, "cosine",
          "Learning-rate decay after warm-up: cosine, linear or constant.");
ABSL_FLAG(double, min_lr_ratio, 0.1, "Final learning rate as a fraction of --lr.");
ABSL_FLAG(double, weight_decay, 0.01,
          "AdamW decoupled weight decay (biases, norms and embeddings are exempt).");
ABSL_FLAG(int, grad_accum, 1, "Micro-batches accumulated per optimizer update.");
ABSL_FLAG(double, clip_grad_norm, 1.0, "Clip the global gradient L2 norm to this; 0: off.");
ABSL_FLAG(int64_t, eval_every, 0, "Evaluate every N updates (0: only at the end).");
ABSL_FLAG(int64_t, log_every, 50, "Log training metrics every N updates.");
ABSL_FLAG(int64_t, checkpoint_every, 0,
          "Checkpoint every N updates (0: only when the run stops); needs --checkpoint_dir.");
ABSL_FLAG(std::string, checkpoint_dir, "", "Directory of checkpoints; empty: none.");
ABSL_FLAG(int, keep_checkpoints, 3, "Periodic checkpoints kept (the newest).");
ABSL_FLAG(bool, resume, false, "Continue from the newest checkpoint in --checkpoint_dir.");
ABSL_FLAG(std::string, run_dir, "",
          "Directory for metrics.jsonl, TensorBoard events and final_metrics.json.");
ABSL_FLAG(std::string, early_stopping_metric, "",
          "Evaluation metric watched for early stopping (e.g. loss); empty: off.");
ABSL_FLAG(std::string, early_stopping_mode, "min", "min or max: which way is better.");
ABSL_FLAG(int, patience, 5, "Evaluations without improvement before stopping early.");
ABSL_FLAG(double, min_delta, 0.0, "Smallest change that counts as an improvement.");
ABSL_FLAG(bool, restore_best, false,
          "At the end, load the weights of the best evaluation (with early stopping).");

namespace sf::training {
namespace {

template <typename T>
absl::Status AtLeast(const char* flag, T value, T minimum) {
  if (value >= minimum) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, " must be at least ", minimum, ", got ", value));
}

// The optimizers keep their hyper-parameters as float: a value beyond float's range (or inf
// or NaN) would abort in the conversion or train on nothing but NaN.
absl::Status FloatRange(const char* flag, double value) {
  if (std::isfinite(value) && std::abs(value) <= std::numeric_limits<float>::max()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, " must be a finite number within float range, got ", value));
}

}  // namespace

absl::StatusOr<TrainLoopOptions> TrainLoopOptionsFromFlags() {
  TrainLoopOptions o;
  o.max_steps = absl::GetFlag(FLAGS_steps);
  o.grad_accum_steps = absl::GetFlag(FLAGS_grad_accum);
  o.clip_grad_norm = absl::GetFlag(FLAGS_clip_grad_norm);
  o.eval_every = absl::GetFlag(FLAGS_eval_every);
  o.log_every = absl::GetFlag(FLAGS_log_every);
  o.checkpoint_every = absl::GetFlag(FLAGS_checkpoint_every);
  o.keep_last_checkpoints = absl::GetFlag(FLAGS_keep_checkpoints);
  for (absl::Status s : {AtLeast<int64_t>("steps", o.max_steps, 1),
                         AtLeast<int64_t>("grad_accum", o.grad_accum_steps, 1),
                         AtLeast<double>("clip_grad_norm", o.clip_grad_norm, 0.0),
                         AtLeast<int64_t>("eval_every", o.eval_every, 0),
                         AtLeast<int64_t>("log_every", o.log_every, 1),
                         AtLeast<int64_t>("checkpoint_every", o.checkpoint_every, 0),
                         AtLeast<int64_t>("keep_checkpoints", o.keep_last_checkpoints, 1)}) {
    if (!s.ok()) return s;
  }
  const std::string checkpoint_dir = absl::GetFlag(FLAGS_checkpoint_dir);
  o.checkpoint_dir = checkpoint_dir.empty() ? "" : runtime::ResolveUserPath(checkpoint_dir);
  const std::string run_dir = absl::GetFlag(FLAGS_run_dir);
  o.run_dir = run_dir.empty() ? "" : runtime::ResolveUserPath(run_dir);
  // Without --checkpoint_dir the task picks its own folder (e.g. <out_dir>/checkpoints) after
  // this; RunTrainLoop refuses to resume or restore without one.
  o.resume = absl::GetFlag(FLAGS_resume);
  const std::string metric = absl::GetFlag(FLAGS_early_stopping_metric);
  if (!metric.empty()) {
    absl::StatusOr<MetricMode> mode = ParseMetricMode(absl::GetFlag(FLAGS_early_stopping_mode));
    if (!mode.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--early_stopping_mode: ", mode.status().message()));
    }
    const int patience = absl::GetFlag(FLAGS_patience);
    const double min_delta = absl::GetFlag(FLAGS_min_delta);
    absl::Status s = AtLeast("patience", patience, 0);
    if (s.ok()) s = AtLeast("min_delta", min_delta, 0.0);
    if (!s.ok()) return s;
    o.early_stopping =
        EarlyStoppingOptions{.metric = metric, .mode = *mode, .patience = patience,
                             .min_delta = min_delta};
  }
  o.restore_best_at_end = absl::GetFlag(FLAGS_restore_best);
  if (o.restore_best_at_end && metric.empty()) {
    return absl::InvalidArgumentError("--restore_best needs --early_stopping_metric");
  }
  o.seed = runtime::RuntimeOptionsFromFlags().seed;
  absl::StatusOr<c10::Device> device = DeviceFromFlags();
  if (!device.ok()) return device.status();
  o.device = *device;
  o.handle_signals = true;
  return o;
}

absl::StatusOr<LrScheduleOptions> LrScheduleOptionsFromFlags() {
  absl::StatusOr<LrDecay> decay = ParseLrDecay(absl::GetFlag(FLAGS_lr_decay));
  if (!decay.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--lr_decay: ", decay.status().message()));
  }
  LrScheduleOptions o{.peak_lr = absl::GetFlag(FLAGS_lr),
                      .warmup_steps = absl::GetFlag(FLAGS_warmup_steps),
                      .total_steps = absl::GetFlag(FLAGS_steps),
                      .decay = *decay,
                      .min_lr_ratio = absl::GetFlag(FLAGS_min_lr_ratio)};
  for (absl::Status s : {FloatRange("lr", o.peak_lr), AtLeast("lr", o.peak_lr, 0.0),
                         AtLeast<int64_t>("warmup_steps", o.warmup_steps, 0),
                         AtLeast("min_lr_ratio", o.min_lr_ratio, 0.0)}) {
    if (!s.ok()) return s;
  }
  if (o.min_lr_ratio > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--min_lr_ratio must be at most 1, got ", o.min_lr_ratio));
  }
  if (o.decay != LrDecay::kConstant && o.total_steps <= o.warmup_steps) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--steps (", o.total_steps, ") must exceed --warmup_steps (", o.warmup_steps,
        ") for a ", LrDecayName(o.decay), " schedule"));
  }
  return o;
}

absl::StatusOr<AdamWConfig> AdamWConfigFromFlags() {
  AdamWConfig c;
  c.lr = absl::GetFlag(FLAGS_lr);
  c.weight_decay = absl::GetFlag(FLAGS_weight_decay);
  for (absl::Status s : {FloatRange("lr", c.lr), AtLeast("lr", c.lr, 0.0),
                         FloatRange("weight_decay", c.weight_decay),
                         AtLeast("weight_decay", c.weight_decay, 0.0)}) {
    if (!s.ok()) return s;
  }
  return c;
}

}  // namespace sf::training
