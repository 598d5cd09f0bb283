// Trains a causal Transformer language model on WikiText-2 (word level, BPE on the raw text)
// or on any text file (character level), reports perplexity after every epoch, keeps the best
// checkpoint and prints generated samples; or, with --checkpoint, generates from a prompt.
//
//   bazel run //tasks:wiki -- --data_dir=../shared/data/wikitext-2
//   bazel run //tasks:wiki -- --corpus=text --text_file=../shared/data/tinyshakespeare/input.txt
//   bazel run //tasks:wiki -- --checkpoint=runs/wiki/checkpoints/best.sfckpt
//       --prompt="The castle was" --max_new_tokens=60 --temperature=0.8 --top_p=0.9
//
// Outputs in --out_dir (default runs/wiki, like the other tasks' runs/<task>): metrics.jsonl
// and TensorBoard events from the training loop, perplexity.csv/.json/.svg (one row per
// epoch), samples.txt; checkpoints in --checkpoint_dir (default <out_dir>/checkpoints),
// best.sfckpt the best validation loss. The training loop's --run_dir, when given, takes the
// place of --out_dir.
//
// Data parallel (training/distributed_flags.h): --batch_size stays global; every process draws
// the same windows from the loop's generator and trains on its strided share of them.
//   tools/launch/launch.sh --nproc=2 -- bazel-bin/tasks/wiki/wiki --threads=1
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/environment.h"
#include "runtime/paths.h"
#include "tasks/wiki/causal_lm.h"
#include "tasks/wiki/generator.h"
#include "tasks/wiki/lm_checkpoint.h"
#include "tasks/wiki/lm_corpus.h"
#include "tasks/wiki/lm_windows.h"
#include "tasks/wiki/perplexity_plot.h"
#include "tokenization/tokenizer_io.h"
#include "training/distributed.h"
#include "training/distributed_flags.h"
#include "training/file_io.h"
#include "training/optimizer.h"
#include "training/train_flags.h"
#include "training/train_loop.h"

ABSL_FLAG(std::string, corpus, "wikitext2", "wikitext2 | wikitext2_raw | text");
ABSL_FLAG(std::string, data_dir, "",
          "Data set folder (wiki.train.tokens ... or input.txt); empty: the download cache.");
ABSL_FLAG(std::string, text_file, "", "--corpus=text: the text file (default tiny-shakespeare).");
ABSL_FLAG(int64_t, bpe_vocab_size, 8000, "--corpus=wikitext2_raw: BPE vocabulary size.");
ABSL_FLAG(int64_t, d_model, 256, "Model width (also the tied embedding size).");
ABSL_FLAG(int64_t, heads, 4, "Attention heads.");
ABSL_FLAG(int64_t, layers, 2, "Transformer blocks.");
ABSL_FLAG(int64_t, d_ff, 768, "Feed-forward hidden width.");
ABSL_FLAG(int64_t, context, 64, "Training window and attention context, in tokens.");
ABSL_FLAG(double, dropout, 0.1, "Dropout on embeddings, feed-forward and sublayer outputs.");
ABSL_FLAG(std::string, adaptive_cutoffs, "auto",
          "Adaptive softmax cluster boundaries, e.g. 2000,10000; none: full softmax; auto: "
          "2000,10000 for vocabularies over 20,000 tokens, else none.");
ABSL_FLAG(std::string, attention_backend, "fused", "reference | fused | libtorch");
ABSL_FLAG(int64_t, batch_size, 64,
          "Windows per update, over all processes: with --world_size=N each process takes "
          "batch_size / N of them.");
ABSL_FLAG(int64_t, eval_batch_size, 32, "Windows per evaluation forward pass.");
ABSL_FLAG(double, epochs, 6,
          "Training length in passes over the training tokens (sets --steps); 0: use --steps.");
ABSL_FLAG(std::string, out_dir, "runs/wiki",
          "Directory for the logs, perplexity report, samples and checkpoints "
          "(<out_dir>/checkpoints unless --checkpoint_dir is set); --run_dir overrides it.");
ABSL_FLAG(std::string, checkpoint, "",
          "Generate from this checkpoint instead of training (with --prompt).");
ABSL_FLAG(std::string, prompt, "", "Text to continue (training: the prompt of the samples).");
ABSL_FLAG(int64_t, samples, 3, "Samples printed after training.");
ABSL_FLAG(int64_t, max_new_tokens, 60, "Maximum number of generated tokens.");
ABSL_FLAG(bool, greedy, false, "Greedy decoding instead of sampling.");
ABSL_FLAG(double, temperature, 0.8, "Sampling temperature.");
ABSL_FLAG(int64_t, top_k, 0, "Sample among the k most likely tokens; 0: all.");
ABSL_FLAG(double, top_p, 0.9, "Nucleus sampling: the smallest set with this probability.");
ABSL_FLAG(bool, kv_cache, true, "Incremental decoding with the key/value cache.");

