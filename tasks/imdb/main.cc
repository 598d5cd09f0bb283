// IMDB sentiment classification: trains the classifier of classifier.h on the aclImdb reviews
// and reports validation (and test) accuracy, precision, recall and F1; or, with --predict,
// classifies texts with a saved checkpoint.
//
//   bazel run //tasks:imdb -- --data_dir=../shared/data/aclImdb --threads=2
//   bazel run //tasks:imdb -- --checkpoint=runs/imdb/checkpoints/best.sfckpt
//       --predict="A touching, beautifully acted film."
//   cat reviews.txt | bazel-bin/tasks/imdb/imdb --predict=- --checkpoint=...
//
// Without --data_dir the reviews come from the download cache (downloaded and verified on first
// use; see //tools/download).
//
// Data parallel over two local processes (see training/distributed_flags.h for the flags):
//   tools/launch/launch.sh --nproc=2 -- bazel-bin/tasks/imdb/imdb --threads=1
//       --data_dir=../shared/data/aclImdb
#include <iostream>
#include <string>

#include <c10/util/Exception.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "attention/multi_head_attention.h"
#include "runtime/environment.h"
#include "runtime/paths.h"
#include "tasks/imdb/inference.h"
#include "tasks/imdb/trainer.h"
#include "tools/download/dataset_cache.h"
#include "tools/download/datasets.h"
#include "training/distributed.h"
#include "training/distributed_flags.h"

namespace {

const sf::tasks::imdb::ImdbTrainConfig kDefaults;

}  // namespace

ABSL_FLAG(std::string, data_dir, "",
          "An aclImdb folder (train/{pos,neg}, optionally test/{pos,neg}); empty: the download "
          "cache.");
ABSL_FLAG(std::string, out_dir, "runs/imdb",
          "Run folder: checkpoints/best.sfckpt, metrics.json, metrics.csv, metrics.svg, logs.");
ABSL_FLAG(int64_t, d_model, kDefaults.d_model, "Model width.");
ABSL_FLAG(int64_t, heads, kDefaults.heads, "Attention heads per layer.");
ABSL_FLAG(int64_t, layers, kDefaults.layers, "Encoder layers.");
ABSL_FLAG(int64_t, d_ff, kDefaults.d_ff, "Feed-forward hidden width.");
ABSL_FLAG(double, dropout, kDefaults.dropout, "Dropout inside the layers and before the head.");
ABSL_FLAG(double, embedding_dropout, kDefaults.embedding_dropout, "Dropout on the embeddings.");
ABSL_FLAG(std::string, pooling, "mean", "mean (of the real tokens) or cls (a leading <cls>).");
ABSL_FLAG(std::string, backend, "fused",
          "Attention backend: fused (packed varlen kernel, no padding computed), reference or "
          "libtorch (padded length-bucketed batches).");
ABSL_FLAG(int64_t, max_length, kDefaults.max_length,
          "Tokens kept per review (head and tail of longer ones).");
ABSL_FLAG(int64_t, head_tokens, kDefaults.head_tokens,
          "Of max_length, tokens from the start of a long review; -1: max_length / 4.");
ABSL_FLAG(int64_t, vocab_size, kDefaults.vocab_size, "Largest vocabulary, specials included.");
ABSL_FLAG(int64_t, min_freq, kDefaults.min_freq, "Words seen fewer times become <unk>.");
ABSL_FLAG(int64_t, batch_size, kDefaults.batch_size,
          "Reviews per update, over all processes: with --world_size=N each process takes "
          "batch_size / N of every batch.");
ABSL_FLAG(int64_t, epochs, kDefaults.epochs, "Passes over the training reviews.");
ABSL_FLAG(double, lr, kDefaults.lr, "Peak AdamW learning rate (linear warm-up and decay).");
ABSL_FLAG(double, warmup_fraction, kDefaults.warmup_fraction, "Warm-up, as a fraction of updates.");
ABSL_FLAG(double, weight_decay, kDefaults.weight_decay, "AdamW weight decay.");
ABSL_FLAG(int64_t, max_steps, 0, "Stop after this many updates (0: all epochs); for timing.");
ABSL_FLAG(double, validation_fraction, kDefaults.validation_fraction,
          "Share of train/ held out for validation.");
