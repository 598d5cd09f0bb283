#include "tasks/wiki/lm_checkpoint.h"

#include <algorithm>
#include <utility>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "absl/strings/str_cat.h"
#include "training/checkpoint.h"
#include "tokenization/tokenizer_io.h"

namespace sf::tasks::wiki {

absl::StatusOr<LoadedLm> LoadLanguageModel(const std::string& path) {
  absl::StatusOr<training::CheckpointInfo> info = training::ReadCheckpointInfo(path);
  if (!info.ok()) return info.status();
  if (!info->config.is_object() || !info->config.contains(kModelConfigKey)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": the checkpoint has no '", kModelConfigKey,
        "' configuration; it was not written by the language-model trainer"));
  }
  absl::StatusOr<CausalLmOptions> options = CausalLmOptionsFromJson(info->config[kModelConfigKey]);
  if (!options.ok()) {
    // Another task's checkpoint also has a 'model' entry, of another kind.
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is not a language-model checkpoint of //tasks:wiki: ", options.status().message()));
  }
  LoadedLm lm;
  absl::StatusOr<std::unique_ptr<tokenization::Tokenizer>> tokenizer =
      tokenization::TokenizerFromJson(info->tokenizer, path);
  if (!tokenizer.ok()) return tokenizer.status();
  lm.tokenizer = std::move(*tokenizer);
  if (lm.tokenizer->vocab_size() != options->vocab_size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the tokenizer has ", lm.tokenizer->vocab_size(),
                     " tokens but the model's vocabulary is ", options->vocab_size()));
  }
  lm.model = CausalLm(*options);
  absl::StatusOr<training::CheckpointInfo> loaded = training::LoadCheckpoint(
      path, {.model = lm.model.get()}, {.restore_optimizer = false, .restore_rng = false});
  if (!loaded.ok()) return loaded.status();
  lm.model->eval();
  lm.config = info->config;
  lm.step = info->step;
  return lm;
}

absl::StatusOr<std::vector<tokenization::TokenId>> EncodePrompt(
    const tokenization::Tokenizer& tokenizer, const std::string& text) {
  if (text.empty()) return absl::InvalidArgumentError("the prompt is empty: give some text");
  absl::StatusOr<std::vector<tokenization::TokenId>> ids = tokenizer.Encode(text);
  if (!ids.ok()) return ids.status();
  if (ids->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the prompt \"", text, "\" holds no token (only whitespace?)"));
  }
  return ids;
}

absl::StatusOr<AttentionMaps> ComputeAttentionMaps(LoadedLm& lm, const std::string& text) {
  absl::StatusOr<std::vector<tokenization::TokenId>> ids = EncodePrompt(*lm.tokenizer, text);
  if (!ids.ok()) return ids.status();
  const int64_t len = std::min<int64_t>(ids->size(), lm.model->options.context());
  at::Tensor tokens = at::empty({1, len}, at::kLong);
  std::copy(ids->begin(), ids->begin() + len, tokens.data_ptr<int64_t>());
  lm.model->eval();
  c10::NoGradGuard no_grad;
  CausalLmOutput out = lm.model->forward(tokens, nullptr, /*need_weights=*/true);
  AttentionMaps maps;
  for (int64_t i = 0; i < len; ++i) {
    absl::StatusOr<std::string> token = lm.tokenizer->IdToToken((*ids)[i]);
    maps.tokens.push_back(token.ok() ? *token : "?");
  }
  for (const at::Tensor& w : out.weights) maps.layers.push_back(w[0].to(at::kFloat));
  return maps;
}

}  // namespace sf::tasks::wiki
