// Tokens per second of generation at 512 tokens of context, with the key/value cache (each
// new token attends to the cached keys/values: O(context)) and without it (each new token
// re-runs the whole window: O(context^2) attention and O(context) feed-forward work).
//
//   bazel run //tasks/wiki:generation_benchmark
//
// Model: the task's default WikiText-2 configuration (d_model 256, 4 heads, 2 layers, d_ff 768,
// 33,278 words with the adaptive softmax), untrained, its context raised to 1024 so that 512
// tokens of history fit. Eval mode, no grad, LibTorch's default thread count (1 on Debian).
//
// BM_NextToken: one decoding step after 512 tokens (the cache is trimmed back after each step).
// BM_Generate: Generate() continuing a 512-token prompt by 32 tokens, prompt processing included.
#include <cstdint>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "benchmark/benchmark.h"
#include "tasks/wiki/causal_lm.h"
#include "tasks/wiki/generator.h"

namespace sf::tasks::wiki {
namespace {

constexpr int64_t kContext = 512;

CausalLm BenchmarkModel() {
  at::manual_seed(0);
  CausalLm model(CausalLmOptions(33278)
                     .d_model(256)
                     .heads(4)
                     .layers(2)
                     .d_ff(768)
                     .context(1024)
                     .dropout(0.0)
                     .cutoffs({2000, 10000}));
  model->eval();
  return model;
}

void BM_NextToken(benchmark::State& state) {
  const bool use_cache = state.range(0) != 0;
  at::NoGradGuard no_grad;
  CausalLm model = BenchmarkModel();
  const at::Tensor history = at::randint(0, 33278, {1, kContext + 1}, at::kLong);
  CausalLmCache cache;
  if (use_cache) model->forward(history.slice(1, 0, kContext), &cache);
  for (auto _ : state) {
    at::Tensor hidden;
    if (use_cache) {
      hidden = model->forward(history.slice(1, kContext), &cache).hidden;
      for (attention::KeyValueCache& layer : cache.layers) layer.Truncate(kContext);
    } else {
      hidden = model->forward(history).hidden;
    }
    benchmark::DoNotOptimize(model->logits(hidden.select(1, hidden.size(1) - 1)));
  }
  state.counters["tokens_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Generate(benchmark::State& state) {
  const bool use_cache = state.range(0) != 0;
  CausalLm model = BenchmarkModel();
  const at::Tensor prompt_tensor = at::randint(0, 33278, {kContext}, at::kLong);
  const std::vector<tokenization::TokenId> prompt(prompt_tensor.data_ptr<int64_t>(),
                                                  prompt_tensor.data_ptr<int64_t>() + kContext);
  GenerationOptions options;
  options.max_new_tokens = 32;
  options.use_cache = use_cache;
  int64_t tokens = 0;
  for (auto _ : state) {
    absl::StatusOr<std::vector<tokenization::TokenId>> ids = Generate(model, prompt, options);
    tokens += ids->size();
  }
  state.counters["tokens_per_second"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_NextToken)->ArgName("cache")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Generate)->ArgName("cache")->Arg(1)->Arg(0)->Iterations(2)->Unit(
    benchmark::kMillisecond);

}  // namespace
}  // namespace sf::tasks::wiki

BENCHMARK_MAIN();
