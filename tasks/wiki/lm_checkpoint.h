// A trained language model back from its checkpoint: the model rebuilt from the configuration
// stored in the file, its weights, and the tokenizer it was trained with; and the attention
// maps of a text, for visualisation.
//
//   absl::StatusOr<sf::tasks::wiki::LoadedLm> lm =
//       sf::tasks::wiki::LoadLanguageModel("wiki_run/checkpoints/best.sfckpt");
//   absl::StatusOr<sf::tasks::wiki::AttentionMaps> maps =
//       sf::tasks::wiki::ComputeAttentionMaps(*lm, "The tower is 324 metres tall");
//   maps->layers[2][1];   // layer 2, head 1: [L, L], row i = where token i looks
//
// Checkpoints are written by the training loop (//training:checkpoint) with the configuration
// {"model": <CausalLmOptions as JSON>, "corpus": ..., ...} and the tokenizer's JSON.
#ifndef SCRATCHFORMER_TASKS_WIKI_LM_CHECKPOINT_H_
#define SCRATCHFORMER_TASKS_WIKI_LM_CHECKPOINT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "tasks/wiki/causal_lm.h"
#include "tokenization/tokenizer.h"

namespace sf::tasks::wiki {

// The key of the model's options in a checkpoint's configuration.
inline constexpr char kModelConfigKey[] = "model";

struct LoadedLm {
  CausalLm model{nullptr};  // in eval mode
  std::unique_ptr<tokenization::Tokenizer> tokenizer;
  nlohmann::json config;
  int64_t step = 0;
};

// Errors name `path`: missing, truncated or corrupted file (from //training:checkpoint), no or
// malformed model configuration, unreadable tokenizer, or a tokenizer whose vocabulary does not
// match the model's.
absl::StatusOr<LoadedLm> LoadLanguageModel(const std::string& path);

struct AttentionMaps {
  std::vector<std::string> tokens;  // the text's tokens, as the tokenizer spells them
  std::vector<at::Tensor> layers;   // one [heads, L, L] float tensor per layer
};

// Runs the first `context` tokens of `text` through the model with need_weights.
// InvalidArgument when the text encodes to no token.
absl::StatusOr<AttentionMaps> ComputeAttentionMaps(LoadedLm& lm, const std::string& text);

// `text` as token ids; InvalidArgument when it is empty or encodes to no token.
absl::StatusOr<std::vector<tokenization::TokenId>> EncodePrompt(
    const tokenization::Tokenizer& tokenizer, const std::string& text);

}  // namespace sf::tasks::wiki

#endif  // SCRATCHFORMER_TASKS_WIKI_LM_CHECKPOINT_H_
