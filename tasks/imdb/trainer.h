// Training and evaluation of the IMDB classifier on a folder in the aclImdb layout.
//
//   ImdbTrainConfig config;                      // the default configuration of the binary
//   config.data_dir = "/data/aclImdb";           // train/{pos,neg}, optionally test/{pos,neg}
//   config.out_dir = "/runs/imdb";
//   absl::StatusOr<ImdbTrainResult> result = TrainImdb(config, std::cerr);
//
// The validation split is carved from train (stratified, by config.seed). Each epoch ends with
// a validation pass (loss, accuracy, precision, recall and F1 of the positive class); the best
// epoch by validation accuracy is kept as <out_dir>/checkpoints/best.sfckpt (written
// atomically, with the model configuration and the tokenizer, so inference.h rebuilds the
// model from it alone) and its weights are restored at the end. When the folder has a test/
// split the restored model is scored on it. Files in out_dir:
//   metrics.json   configuration, data statistics, per-epoch and test metrics, throughput
//   metrics.csv    one row per epoch;  metrics.svg  the curves
//   metrics.jsonl, events.out.tfevents.*, final_metrics.json (the training loop's logs)
//
// Data parallel (a DistributedGroup): batch_size stays the global batch; every rank reads and
// tokenises the same data, takes its strided shard (batch_size / world size reviews) of every
// batch, and the sampler drops each pool's short final batch so the shards are equal. Only
// rank 0 logs, evaluates and writes files; the others return after training with their result
// empty but for the throughput.
#ifndef SCRATCHFORMER_TASKS_IMDB_TRAINER_H_
#define SCRATCHFORMER_TASKS_IMDB_TRAINER_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "attention/multi_head_attention.h"
#include "tasks/imdb/classifier.h"
#include "training/distributed.h"

namespace sf::tasks::imdb {

struct ImdbTrainConfig {
  std::string data_dir;  // an aclImdb folder (resolved already)
  std::string out_dir;   // created if needed

  // Model.
  int64_t d_model = 64;
  int64_t heads = 4;
  int64_t layers = 1;
  int64_t d_ff = 128;
  double dropout = 0.1;
  double embedding_dropout = 0.2;
  Pooling pooling = Pooling::kMean;
  attention::AttentionBackend backend = attention::AttentionBackend::kFused;

  // Input.
  int64_t max_length = 400;
  int64_t head_tokens = -1;  // -1: max_length / 4
  int64_t vocab_size = 30000;
  int64_t min_freq = 2;

  // Optimisation.
  int64_t batch_size = 32;
  int64_t epochs = 3;
  double lr = 2e-3;
  double warmup_fraction = 0.05;  // of all updates
  double weight_decay = 0.01;
  double clip_grad_norm = 1.0;
  // Stop after this many updates (0: all epochs); for timing runs and tests.
  int64_t max_steps = 0;

  double validation_fraction = 0.1;
  int64_t eval_batch_size = 64;
  uint64_t seed = 1;
  int threads = 1;  // tokenisation threads (LibTorch's are set by the caller)
  bool show_progress = true;
};

// sf::training's classification metrics of one split, positive class = 1.
struct ClassificationMetrics {
  double loss = 0.0;
  double accuracy = 0.0;
  double precision = 0.0;
  double recall = 0.0;
  double f1 = 0.0;
  int64_t examples = 0;
  nlohmann::json ToJson() const;
};

struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  int64_t step = 0;   // updates done
  double train_loss = 0.0;  // mean over the epoch's updates
  ClassificationMetrics validation;
  double seconds = 0.0;  // wall time since training started
};

struct ImdbTrainResult {
  std::vector<EpochMetrics> epochs;
  std::vector<double> step_losses;  // every update's training loss
  std::optional<ClassificationMetrics> test;
  int64_t best_epoch = 0;
  double best_validation_accuracy = 0.0;
  std::string best_checkpoint;
  std::string metrics_json;
  double train_examples_per_second = 0.0;  // training updates only (no evaluation), all ranks
  double seconds = 0.0;                    // everything, reading and tokenising included
};

// The model options `config` describes, for a vocabulary of `vocab_size`.
ImdbClassifierOptions ClassifierOptionsFor(const ImdbTrainConfig& config, int64_t vocab_size);

// InvalidArgument naming the first bad value.
absl::Status ValidateConfig(const ImdbTrainConfig& config);

// Errors: bad configuration, unreadable or malformed data folder (naming the path), files
// that cannot be written, a batch size the world size does not divide, a failed peer.
absl::StatusOr<ImdbTrainResult> TrainImdb(const ImdbTrainConfig& config, std::ostream& log,
                                          training::DistributedGroup* distributed = nullptr);

}  // namespace sf::tasks::imdb

#endif  // SCRATCHFORMER_TASKS_IMDB_TRAINER_H_
