// The training loop every task plugs its model into. The task supplies what is specific to
// it as callbacks (one micro-batch forward pass returning the loss; an evaluation returning
// named metrics); the loop does the rest: gradient accumulation, clipping, learning-rate
// schedule, evaluation cadence, early stopping, checkpoints and --resume, logs, progress.
//
//   sf::training::TrainLoopOptions options = *sf::training::TrainLoopOptionsFromFlags();
//   options.config = model_config_json;  // saved in checkpoints, checked on --resume
//   sf::training::LrSchedule schedule(...);
//   sf::training::TrainCallbacks callbacks;
//   callbacks.train_step = [&](sf::training::TrainContext& ctx) {
//     Batch b = train_data.Sample(ctx.rng);            // data order from the loop's RNG
//     at::Tensor logits = model->forward(b.x.to(ctx.device));
//     return sf::training::StepOutput{criterion(logits, b.y.to(ctx.device)), b.size()};
//   };
//   callbacks.evaluate = [&](sf::training::EvalContext& ctx) {  // model.eval(), no grad
//     return sf::training::Metrics{{"loss", valid_loss}, {"accuracy", acc}};
//   };
//   absl::StatusOr<sf::training::TrainResult> result =
//       sf::training::RunTrainLoop(*model, *optimizer, &schedule, options, callbacks);
//
// One step = grad_accum_steps calls of train_step, each backpropagating loss /
// grad_accum_steps (so a step equals one step on the concatenated batch when losses are
// means), then clipping, lr(step), optimizer.step().
//
// Reproducibility: with the same seed, thread count and data, two runs produce bitwise the
// same losses. Seed LibTorch (sf::runtime::ConfigureRuntime) before building the model; the
// loop seeds `TrainContext::rng` from options.seed. Kill-and-resume: a run resumed from its
// checkpoint at step k reaches the same parameters as an uninterrupted run, because the
// checkpoint holds the model, optimizer, both generators, the early-stopping state and the
// step, and the schedule is a function of the step. Data pipelines must draw their order from
// ctx.rng (or derive it from ctx.step) for this to hold.
//
// Data parallel (options.distributed, see training/distributed.h): every rank runs this loop
// on its own shard of each batch (train_step shards by ctx.rank / ctx.world_size). The loop
// broadcasts rank 0's parameters and buffers at the start, averages the gradients over the
// ranks during the backward pass of each update, and keeps the ranks in step: losses, example
// counts and a stop request (signal, non-finite loss) are summed over the ranks after every
// update, so every rank stops at the same update. Only rank 0 evaluates, writes checkpoints,
// logs and shows progress; after an evaluation or checkpoint it tells the others whether the
// run goes on. Resuming needs the checkpoint directory visible to every rank. A rank that dies
// or hangs makes the others return an error within the group's timeout.
//
// Files: <checkpoint_dir>/ckpt-<step>.sfckpt (the newest keep_last_checkpoints kept),
// <checkpoint_dir>/best.sfckpt (best evaluation, when early stopping is configured);
// <run_dir>/metrics.jsonl, events.out.tfevents.*, final_metrics.json.
#ifndef SCRATCHFORMER_TRAINING_TRAIN_LOOP_H_
#define SCRATCHFORMER_TRAINING_TRAIN_LOOP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "training/distributed.h"
#include "training/early_stopping.h"
#include "training/lr_schedule.h"

namespace torch::nn {
class Module;
}  // namespace torch::nn
namespace torch::optim {
class Optimizer;
}  // namespace torch::optim