namespace sf::tasks::wiki {
namespace {

// Far more updates than any run makes; an --epochs that asks for more is a typo.
constexpr double kMaxSteps = 1e9;

int Fail(const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return 1;
}

GenerationOptions GenerationOptionsFromFlags(uint64_t seed) {
  GenerationOptions options;
  options.max_new_tokens = absl::GetFlag(FLAGS_max_new_tokens);
  options.greedy = absl::GetFlag(FLAGS_greedy);
  options.temperature = absl::GetFlag(FLAGS_temperature);
  options.top_k = absl::GetFlag(FLAGS_top_k);
  options.top_p = absl::GetFlag(FLAGS_top_p);
  options.seed = seed;
  options.use_cache = absl::GetFlag(FLAGS_kv_cache);
  return options;
}

int GenerateFromCheckpoint(uint64_t seed) {
  absl::StatusOr<LoadedLm> lm =
      LoadLanguageModel(runtime::ResolveUserPath(absl::GetFlag(FLAGS_checkpoint)));
  if (!lm.ok()) return Fail(lm.status());
  absl::StatusOr<std::vector<tokenization::TokenId>> prompt =
      EncodePrompt(*lm->tokenizer, absl::GetFlag(FLAGS_prompt));
  if (!prompt.ok()) return Fail(prompt.status());
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<tokenization::TokenId>> ids =
      Generate(lm->model, *prompt, GenerationOptionsFromFlags(seed));
  if (!ids.ok()) return Fail(ids.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << absl::StrFormat("checkpoint step %d; %d tokens in %.2f s (%.1f tokens/s)\n",
                               lm->step, ids->size(), seconds, ids->size() / seconds);
  std::cout << DecodeForDisplay(*lm->tokenizer, *prompt) << " >>> "
            << DecodeForDisplay(*lm->tokenizer, *ids) << "\n";
  return 0;
}

// Prompts for the samples: --prompt, or `length` tokens (fewer when the validation text is
// shorter) from `count` evenly spaced places of the validation text.
absl::StatusOr<std::vector<std::vector<tokenization::TokenId>>> SamplePrompts(
    const LmCorpus& corpus, int64_t count, int64_t length) {
  std::vector<std::vector<tokenization::TokenId>> prompts;
  if (count == 0) return prompts;
  const std::string text = absl::GetFlag(FLAGS_prompt);
  if (!text.empty()) {
    absl::StatusOr<std::vector<tokenization::TokenId>> ids = EncodePrompt(*corpus.tokenizer, text);
    if (!ids.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--prompt: ", ids.status().message()));
    }
    prompts.assign(count, *ids);
    return prompts;
  }
  const int64_t n = corpus.valid.size(0);
  length = std::min(length, n);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t start = std::min(n - length, (i + 1) * n / (count + 1));
    const int64_t* data = corpus.valid.data_ptr<int64_t>() + start;
    prompts.emplace_back(data, data + length);
  }
  return prompts;
}

int Train(uint64_t seed, int threads, const training::DistributedOptions& distributed) {
  const bool is_main = distributed.rank == 0;
  // What the samples after training need, checked before the training.
  const int64_t samples = absl::GetFlag(FLAGS_samples);
  if (samples < 0) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("--samples must be >= 0, got ", samples)));
  }
  if (samples > 0) {
    absl::Status generation = CheckGenerationOptions(GenerationOptionsFromFlags(seed));
    if (!generation.ok()) return Fail(generation);
  }
  const double epochs = absl::GetFlag(FLAGS_epochs);
  if (!(std::isfinite(epochs) && epochs >= 0)) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("--epochs must be >= 0, got ", epochs)));
  }
  std::ostream discarded(nullptr);
  std::ostream& log = is_main ? std::cerr : discarded;
  absl::StatusOr<CorpusKind> kind = ParseCorpusKind(absl::GetFlag(FLAGS_corpus));
  if (!kind.ok()) return Fail(kind.status());
  CorpusOptions corpus_options;
  corpus_options.kind = *kind;
  corpus_options.data_dir = absl::GetFlag(FLAGS_data_dir);
  corpus_options.text_file = runtime::ResolveUserPath(absl::GetFlag(FLAGS_text_file));
  corpus_options.bpe_vocab_size = absl::GetFlag(FLAGS_bpe_vocab_size);
  corpus_options.threads = threads;
  // Flags are checked before the corpus is looked for (which may download it).
  const std::string backend_name = absl::GetFlag(FLAGS_attention_backend);
  if (backend_name != "reference" && backend_name != "fused" && backend_name != "libtorch") {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("--attention_backend: unknown backend '", backend_name, "'")));
  }
  const int64_t batch = absl::GetFlag(FLAGS_batch_size);
  const int64_t context = absl::GetFlag(FLAGS_context);
  const int64_t d_model = absl::GetFlag(FLAGS_d_model);
  const int64_t heads = absl::GetFlag(FLAGS_heads);
  if (batch < 1 || context < 2 || d_model < 1 || heads < 1 || d_model % heads != 0 ||
      absl::GetFlag(FLAGS_layers) < 1 || absl::GetFlag(FLAGS_d_ff) < 1 ||
      absl::GetFlag(FLAGS_eval_batch_size) < 1) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "model and batch sizes must be positive with --d_model divisible by --heads; got "
        "--batch_size=", batch, " --context=", context, " --d_model=", d_model,
        " --heads=", heads)));
  }
  if (absl::StatusOr<int64_t> per_rank = training::PerRankBatchSize(batch, distributed.world_size);
      !per_rank.ok()) {
    return Fail(per_rank.status());
  }
  absl::StatusOr<std::unique_ptr<training::DistributedGroup>> group =
      training::DistributedGroup::Join(distributed);
  if (!group.ok()) return Fail(group.status());
  // Rank 0 loads the corpus first, so that only one process downloads it.
  absl::StatusOr<LmCorpus> corpus =
      is_main ? LoadCorpus(corpus_options) : absl::StatusOr<LmCorpus>(absl::UnknownError(""));
  if (*group != nullptr) {
    if (absl::Status s = (*group)->Barrier(); !s.ok()) return Fail(s);
  }
  if (!is_main) corpus = LoadCorpus(corpus_options);
  if (!corpus.ok()) return Fail(corpus.status());
  log << absl::StrFormat("%s: vocabulary %d, train %d tokens, valid %d%s\n",
                               corpus->description, corpus->tokenizer->vocab_size(),
                               corpus->train.size(0), corpus->valid.size(0),
                               corpus->test.defined()
                                   ? absl::StrCat(", test ", corpus->test.size(0))
                                   : std::string(", no test file"));

  if (corpus->train.size(0) <= context || corpus->valid.size(0) < 2) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "the corpus is too small for --context=", context, ": ", corpus->train.size(0),
        " training tokens")));
  }
  const int64_t prompt_length = corpus->tokenizer->type() == "word" ? 12 : 40;
  const absl::StatusOr<std::vector<std::vector<tokenization::TokenId>>> prompts =
      SamplePrompts(*corpus, samples, prompt_length);
  if (!prompts.ok()) return Fail(prompts.status());
  std::vector<int64_t> cutoffs;
  const std::string cutoffs_flag = absl::GetFlag(FLAGS_adaptive_cutoffs);
  if (cutoffs_flag == "auto") {
    if (corpus->tokenizer->vocab_size() > 20000) cutoffs = {2000, 10000};
  } else if (cutoffs_flag != "none" && !cutoffs_flag.empty()) {
    for (absl::string_view part : absl::StrSplit(cutoffs_flag, ',')) {
      int64_t value = 0;
      if (!absl::SimpleAtoi(part, &value) || value <= (cutoffs.empty() ? 0 : cutoffs.back()) ||
          value >= corpus->tokenizer->vocab_size()) {
        return Fail(absl::InvalidArgumentError(absl::StrCat(
            "--adaptive_cutoffs=", cutoffs_flag, ": expected increasing integers below the "
            "vocabulary size ", corpus->tokenizer->vocab_size())));
      }
      cutoffs.push_back(value);
    }
  }
  CausalLmOptions model_options =
      CausalLmOptions(corpus->tokenizer->vocab_size())
          .d_model(d_model)
          .heads(heads)
          .layers(absl::GetFlag(FLAGS_layers))
          .d_ff(absl::GetFlag(FLAGS_d_ff))
          .context(context)
          .dropout(absl::GetFlag(FLAGS_dropout))
          .backend(attention::ParseAttentionBackend(backend_name))
          .cutoffs(cutoffs);
  CausalLm model(model_options);
  int64_t parameters = 0;
  for (const at::Tensor& p : model->parameters()) parameters += p.numel();

  absl::StatusOr<training::TrainLoopOptions> loop = training::TrainLoopOptionsFromFlags();
  if (!loop.ok()) return Fail(loop.status());
  absl::StatusOr<training::LrScheduleOptions> lr = training::LrScheduleOptionsFromFlags();
  if (!lr.ok()) return Fail(lr.status());
  absl::StatusOr<training::AdamWConfig> adamw = training::AdamWConfigFromFlags();
  if (!adamw.ok()) return Fail(adamw.status());

  const int64_t tokens_per_step = batch * context;
  const int64_t steps_per_epoch =
      std::max<int64_t>(1, (corpus->train.size(0) + tokens_per_step - 1) / tokens_per_step);
  if (epochs * steps_per_epoch > kMaxSteps) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--epochs=", epochs, " asks for ", epochs * steps_per_epoch, " steps of ",
        steps_per_epoch, " per epoch, more than the ", kMaxSteps, " a run can take")));
  }
  if (epochs > 0) {
    loop->max_steps = std::max<int64_t>(1, std::llround(epochs * steps_per_epoch));
    lr->total_steps = loop->max_steps;
  }
  if (lr->decay != training::LrDecay::kConstant && lr->total_steps <= lr->warmup_steps) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--warmup_steps=", lr->warmup_steps, " leaves no room for decay in ", lr->total_steps,
        " steps")));
  }
  if (loop->eval_every == 0) loop->eval_every = steps_per_epoch;
  if (loop->run_dir.empty()) {
    loop->run_dir = runtime::ResolveUserPath(absl::GetFlag(FLAGS_out_dir));
    if (loop->run_dir.empty()) {
      return Fail(absl::InvalidArgumentError("--out_dir must not be empty"));
    }
  }
  if (loop->checkpoint_dir.empty()) loop->checkpoint_dir = loop->run_dir + "/checkpoints";
  if (!loop->early_stopping) {
    loop->early_stopping = training::EarlyStoppingOptions{.metric = "loss", .patience = 0};
  }
  loop->restore_best_at_end = true;
  loop->progress_unit = "tok";
  loop->config = {{kModelConfigKey, ToJson(model_options)},
                  {"corpus", CorpusKindName(*kind)},
                  {"batch_size", batch},
                  {"steps", loop->max_steps},
                  {"lr", lr->peak_lr},
                  {"warmup_steps", lr->warmup_steps}};
  loop->config_keys_allowed_to_differ.push_back("steps");
  absl::StatusOr<std::string> tokenizer_json = tokenization::TokenizerToJson(*corpus->tokenizer);
  if (!tokenizer_json.ok()) return Fail(tokenizer_json.status());
  loop->tokenizer = *tokenizer_json;
  loop->distributed = group->get();

  log << absl::StrFormat(
      "model: d_model %d, %d heads, %d layers, d_ff %d, context %d, dropout %.2f, %s attention, "
      "%s, %d parameters\ntraining: batch %d x %d tokens, %d steps (%d per epoch, %.2f epochs), "
      "peak lr %g, warm-up %d, %s decay; checkpoints in %s\n",
      d_model, heads, model_options.layers(), model_options.d_ff(), context,
      model_options.dropout(), backend_name,
      cutoffs.empty() ? std::string("full softmax")
                      : absl::StrCat("adaptive softmax cut at ", absl::StrJoin(cutoffs, ",")),
      parameters, batch, context, loop->max_steps,
      steps_per_epoch, static_cast<double>(loop->max_steps) / steps_per_epoch, lr->peak_lr,
      lr->warmup_steps, training::LrDecayName(lr->decay), loop->checkpoint_dir);

  std::unique_ptr<torch::optim::AdamW> optimizer = training::MakeAdamW(*model, *adamw);
  training::LrSchedule schedule(*lr);
  std::vector<EpochPerplexity> history;
  const auto run_start = std::chrono::steady_clock::now();
  training::TrainCallbacks callbacks;
  callbacks.train_step = [&](training::TrainContext& ctx) {
    LmBatch b = SampleWindows(corpus->train, batch, context, ctx.rng);
    if (ctx.world_size > 1) {
      b.inputs = b.inputs.slice(0, ctx.rank, batch, ctx.world_size);
      b.targets = b.targets.slice(0, ctx.rank, batch, ctx.world_size);
    }
    at::Tensor loss = NextTokenLoss(model, model->forward(b.inputs).hidden, b.targets);
    return training::StepOutput{loss, b.inputs.size(0), b.inputs.size(0) * context};
  };
  const int64_t eval_batch = absl::GetFlag(FLAGS_eval_batch_size);
  callbacks.evaluate = [&](training::EvalContext& ctx) {
    EpochPerplexity row;
    row.step = ctx.step;
    row.epoch = static_cast<double>(ctx.step) / steps_per_epoch;
    const Perplexity valid = EvaluatePerplexity(model, corpus->valid, context, eval_batch);
    row.valid = valid.perplexity;
    training::Metrics metrics{{"loss", valid.loss}, {"perplexity", valid.perplexity}};
    if (corpus->test.defined()) {
      const Perplexity test = EvaluatePerplexity(model, corpus->test, context, eval_batch);
      row.test = test.perplexity;
      metrics["test_loss"] = test.loss;
      metrics["test_perplexity"] = test.perplexity;
    }
    row.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
    history.push_back(row);
    std::cerr << absl::StrFormat("epoch %.2f (step %d, %.1f min): valid perplexity %.2f%s\n",
                                 row.epoch, row.step, row.seconds / 60.0, row.valid,
                                 row.test ? absl::StrFormat(", test perplexity %.2f", *row.test)
                                          : std::string())
              << std::flush;
    return metrics;
  };
  absl::StatusOr<training::TrainResult> result =
      training::RunTrainLoop(*model, *optimizer, &schedule, *loop, callbacks);
  if (!result.ok()) return Fail(result.status());
  if (!is_main) return 0;
  std::cerr << absl::StrFormat(
      "trained %d steps in %.1f min (%.0f tokens/s); best valid perplexity %.2f at step %d; "
      "best checkpoint %s/best.sfckpt\n",
      result->steps, result->seconds / 60.0, result->tokens_per_second,
      result->best_metric ? std::exp(*result->best_metric) : NAN, result->best_step,
      loop->checkpoint_dir);
  if (result->resumed_from_step > 0) {
    // The evaluations before the checkpoint were made by an earlier process; its log has them.
    absl::StatusOr<LoggedHistory> earlier = ReadLoggedHistory(
        loop->run_dir + "/metrics.jsonl", result->resumed_from_step, steps_per_epoch);
    if (!earlier.ok()) return Fail(earlier.status());
    for (EpochPerplexity& row : history) row.seconds += earlier->seconds;
    history.insert(history.begin(), earlier->rows.begin(), earlier->rows.end());
  }
  absl::Status written = WritePerplexityReport(history, loop->run_dir + "/perplexity");
  if (!written.ok()) return Fail(written);

  std::string sample_text;
  int index = 0;
  for (const auto& prompt : *prompts) {
    absl::StatusOr<std::vector<tokenization::TokenId>> ids =
        Generate(model, prompt, GenerationOptionsFromFlags(seed + index++));
    if (!ids.ok()) return Fail(ids.status());
    absl::StrAppend(&sample_text, "--- sample ", index, "\n",
                    DecodeForDisplay(*corpus->tokenizer, prompt), " >>> ",
                    DecodeForDisplay(*corpus->tokenizer, *ids), "\n");
  }
  std::cout << sample_text;
  written = training::WriteFileAtomically(loop->run_dir + "/samples.txt", sample_text);
  if (!written.ok()) return Fail(written);
  return 0;
}

}  // namespace
}  // namespace sf::tasks::wiki

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Trains a causal Transformer language model on WikiText-2 or a text file, or generates "
      "from a checkpoint.\n  wiki --data_dir=../shared/data/wikitext-2\n"
      "  wiki --checkpoint=runs/wiki/checkpoints/best.sfckpt --prompt=\"The\"");
  // This task's defaults for the shared training flags (a command line still overrides them).
  absl::SetFlag(&FLAGS_lr, 2e-3);
  absl::SetFlag(&FLAGS_warmup_steps, 100);
  absl::ParseCommandLine(argc, argv);
  const sf::runtime::RuntimeOptions runtime = sf::runtime::RuntimeOptionsFromFlags();
  absl::Status configured = sf::runtime::ConfigureRuntime(runtime);
  if (!configured.ok()) return sf::tasks::wiki::Fail(configured);
  if (!absl::GetFlag(FLAGS_checkpoint).empty()) {
    std::cerr << sf::runtime::RuntimeBanner() << "\n";
    return sf::tasks::wiki::GenerateFromCheckpoint(runtime.seed);
  }
  absl::StatusOr<sf::training::DistributedOptions> distributed =
      sf::training::DistributedOptionsFromFlags();
  if (!distributed.ok()) return sf::tasks::wiki::Fail(distributed.status());
  if (distributed->rank == 0) std::cerr << sf::runtime::RuntimeBanner() << "\n";
  return sf::tasks::wiki::Train(runtime.seed, runtime.threads, *distributed);
}
