#include "tasks/imdb/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>
#include <utility>

#include <torch/torch.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "datasets/imdb.h"
#include "tasks/imdb/imdb_data.h"
#include "tasks/imdb/report.h"
#include "tokenization/length_bucket_sampler.h"
#include "tokenization/tokenizer_io.h"
#include "training/file_io.h"
#include "training/lr_schedule.h"
#include "training/metrics.h"
#include "training/optimizer.h"
#include "training/run_log.h"
#include "training/train_loop.h"

namespace sf::tasks::imdb {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Batches of `batch_size` over the reviews sorted by length, so padded backends pad little.
std::vector<std::vector<int64_t>> EvalBatches(const EncodedReviews& reviews, int64_t batch_size) {
  std::vector<int64_t> order(reviews.size());
  std::iota(order.begin(), order.end(), 0);
  const std::vector<int64_t> lengths = reviews.Lengths();
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return lengths[a] < lengths[b]; });
  std::vector<std::vector<int64_t>> batches;
  for (size_t begin = 0; begin < order.size(); begin += batch_size) {
    const size_t end = std::min(order.size(), begin + static_cast<size_t>(batch_size));
    batches.emplace_back(order.begin() + begin, order.begin() + end);
  }
  return batches;
}

// Call in eval mode without gradients.
ClassificationMetrics Evaluate(ImdbClassifier& model, const EncodedReviews& reviews,
                               const std::vector<std::vector<int64_t>>& batches) {
  training::ConfusionMatrix confusion(2);
  double loss_sum = 0.0;
  for (const std::vector<int64_t>& indices : batches) {
    const ImdbBatch batch = MakeBatch(reviews, indices);
    const at::Tensor logits = model->forward(batch.inputs);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, batch.labels,
                    torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    confusion.UpdateFromLogits(logits, batch.labels);
  }
  ClassificationMetrics m;
  m.examples = confusion.total();
  m.loss = m.examples > 0 ? loss_sum / m.examples : NAN;
  m.accuracy = confusion.Accuracy();
  m.precision = confusion.Precision(1);
  m.recall = confusion.Recall(1);
  m.f1 = confusion.F1(1);
  return m;
}

std::string FormatMetrics(const ClassificationMetrics& m) {
  return absl::StrFormat("loss %.4f | accuracy %.2f%% | precision %.4f | recall %.4f | F1 %.4f",
                         m.loss, 100.0 * m.accuracy, m.precision, m.recall, m.f1);
}

nlohmann::json ConfigToJson(const ImdbTrainConfig& c) {
  return {{"data_dir", c.data_dir},
          {"out_dir", c.out_dir},
          {"d_model", c.d_model},
          {"heads", c.heads},
          {"layers", c.layers},
          {"d_ff", c.d_ff},
          {"dropout", c.dropout},
          {"embedding_dropout", c.embedding_dropout},
          {"pooling", PoolingName(c.pooling)},
          {"backend", attention::AttentionBackendName(c.backend)},
          {"max_length", c.max_length},
          {"head_tokens", c.head_tokens},
          {"vocab_size", c.vocab_size},
          {"min_freq", c.min_freq},
          {"batch_size", c.batch_size},
          {"epochs", c.epochs},
          {"lr", c.lr},
          {"warmup_fraction", c.warmup_fraction},
          {"weight_decay", c.weight_decay},
          {"clip_grad_norm", c.clip_grad_norm},
          {"max_steps", c.max_steps},
          {"validation_fraction", c.validation_fraction},
          {"seed", c.seed},
          {"threads", c.threads}};
}

