// A tied adaptive input embedding and adaptive softmax (Grave et al. 2017; Baevski & Auli
// 2019) for large word vocabularies, where the full softmax dominates the cost of a small
// language model (d_model x 33k multiply-adds per token, forward and backward).
//
// The vocabulary, sorted by decreasing frequency, is cut into clusters [0, c1), [c1, c2), ...
// The head scores the first cluster's words and one entry per tail cluster at full width; a
// tail cluster's words live in a narrower space (d_model / 4^i) reached by a projection. The
// probability of a tail word is p(cluster | h) * p(word | cluster, h): an exact, normalised
// distribution, so perplexities compare with a full softmax. Each cluster's word table and
// projection serve both as the input embedding and as the output layer (tied).
//
//   auto adaptive = sf::tasks::wiki::TiedAdaptiveSoftmax(
//       sf::tasks::wiki::TiedAdaptiveSoftmaxOptions(33278, 256).cutoffs({2000, 10000}));
//   at::Tensor x = adaptive->embed(tokens);                // [B, L] -> [B, L, 256]
//   at::Tensor lp = adaptive->target_log_probs(h, next);   // [B, L]: log p(next | h)
//   at::Tensor all = adaptive->log_probs(h);               // [B, L, 33278], for sampling
//
// Training and evaluation use target_log_probs, which runs a tail only on the positions whose
// target falls in it: most tokens are frequent words, so most positions cost d_model x c1.
#ifndef SCRATCHFORMER_TASKS_WIKI_ADAPTIVE_SOFTMAX_H_
#define SCRATCHFORMER_TASKS_WIKI_ADAPTIVE_SOFTMAX_H_

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace sf::tasks::wiki {

struct TiedAdaptiveSoftmaxOptions {
  TiedAdaptiveSoftmaxOptions(int64_t vocab_size, int64_t d_model)
      : vocab_size_(vocab_size), d_model_(d_model) {}
  TORCH_ARG(int64_t, vocab_size);
  TORCH_ARG(int64_t, d_model);
  // Increasing, inside (0, vocab_size).
  TORCH_ARG(std::vector<int64_t>, cutoffs) = std::vector<int64_t>{2000, 10000};
  // Cluster i > 0 has width max(1, d_model / div_factor^i).
  TORCH_ARG(int64_t, div_factor) = 4;
};

class TiedAdaptiveSoftmaxImpl : public torch::nn::Module {
 public:
  explicit TiedAdaptiveSoftmaxImpl(const TiedAdaptiveSoftmaxOptions& options);

  // tokens int64 [...] -> [..., d_model], scaled by sqrt(d_model) like layers::TokenEmbedding.
  at::Tensor embed(const at::Tensor& tokens);
  // hidden [..., d_model], targets int64 [...] -> log p(target | hidden) [...].
  at::Tensor target_log_probs(const at::Tensor& hidden, const at::Tensor& targets);
  // hidden [..., d_model] -> log-probabilities of every word [..., vocab_size].
  at::Tensor log_probs(const at::Tensor& hidden);

  int64_t clusters() const { return static_cast<int64_t>(bounds_.size()) - 1; }

  TiedAdaptiveSoftmaxOptions options;
  std::vector<at::Tensor> tables;       // cluster i: [size_i, width_i]
  std::vector<at::Tensor> projections;  // cluster i > 0: [d_model, width_i]; [0] undefined
  at::Tensor cluster_weight;            // [clusters - 1, d_model], the head's tail entries
  at::Tensor cluster_bias;              // [clusters - 1]

 private:
  // Head log-probabilities [N, c1 + clusters - 1] of flattened hidden states [N, d_model].
  at::Tensor HeadLogProbs(const at::Tensor& hidden);
  // Hidden states [N, d_model] -> cluster i's word logits [N, size_i].
  at::Tensor TailLogits(const at::Tensor& hidden, int64_t i);

  std::vector<int64_t> bounds_;  // 0, cutoffs..., vocab_size
};
TORCH_MODULE(TiedAdaptiveSoftmax);

}  // namespace sf::tasks::wiki

#endif  // SCRATCHFORMER_TASKS_WIKI_ADAPTIVE_SOFTMAX_H_