ABSL_FLAG(std::string, predict, "",
          "Classify this text with --checkpoint instead of training; '-' reads one text per "
          "line from stdin.");
ABSL_FLAG(std::string, checkpoint, "",
          "Checkpoint for --predict; empty: <out_dir>/checkpoints/best.sfckpt.");

namespace {

using sf::tasks::imdb::ImdbModel;
using sf::tasks::imdb::SentimentPrediction;

int Fail(const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return 1;
}

// The cache's errors carry a multi-line manual; the binary says it in one line.
absl::StatusOr<std::string> FindData() {
  const std::string flag = absl::GetFlag(FLAGS_data_dir);
  const sf::download::DatasetSpec& spec = sf::download::ImdbSpec();
  absl::StatusOr<std::string> dir = sf::download::ResolveDataDir(flag, spec, {"train/pos", "train/neg"});
  if (dir.ok() || !flag.empty()) return dir;
  const std::string reason(
      static_cast<std::vector<std::string>>(absl::StrSplit(dir.status().message(), '\n'))
          .front());
  return absl::Status(
      dir.status().code(),
      absl::StrCat("the IMDB reviews are not available (", reason, "); fetch ",
                   spec.urls.front(), ", extract it and pass --data_dir=<folder>/aclImdb"));
}

// Whether --predict is on the command line at all: "--predict=" asks to classify an empty
// text, which is an error, not a request to train.
bool PredictFlagGiven(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") break;
    for (const absl::string_view name : {"--predict", "-predict"}) {
      if (arg == name || absl::StartsWith(arg, absl::StrCat(name, "="))) return true;
    }
  }
  return false;
}