absl::Status WriteReports(const std::string& out_dir, const ImdbTrainResult& result) {
  std::vector<std::vector<double>> rows;
  LineChart chart{.title = "IMDB sentiment: per-epoch metrics", .x_label = "epoch"};
  ChartSeries train_loss{"train loss", {}}, valid_loss{"validation loss", {}};
  ChartSeries accuracy{"validation accuracy", {}}, f1{"validation F1", {}};
  for (const EpochMetrics& e : result.epochs) {
    const ClassificationMetrics& v = e.validation;
    rows.push_back({static_cast<double>(e.epoch), static_cast<double>(e.step), e.train_loss,
                    v.loss, v.accuracy, v.precision, v.recall, v.f1, e.seconds});
    chart.x.push_back(static_cast<double>(e.epoch));
    train_loss.y.push_back(e.train_loss);
    valid_loss.y.push_back(v.loss);
    accuracy.y.push_back(v.accuracy);
    f1.y.push_back(v.f1);
  }
  chart.series = {train_loss, valid_loss, accuracy, f1};
  absl::Status s = training::WriteFileAtomically(
      out_dir + "/metrics.csv",
      CsvTable({"epoch", "step", "train_loss", "valid_loss", "valid_accuracy", "valid_precision",
                "valid_recall", "valid_f1", "seconds"},
               rows));
  if (s.ok()) s = training::WriteFileAtomically(out_dir + "/metrics.svg", LineChartSvg(chart));
  return s;
}

}  // namespace

nlohmann::json ClassificationMetrics::ToJson() const {
  return {{"loss", loss},     {"accuracy", accuracy}, {"precision", precision},
          {"recall", recall}, {"f1", f1},             {"examples", examples}};
}

ImdbClassifierOptions ClassifierOptionsFor(const ImdbTrainConfig& config, int64_t vocab_size) {
  return ImdbClassifierOptions(vocab_size)
      .d_model(config.d_model)
      .heads(config.heads)
      .layers(config.layers)
      .d_ff(config.d_ff)
      .max_length(config.max_length)
      .dropout(config.dropout)
      .embedding_dropout(config.embedding_dropout)
      .pooling(config.pooling)
      .backend(config.backend);
}

absl::Status ValidateConfig(const ImdbTrainConfig& c) {
  auto bad = [](const std::string& what) { return absl::InvalidArgumentError(what); };
  if (c.data_dir.empty()) return bad("no data folder given");
  if (c.out_dir.empty()) return bad("no output folder given");
  if (c.max_length < 2) return bad(absl::StrCat("max_length must be >= 2, got ", c.max_length));
  if (c.head_tokens < -1 || c.head_tokens > c.max_length) {
    return bad(absl::StrCat("head_tokens must be -1 or in [0, max_length=", c.max_length,
                            "], got ", c.head_tokens));
  }
  if (c.vocab_size < 8) return bad(absl::StrCat("vocab_size must be >= 8, got ", c.vocab_size));
  if (c.min_freq < 1) return bad(absl::StrCat("min_freq must be >= 1, got ", c.min_freq));
  if (c.batch_size < 1) return bad(absl::StrCat("batch_size must be >= 1, got ", c.batch_size));
  if (c.eval_batch_size < 1) {
    return bad(absl::StrCat("eval_batch_size must be >= 1, got ", c.eval_batch_size));
  }
  if (c.epochs < 1) return bad(absl::StrCat("epochs must be >= 1, got ", c.epochs));
  if (!(c.lr > 0.0)) return bad(absl::StrCat("lr must be > 0, got ", c.lr));
  if (!(c.warmup_fraction >= 0.0 && c.warmup_fraction < 1.0)) {
    return bad(absl::StrCat("warmup_fraction must be in [0, 1), got ", c.warmup_fraction));
  }
  if (c.weight_decay < 0.0) {
    return bad(absl::StrCat("weight_decay must be >= 0, got ", c.weight_decay));
  }
  if (c.max_steps < 0) return bad(absl::StrCat("max_steps must be >= 0, got ", c.max_steps));
  if (!(c.validation_fraction > 0.0 && c.validation_fraction < 1.0)) {
    return bad(absl::StrCat("validation_fraction must be in (0, 1), got ",
                            c.validation_fraction));
  }
  if (c.threads < 1) return bad(absl::StrCat("threads must be >= 1, got ", c.threads));
  return ClassifierOptionsFor(c, c.vocab_size).Validate();
}