namespace sf::training {

using Metrics = std::map<std::string, double>;

struct TrainContext {
  int64_t step;            // updates done so far (0-based number of the current update)
  int micro_step;          // 0 .. grad_accum_steps - 1
  int grad_accum_steps;
  std::mt19937_64& rng;    // the loop's data-order generator, checkpointed; the same on every rank
  c10::Device device;
  int rank = 0;            // take shard `rank` of `world_size` of the batch (ShardIndices)
  int world_size = 1;
};

struct StepOutput {
  at::Tensor loss;         // scalar, mean over the micro-batch, attached to the graph
  int64_t examples = 0;    // for throughput
  int64_t tokens = 0;      // for throughput of token tasks (0 otherwise)
};

struct EvalContext {
  int64_t step;
  c10::Device device;
};

// What the loop reports after every update.
struct StepReport {
  int64_t step;            // updates done, 1-based
  double loss;             // mean over the micro-batches of this update
  double lr;
  double grad_norm;        // L2 norm before clipping; NaN when neither clipping nor logging
  int64_t examples = 0;    // in this update, over all ranks
  int64_t tokens = 0;
};

struct TrainCallbacks {
  std::function<StepOutput(TrainContext&)> train_step;  // required
  std::function<Metrics(EvalContext&)> evaluate;        // optional; rank 0 only
  std::function<void(const StepReport&)> on_step;      // optional; every rank
};

struct TrainLoopOptions {
  int64_t max_steps = 1000;
  int grad_accum_steps = 1;
  // Clip the global L2 gradient norm to this; 0 disables.
  double clip_grad_norm = 0.0;
  // Evaluate every N updates (0: never periodically) and after the last one.
  int64_t eval_every = 0;
  bool eval_at_end = true;
  // Log train metrics (JSON lines, TensorBoard) every N updates.
  int64_t log_every = 10;
  // Periodic checkpoints every N updates (0: none), plus one when the run stops for any
  // reason; only with a checkpoint_dir.
  int64_t checkpoint_every = 0;
  std::string checkpoint_dir;
  int keep_last_checkpoints = 3;
  // Continue from the newest readable checkpoint in checkpoint_dir (fresh start when none).
  bool resume = false;
  // Configuration keys that may change across a resume (e.g. "max_steps").
  std::vector<std::string> config_keys_allowed_to_differ;
  std::string run_dir;  // metrics files; empty: none
  std::optional<EarlyStoppingOptions> early_stopping;
  // After the run, load the weights of best.sfckpt into the model (needs early_stopping and
  // checkpoint_dir).
  bool restore_best_at_end = false;
  uint64_t seed = 0;
  c10::Device device = c10::Device(c10::kCPU);
  // A NaN or infinite loss aborts the run (with an error) instead of poisoning the weights.
  bool stop_on_nonfinite_loss = true;
  // While the loop runs, SIGINT and SIGTERM finish the current update, checkpoint and stop.
  bool handle_signals = false;
  bool show_progress = true;
  std::string progress_unit = "ex";  // "tok" for token tasks
  // Saved in every checkpoint; on resume the checkpoint's must match.
  nlohmann::json config = nlohmann::json::object();
  std::string tokenizer;  // opaque, saved in checkpoints
  // Data-parallel group (not owned); null: a single process.
  DistributedGroup* distributed = nullptr;
};

enum class StopReason { kMaxSteps, kEarlyStopping, kSignal };
std::string StopReasonName(StopReason reason);

struct TrainResult {
  int64_t steps = 0;
  StopReason stop_reason = StopReason::kMaxSteps;
  int64_t resumed_from_step = -1;  // -1: fresh start
  double last_train_loss = 0.0;    // mean over the last logging window
  Metrics last_eval;
  std::optional<double> best_metric;
  int64_t best_step = -1;
  double seconds = 0.0;
  double examples_per_second = 0.0;
  double tokens_per_second = 0.0;
  nlohmann::json ToJson() const;
};

// InvalidArgument for bad options (naming them); errors from checkpoints and files; Aborted
// when the loss turns non-finite; Unavailable when a peer rank fails or times out,
// FailedPrecondition when the ranks' models or resumed steps differ. The model stays in train
// mode afterwards.
absl::StatusOr<TrainResult> RunTrainLoop(torch::nn::Module& model,
                                         torch::optim::Optimizer& optimizer,
                                         const LrSchedule* schedule,
                                         const TrainLoopOptions& options,
                                         const TrainCallbacks& callbacks);

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_TRAIN_LOOP_H_
