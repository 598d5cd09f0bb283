#include "tasks/wiki/generator.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "absl/strings/str_cat.h"

namespace sf::tasks::wiki {

using tokenization::TokenId;

TokenId PickToken(const at::Tensor& logits, const GenerationOptions& options,
                  std::mt19937_64& rng) {
  at::Tensor scores = logits.to(at::kFloat).contiguous();
  if (options.greedy) return static_cast<TokenId>(scores.argmax().item<int64_t>());
  at::Tensor probs = at::softmax(scores / options.temperature, 0);
  const int64_t vocab = probs.size(0);
  const float* p = probs.data_ptr<float>();
  // The kept set: the top-k most likely tokens, then the shortest prefix of them, in
  // decreasing probability (ties by id), whose mass reaches top-p. Sampling walks the kept
  // set in a fixed order, so only the set is needed: it is found by partitioning
  // (nth_element, linear time) and only the slice where the top-p boundary falls is sorted.
  // A full sort of a 33k-word vocabulary per step would cost more than the forward pass.
  const auto before = [p](int64_t a, int64_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); };
  std::vector<int64_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  int64_t keep = options.top_k > 0 ? std::min(options.top_k, vocab) : vocab;
  if (keep < vocab) std::nth_element(order.begin(), order.begin() + keep, order.end(), before);
  if (options.top_p < 1.0) {
    double mass = 0.0;
    for (int64_t done = 0, end = std::min<int64_t>(keep, 256);;
         done = end, end = std::min(keep, end * 4)) {
      const auto first = order.begin() + done;
      const auto last = order.begin() + end;
      if (end < keep) std::nth_element(first, last, order.begin() + keep, before);
      double slice = 0.0;
      for (auto it = first; it != last; ++it) slice += p[*it];
      if (mass + slice >= options.top_p) {
        std::sort(first, last, before);
        int64_t i = done;
        while (i < end && mass < options.top_p) mass += p[order[i++]];
        keep = i;
        break;
      }
      if (end == keep) break;
      mass += slice;
    }
  }
  double total = 0.0;
  for (int64_t i = 0; i < keep; ++i) total += p[order[i]];
  double u = std::uniform_real_distribution<double>(0.0, total)(rng);
  for (int64_t i = 0; i < keep; ++i) {
    u -= p[order[i]];
    if (u < 0.0) return static_cast<TokenId>(order[i]);
  }
  return static_cast<TokenId>(order[keep - 1]);
}

absl::Status CheckGenerationOptions(const GenerationOptions& options) {
  if (options.max_new_tokens < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the maximum length must be >= 0, got ", options.max_new_tokens));
  }
  if (!options.greedy) {
    if (!(options.temperature > 0.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("the temperature must be > 0, got ", options.temperature));
    }
    if (options.top_k < 0) {
      return absl::InvalidArgumentError(absl::StrCat("top-k must be >= 0, got ", options.top_k));
    }
    if (!(options.top_p > 0.0 && options.top_p <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("top-p must be in (0, 1], got ", options.top_p));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TokenId>> Generate(CausalLm& model, const std::vector<TokenId>& prompt,
                                              const GenerationOptions& options) {
  if (prompt.empty()) return absl::InvalidArgumentError("the prompt is empty: give some text");
  const int64_t vocab = model->options.vocab_size();
  for (size_t i = 0; i < prompt.size(); ++i) {
    if (prompt[i] < 0 || prompt[i] >= vocab) {
      return absl::InvalidArgumentError(absl::StrCat("prompt token ", i, " has id ", prompt[i],
                                                     ", outside the vocabulary of ", vocab));
    }
  }
  absl::Status valid = CheckGenerationOptions(options);
  if (!valid.ok()) return valid;
  model->eval();
  c10::NoGradGuard no_grad;
  const int64_t context = model->options.context();
  std::mt19937_64 rng(options.seed);
  std::vector<TokenId> sequence = prompt;
  std::vector<TokenId> generated;
  CausalLmCache cache;
  size_t start = 0;
  auto ids_tensor = [](const TokenId* first, size_t n) {
    at::Tensor t = at::empty({1, static_cast<int64_t>(n)}, at::kLong);
    std::copy(first, first + n, t.data_ptr<int64_t>());
    return t;
  };
  while (static_cast<int64_t>(generated.size()) < options.max_new_tokens) {
    if (static_cast<int64_t>(sequence.size() - start) > context) {
      start = sequence.size() - static_cast<size_t>(std::max<int64_t>(1, context / 2));
      cache.Reset();
    }
    at::Tensor hidden;
    if (!options.use_cache) {
      hidden = model->forward(ids_tensor(sequence.data() + start, sequence.size() - start)).hidden;
    } else if (cache.length() == 0) {
      hidden = model->forward(ids_tensor(sequence.data() + start, sequence.size() - start), &cache)
                   .hidden;
    } else {
      hidden = model->forward(ids_tensor(&sequence.back(), 1), &cache).hidden;
    }
    const TokenId next = PickToken(model->logits(hidden[0][hidden.size(1) - 1]), options, rng);
    sequence.push_back(next);
    generated.push_back(next);
    if (options.stop_token && next == *options.stop_token) break;
  }
  return generated;
}

}  // namespace sf::tasks::wiki