absl::StatusOr<ImdbTrainResult> TrainImdb(const ImdbTrainConfig& config, std::ostream& main_log,
                                          training::DistributedGroup* distributed) {
  if (absl::Status s = ValidateConfig(config); !s.ok()) return s;
  const int world_size = distributed != nullptr ? distributed->world_size() : 1;
  const bool is_main = distributed == nullptr || distributed->rank() == 0;
  if (absl::StatusOr<int64_t> per_rank = training::PerRankBatchSize(config.batch_size, world_size);
      !per_rank.ok()) {
    return per_rank.status();
  }
  std::ostream discarded(nullptr);
  std::ostream& log = is_main ? main_log : discarded;
  const Clock::time_point start = Clock::now();

  absl::StatusOr<std::vector<datasets::ImdbReview>> all_train =
      datasets::ReadImdbSplit(config.data_dir, "train");
  if (!all_train.ok()) return all_train.status();
  datasets::TrainValidationSplit split =
      datasets::CarveValidation(*std::move(all_train), config.validation_fraction, config.seed);
  if (split.train.empty() || split.validation.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        config.data_dir, "/train holds too few reviews for a validation fraction of ",
        config.validation_fraction));
  }
  std::optional<std::vector<datasets::ImdbReview>> test_reviews;
  if (datasets::HasImdbSplit(config.data_dir, "test")) {
    absl::StatusOr<std::vector<datasets::ImdbReview>> test =
        datasets::ReadImdbSplit(config.data_dir, "test");
    if (!test.ok()) return test.status();
    test_reviews = *std::move(test);
  }
  log << absl::StrFormat("data: %d train, %d validation, %s test reviews from %s (%.1fs)\n",
                         split.train.size(), split.validation.size(),
                         test_reviews ? absl::StrCat(test_reviews->size()) : "no",
                         config.data_dir, SecondsSince(start));

  const Clock::time_point tokenize_start = Clock::now();
  absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> tokenizer = TrainImdbTokenizer(
      split.train, {.max_size = config.vocab_size, .min_freq = config.min_freq}, config.threads);
  if (!tokenizer.ok()) return tokenizer.status();
  const InputSettings input{
      .max_length = config.max_length,
      .head_tokens = config.head_tokens >= 0 ? config.head_tokens : config.max_length / 4,
      .add_cls = config.pooling == Pooling::kCls};
  absl::StatusOr<EncodedReviews> train = EncodeReviews(**tokenizer, split.train, input,
                                                       config.threads);
  if (!train.ok()) return train.status();
  absl::StatusOr<EncodedReviews> validation =
      EncodeReviews(**tokenizer, split.validation, input, config.threads);
  if (!validation.ok()) return validation.status();
  std::optional<EncodedReviews> test;
  if (test_reviews) {
    absl::StatusOr<EncodedReviews> encoded =
        EncodeReviews(**tokenizer, *test_reviews, input, config.threads);
    if (!encoded.ok()) return encoded.status();
    test = *std::move(encoded);
  }
  const std::vector<int64_t> lengths = train->Lengths();
  const int64_t train_tokens = std::accumulate(lengths.begin(), lengths.end(), int64_t{0});
  log << absl::StrFormat(
      "tokenizer: %d words (min_freq %d); train: %.1f tokens per review before truncation, "
      "%.1f after (max_length %d, head %d + tail %d), %.1f%% truncated (%.1fs)\n",
      (*tokenizer)->vocab_size(), config.min_freq,
      static_cast<double>(train->tokens_before_truncation) / train->size(),
      static_cast<double>(train_tokens) / train->size(), input.max_length,
      input.KeptHeadTokens(), input.max_length - input.KeptHeadTokens(),
      100.0 * train->truncated / train->size(), SecondsSince(tokenize_start));

  absl::StatusOr<tokenization::LengthBucketSampler> sampler =
      tokenization::LengthBucketSampler::Create(
          lengths, tokenization::LengthBucketSamplerOptions()
                       .BatchSize(config.batch_size)
                       .DropLast(world_size > 1)
                       .Seed(config.seed));
  if (!sampler.ok()) return sampler.status();
  const int64_t steps_per_epoch = static_cast<int64_t>(sampler->Batches(0).size());
  const double bucketed_padding = tokenization::PaddingFraction(sampler->Batches(0), lengths);
  const double random_padding = tokenization::PaddingFraction(
      tokenization::RandomBatches(train->size(), config.batch_size, config.seed, 0), lengths);
  const bool packed = config.backend == attention::AttentionBackend::kFused;
  const double padding_computed = packed ? 0.0 : bucketed_padding;
  if (packed) {
    log << absl::StrFormat(
        "padding computed: 0%% of token slots (packed varlen batches; padded length-bucketed "
        "batches would compute %.1f%%, random batches %.1f%%)\n",
        100.0 * bucketed_padding, 100.0 * random_padding);
  } else {
    log << absl::StrFormat(
        "padding computed: %.1f%% of token slots (length-bucketed batches; random batches "
        "would compute %.1f%%)\n",
        100.0 * bucketed_padding, 100.0 * random_padding);
  }

  torch::manual_seed(config.seed);
  ImdbClassifier model(ClassifierOptionsFor(config, (*tokenizer)->vocab_size()));
  log << absl::StrFormat("model: %d parameters, %s\n", model->num_parameters(),
                         model->options.ToJson().dump());

  const int64_t total_steps = config.epochs * steps_per_epoch;
  const int64_t max_steps =
      config.max_steps > 0 ? std::min(config.max_steps, total_steps) : total_steps;
  const int64_t warmup = std::max<int64_t>(
      1, std::llround(config.warmup_fraction * static_cast<double>(total_steps)));
  std::unique_ptr<torch::optim::AdamW> optimizer =
      training::MakeAdamW(*model, {.lr = config.lr, .weight_decay = config.weight_decay});
  const training::LrSchedule schedule({.peak_lr = config.lr,
                                       .warmup_steps = std::min(warmup, total_steps - 1),
                                       .total_steps = total_steps,
                                       .decay = training::LrDecay::kLinear,
                                       .min_lr_ratio = 0.0});

  absl::StatusOr<std::string> tokenizer_json = tokenization::TokenizerToJson(**tokenizer);
  if (!tokenizer_json.ok()) return tokenizer_json.status();
  if (is_main) {
    if (absl::Status s = training::CreateDirectories(config.out_dir); !s.ok()) return s;
  }
  training::TrainLoopOptions loop;
  loop.max_steps = max_steps;
  loop.clip_grad_norm = config.clip_grad_norm;
  loop.eval_every = steps_per_epoch;
  loop.log_every = 50;
  loop.checkpoint_dir = config.out_dir + "/checkpoints";
  loop.keep_last_checkpoints = 1;
  loop.run_dir = config.out_dir;
  loop.early_stopping = training::EarlyStoppingOptions{
      .metric = "accuracy", .mode = training::MetricMode::kMax, .patience = 0};
  loop.restore_best_at_end = true;
  loop.seed = config.seed;
  loop.show_progress = config.show_progress;
  loop.config = {{"model", model->options.ToJson()}, {"input", input.ToJson()}};
  loop.tokenizer = *tokenizer_json;
  loop.distributed = distributed;

  ImdbTrainResult result;
  const std::vector<std::vector<int64_t>> validation_batches =
      EvalBatches(*validation, config.eval_batch_size);
  std::vector<std::vector<int64_t>> epoch_batches;
  int64_t batches_epoch = -1;
  int64_t examples_trained = 0;
  double train_seconds = 0.0;
  Clock::time_point mark;
  double epoch_loss_sum = 0.0;
  int64_t epoch_loss_count = 0;

  training::TrainCallbacks callbacks;
  callbacks.train_step = [&](training::TrainContext& ctx) {
    const int64_t epoch = ctx.step / steps_per_epoch;
    if (epoch != batches_epoch) {
      epoch_batches = sampler->Batches(static_cast<uint64_t>(epoch));
      batches_epoch = epoch;
    }
    const ImdbBatch batch =
        MakeBatch(*train, training::ShardIndices(epoch_batches[ctx.step % epoch_batches.size()],
                                                 ctx.rank, ctx.world_size));
    const at::Tensor logits = model->forward(batch.inputs);
    return training::StepOutput{torch::nn::functional::cross_entropy(logits, batch.labels),
                                batch.size(), batch.inputs.tokens.size(0)};
  };
  callbacks.on_step = [&](const training::StepReport& report) {
    train_seconds += SecondsSince(mark);
    mark = Clock::now();
    examples_trained += report.examples;
    result.step_losses.push_back(report.loss);
    epoch_loss_sum += report.loss;
    ++epoch_loss_count;
  };
  callbacks.evaluate = [&](training::EvalContext& ctx) {
    EpochMetrics e;
    e.step = ctx.step;
    e.epoch = (ctx.step + steps_per_epoch - 1) / steps_per_epoch;
    e.train_loss = epoch_loss_count > 0 ? epoch_loss_sum / epoch_loss_count : NAN;
    epoch_loss_sum = 0.0;
    epoch_loss_count = 0;
    e.validation = Evaluate(model, *validation, validation_batches);
    e.seconds = SecondsSince(start);
    log << absl::StrFormat("epoch %d/%d (step %d): train loss %.4f | validation %s | %.0fs\n",
                           e.epoch, config.epochs, e.step, e.train_loss,
                           FormatMetrics(e.validation), e.seconds);
    result.epochs.push_back(e);
    mark = Clock::now();
    return training::Metrics{{"loss", e.validation.loss},
                             {"accuracy", e.validation.accuracy},
                             {"precision", e.validation.precision},
                             {"recall", e.validation.recall},
                             {"f1", e.validation.f1}};
  };

  mark = Clock::now();
  absl::StatusOr<training::TrainResult> loop_result =
      training::RunTrainLoop(*model, *optimizer, &schedule, loop, callbacks);
  if (!loop_result.ok()) return loop_result.status();
  result.train_examples_per_second = train_seconds > 0 ? examples_trained / train_seconds : 0.0;
  if (!is_main) return result;
  result.best_checkpoint = loop.checkpoint_dir + "/best.sfckpt";
  for (const EpochMetrics& e : result.epochs) {
    if (result.best_epoch == 0 || e.validation.accuracy > result.best_validation_accuracy) {
      result.best_epoch = e.epoch;
      result.best_validation_accuracy = e.validation.accuracy;
    }
  }
  log << absl::StrFormat(
      "best validation accuracy %.2f%% at epoch %d, saved in %s; training throughput %.1f "
      "examples/s (%s backend)\n",
      100.0 * result.best_validation_accuracy, result.best_epoch, result.best_checkpoint,
      result.train_examples_per_second, attention::AttentionBackendName(config.backend));

  if (test) {
    model->eval();
    torch::NoGradGuard no_grad;
    result.test = Evaluate(model, *test, EvalBatches(*test, config.eval_batch_size));
    model->train();
    log << "test (best epoch): " << FormatMetrics(*result.test) << "\n";
  }
  result.seconds = SecondsSince(start);

  nlohmann::json epochs = nlohmann::json::array();
  for (const EpochMetrics& e : result.epochs) {
    epochs.push_back({{"epoch", e.epoch},
                      {"step", e.step},
                      {"train_loss", e.train_loss},
                      {"validation", e.validation.ToJson()},
                      {"seconds", e.seconds}});
  }
  nlohmann::json summary = {
      {"task", "imdb"},
      {"config", ConfigToJson(config)},
      {"model", model->options.ToJson()},
      {"parameters", model->num_parameters()},
      {"input", input.ToJson()},
      {"data",
       {{"train_reviews", train->size()},
        {"validation_reviews", validation->size()},
        {"test_reviews", test ? test->size() : 0},
        {"vocabulary_size", (*tokenizer)->vocab_size()},
        {"train_tokens", train_tokens},
        {"train_truncated_fraction", static_cast<double>(train->truncated) / train->size()},
        {"padding_fraction_computed", padding_computed},
        {"padding_fraction_bucketed", bucketed_padding},
        {"padding_fraction_random", random_padding}}},
      {"steps", loop_result->steps},
      {"steps_per_epoch", steps_per_epoch},
      {"epochs", epochs},
      {"best_epoch", result.best_epoch},
      {"best_validation_accuracy", result.best_validation_accuracy},
      {"best_checkpoint", result.best_checkpoint},
      {"test", result.test ? result.test->ToJson() : nlohmann::json(nullptr)},
      {"train_examples_per_second", result.train_examples_per_second},
      {"wall_seconds", result.seconds}};
  result.metrics_json = config.out_dir + "/metrics.json";
  if (absl::Status s = training::WriteJsonFile(result.metrics_json, summary); !s.ok()) return s;
  if (absl::Status s = WriteReports(config.out_dir, result); !s.ok()) return s;
  log << "wrote " << result.metrics_json << ", metrics.csv, metrics.svg (" 
      << absl::StrFormat("%.0fs in all", result.seconds) << ")\n";
  return result;
}

}  // namespace sf::tasks::imdb