int RunPredict(const std::string& text) {
  if (text.empty()) {
    return Fail(absl::InvalidArgumentError(
        "--predict is empty: give the text to classify, or '-' to read one text per line from "
        "stdin"));
  }
  std::string checkpoint = absl::GetFlag(FLAGS_checkpoint);
  checkpoint = checkpoint.empty()
                   ? sf::runtime::ResolveUserPath(absl::GetFlag(FLAGS_out_dir)) +
                         "/checkpoints/best.sfckpt"
                   : sf::runtime::ResolveUserPath(checkpoint);
  absl::StatusOr<ImdbModel> model = sf::tasks::imdb::LoadImdbModel(checkpoint);
  if (!model.ok()) return Fail(model.status());
  auto classify = [&](const std::string& line) -> absl::Status {
    absl::StatusOr<SentimentPrediction> p = sf::tasks::imdb::Predict(*model, line);
    if (!p.ok()) return p.status();
    std::cout << absl::StrFormat("%s\t%.4f\n", sf::tasks::imdb::LabelName(p->label),
                                 p->probability);
    return absl::OkStatus();
  };
  if (text != "-") {
    absl::Status s = classify(text);
    return s.ok() ? 0 : Fail(s);
  }
  int failures = 0;
  std::string line;
  for (int64_t number = 1; std::getline(std::cin, line); ++number) {
    if (absl::Status s = classify(line); !s.ok()) {
      std::cout << "error\t-\n";
      std::cerr << "error: line " << number << ": " << s.message() << "\n";
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

absl::StatusOr<sf::tasks::imdb::ImdbTrainConfig> ConfigFromFlags(const std::string& data_dir) {
  sf::tasks::imdb::ImdbTrainConfig config;
  config.data_dir = data_dir;
  config.out_dir = sf::runtime::ResolveUserPath(absl::GetFlag(FLAGS_out_dir));
  config.d_model = absl::GetFlag(FLAGS_d_model);
  config.heads = absl::GetFlag(FLAGS_heads);
  config.layers = absl::GetFlag(FLAGS_layers);
  config.d_ff = absl::GetFlag(FLAGS_d_ff);
  config.dropout = absl::GetFlag(FLAGS_dropout);
  config.embedding_dropout = absl::GetFlag(FLAGS_embedding_dropout);
  absl::StatusOr<sf::tasks::imdb::Pooling> pooling =
      sf::tasks::imdb::ParsePooling(absl::GetFlag(FLAGS_pooling));
  if (!pooling.ok()) return pooling.status();
  config.pooling = *pooling;
  try {
    config.backend = sf::attention::ParseAttentionBackend(absl::GetFlag(FLAGS_backend));
  } catch (const c10::Error&) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--backend=", absl::GetFlag(FLAGS_backend), ": expected fused, reference or libtorch"));
  }
  config.max_length = absl::GetFlag(FLAGS_max_length);
  config.head_tokens = absl::GetFlag(FLAGS_head_tokens);
  config.vocab_size = absl::GetFlag(FLAGS_vocab_size);
  config.min_freq = absl::GetFlag(FLAGS_min_freq);
  config.batch_size = absl::GetFlag(FLAGS_batch_size);
  config.epochs = absl::GetFlag(FLAGS_epochs);
  config.lr = absl::GetFlag(FLAGS_lr);
  config.warmup_fraction = absl::GetFlag(FLAGS_warmup_fraction);
  config.weight_decay = absl::GetFlag(FLAGS_weight_decay);
  config.max_steps = absl::GetFlag(FLAGS_max_steps);
  config.validation_fraction = absl::GetFlag(FLAGS_validation_fraction);
  const sf::runtime::RuntimeOptions runtime = sf::runtime::RuntimeOptionsFromFlags();
  config.seed = runtime.seed;
  config.threads = runtime.threads;
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Trains a Transformer sentiment classifier on IMDB, or classifies text with --predict.");
  absl::ParseCommandLine(argc, argv);
  if (absl::Status s = sf::runtime::ConfigureRuntime(sf::runtime::RuntimeOptionsFromFlags());
      !s.ok()) {
    return Fail(s);
  }
  try {
    const std::string predict = absl::GetFlag(FLAGS_predict);
    if (!predict.empty() || PredictFlagGiven(argc, argv)) {
      std::cerr << sf::runtime::RuntimeBanner() << "\n";
      return RunPredict(predict);
    }
    absl::StatusOr<sf::training::DistributedOptions> distributed_options =
        sf::training::DistributedOptionsFromFlags();
    if (!distributed_options.ok()) return Fail(distributed_options.status());
    const bool is_main = distributed_options->rank == 0;
    if (is_main) std::cerr << sf::runtime::RuntimeBanner() << "\n";

    // Flags are checked before the data is looked for (which may download 80 MB).
    const std::string data_flag = absl::GetFlag(FLAGS_data_dir);
    absl::StatusOr<sf::tasks::imdb::ImdbTrainConfig> config =
        ConfigFromFlags(data_flag.empty() ? "the download cache" : data_flag);
    if (!config.ok()) return Fail(config.status());
    if (absl::Status s = sf::tasks::imdb::ValidateConfig(*config); !s.ok()) return Fail(s);
    if (absl::StatusOr<int64_t> per_rank = sf::training::PerRankBatchSize(
            config->batch_size, distributed_options->world_size);
        !per_rank.ok()) {
      return Fail(per_rank.status());
    }
    absl::StatusOr<std::unique_ptr<sf::training::DistributedGroup>> group =
        sf::training::DistributedGroup::Join(*distributed_options);
    if (!group.ok()) return Fail(group.status());
    // Rank 0 looks for the data first, so that only one process downloads it.
    absl::StatusOr<std::string> data_dir =
        is_main ? FindData() : absl::StatusOr<std::string>(std::string());
    if (*group != nullptr) {
      if (absl::Status s = (*group)->Barrier(); !s.ok()) return Fail(s);
    }
    if (!is_main) data_dir = FindData();
    if (!data_dir.ok()) return Fail(data_dir.status());
    config->data_dir = *data_dir;
    absl::StatusOr<sf::tasks::imdb::ImdbTrainResult> result =
        sf::tasks::imdb::TrainImdb(*config, std::cerr, group->get());
    if (!result.ok()) return Fail(result.status());
    if (!is_main) return 0;
    std::cout << absl::StrFormat("best validation accuracy %.2f%% (epoch %d)",
                                 100.0 * result->best_validation_accuracy, result->best_epoch);
    if (result->test) {
      std::cout << absl::StrFormat(", test accuracy %.2f%% F1 %.4f",
                                   100.0 * result->test->accuracy, result->test->f1);
    }
    std::cout << absl::StrFormat("; checkpoint %s; metrics %s\n", result->best_checkpoint,
                                 result->metrics_json);
    return 0;
  } catch (const c10::Error& e) {
    std::cerr << "error: " << e.what_without_backtrace() << "\n";
    return 1;
  }
}
