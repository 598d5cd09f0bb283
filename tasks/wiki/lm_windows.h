// Contiguous windows of a token stream for language-model training, and perplexity over a
// whole split.
//
//   std::mt19937_64 rng(seed);
//   sf::tasks::wiki::LmBatch batch = sf::tasks::wiki::SampleWindows(train, 32, 128, rng);
//   // batch.inputs = ids[s : s+128], batch.targets = ids[s+1 : s+129] for 32 random starts s
//
//   sf::tasks::wiki::Perplexity p = sf::tasks::wiki::EvaluatePerplexity(model, valid, 128, 16);
//
// Evaluation cuts the stream into consecutive non-overlapping windows of `context` inputs (the
// last one shorter), so every token after the first is predicted exactly once, from the
// tokens before it inside its window (between 0 and context - 1 of them). That is the usual
// "non-overlapping segments" protocol: slightly pessimistic compared with a sliding window,
// and every token of the file counts.
#ifndef SCRATCHFORMER_TASKS_WIKI_LM_WINDOWS_H_
#define SCRATCHFORMER_TASKS_WIKI_LM_WINDOWS_H_

#include <cstdint>
#include <random>

#include <ATen/core/Tensor.h>

#include "tasks/wiki/causal_lm.h"

namespace sf::tasks::wiki {

struct LmBatch {
  at::Tensor inputs;   // int64 [batch, len]
  at::Tensor targets;  // int64 [batch, len], the inputs shifted by one
};

// `batch` windows of `len` + 1 consecutive tokens starting at uniform random offsets drawn
// from `rng`. TORCH_CHECKs that `ids` holds more than `len` tokens.
LmBatch SampleWindows(const at::Tensor& ids, int64_t batch, int64_t len, std::mt19937_64& rng);

struct Perplexity {
  double loss = 0.0;        // mean cross-entropy per predicted token (nats)
  double perplexity = 0.0;  // exp(loss)
  int64_t tokens = 0;       // tokens predicted: ids.size(0) - 1
};

// Runs `model` (in whatever mode it is in; call eval() and hold a NoGradGuard) over all of
// `ids` as described at the top, `batch` windows at a time.
Perplexity EvaluatePerplexity(CausalLm& model, const at::Tensor& ids, int64_t context,
                              int64_t batch);

}  // namespace sf::tasks::wiki

#endif  // SCRATCHFORMER_TASKS_WIKI_LM_WINDOWS_H_
