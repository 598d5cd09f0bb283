// Text generation from a CausalLm: greedy decoding or sampling with temperature, top-k and
// nucleus (top-p) filtering, incremental with the key/value cache.
//
//   sf::tasks::wiki::GenerationOptions options;
//   options.max_new_tokens = 100;
//   options.temperature = 0.8;
//   options.top_p = 0.9;
//   options.seed = 7;
//   absl::StatusOr<std::vector<TokenId>> ids = sf::tasks::wiki::Generate(model, prompt, options);
//
// With the cache (the default) the prompt is run once and every later step feeds only the
// newest token, attending to the cached keys/values: O(context) per token instead of a full
// forward pass over the window. Without it every step re-runs the window; both see exactly the
// same tokens, so they produce the same output. The window is the sequence since `start`; once
// it would exceed the model's context it restarts at the last context / 2 tokens (the cache
// is rebuilt from them), keeping the amortised cost per token O(context).
#ifndef SCRATCHFORMER_TASKS_WIKI_GENERATOR_H_
#define SCRATCHFORMER_TASKS_WIKI_GENERATOR_H_

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tasks/wiki/causal_lm.h"
#include "tokenization/vocabulary.h"

namespace sf::tasks::wiki {

struct GenerationOptions {
  int64_t max_new_tokens = 50;
  bool greedy = false;       // argmax; the sampling settings below are then ignored
  double temperature = 1.0;  // > 0
  int64_t top_k = 0;         // keep the k most likely tokens; 0: all
  double top_p = 1.0;        // keep the smallest set whose probability reaches p; 1: all
  uint64_t seed = 0;         // the same seed and settings give the same tokens
  bool use_cache = true;
  std::optional<tokenization::TokenId> stop_token;  // stop after emitting it
};

// The option checks Generate applies (InvalidArgument naming the value), for callers that want
// them before a long computation: max_new_tokens >= 0 and, unless greedy, temperature > 0,
// top_k >= 0 and top_p in (0, 1].
absl::Status CheckGenerationOptions(const GenerationOptions& options);

// InvalidArgument for an empty prompt, ids outside the vocabulary, or bad settings (naming
// them). Returns the new tokens only. Puts the model in eval mode.
absl::StatusOr<std::vector<tokenization::TokenId>> Generate(
    CausalLm& model, const std::vector<tokenization::TokenId>& prompt,
    const GenerationOptions& options);

// Picks the next token from `logits` [vocab] as `options` says, drawing from `rng` when
// sampling. Exposed for tests.
tokenization::TokenId PickToken(const at::Tensor& logits, const GenerationOptions& options,
                                std::mt19937_64& rng);

}  // namespace sf::tasks::wiki

#endif  // SCRATCHFORMER_TASKS_WIKI_GENERATOR_H_
