// Command-line flags for the training loop, so every task binary spells them the same way:
//
//   absl::ParseCommandLine(argc, argv);
//   absl::StatusOr<sf::training::TrainLoopOptions> options =
//       sf::training::TrainLoopOptionsFromFlags();
//   absl::StatusOr<sf::training::LrScheduleOptions> lr =
//       sf::training::LrScheduleOptionsFromFlags();
//   absl::StatusOr<sf::training::AdamWConfig> adamw = sf::training::AdamWConfigFromFlags();
//
// Flags defined here: --steps --lr --warmup_steps --lr_decay --min_lr_ratio --weight_decay
// --grad_accum --clip_grad_norm --eval_every --log_every --checkpoint_every --checkpoint_dir
// --keep_checkpoints --resume --run_dir --early_stopping_metric --early_stopping_mode
// --patience --min_delta --restore_best. Also read: --seed (//runtime:environment) and
// --device (//training:device). Relative paths are resolved as the user typed them
// (sf::runtime::ResolveUserPath), so they work under `bazel run`.
#ifndef SCRATCHFORMER_TRAINING_TRAIN_FLAGS_H_
#define SCRATCHFORMER_TRAINING_TRAIN_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "training/lr_schedule.h"
#include "training/optimizer.h"
#include "training/train_loop.h"

ABSL_DECLARE_FLAG(int64_t, steps);
ABSL_DECLARE_FLAG(double, lr);
ABSL_DECLARE_FLAG(int64_t, warmup_steps);
ABSL_DECLARE_FLAG(std::string, lr_decay);
ABSL_DECLARE_FLAG(double, min_lr_ratio);
ABSL_DECLARE_FLAG(double, weight_decay);
ABSL_DECLARE_FLAG(int, grad_accum);
ABSL_DECLARE_FLAG(double, clip_grad_norm);
ABSL_DECLARE_FLAG(int64_t, eval_every);
ABSL_DECLARE_FLAG(int64_t, log_every);
ABSL_DECLARE_FLAG(int64_t, checkpoint_every);
ABSL_DECLARE_FLAG(std::string, checkpoint_dir);
ABSL_DECLARE_FLAG(int, keep_checkpoints);
ABSL_DECLARE_FLAG(bool, resume);
ABSL_DECLARE_FLAG(std::string, run_dir);
ABSL_DECLARE_FLAG(std::string, early_stopping_metric);
ABSL_DECLARE_FLAG(std::string, early_stopping_mode);
ABSL_DECLARE_FLAG(int, patience);
ABSL_DECLARE_FLAG(double, min_delta);
ABSL_DECLARE_FLAG(bool, restore_best);

namespace sf::training {

// Loop options from the flags (handle_signals on: Ctrl-C checkpoints and stops). The task
// still sets `config` and `tokenizer`. InvalidArgument/FailedPrecondition name the flag.
absl::StatusOr<TrainLoopOptions> TrainLoopOptionsFromFlags();

// --lr, --warmup_steps, --lr_decay, --min_lr_ratio, with total_steps = --steps.
absl::StatusOr<LrScheduleOptions> LrScheduleOptionsFromFlags();

// --lr and --weight_decay; the other AdamW settings keep their defaults.
absl::StatusOr<AdamWConfig> AdamWConfigFromFlags();

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_TRAIN_FLAGS_H_
