#include "tasks/imdb/inference.h"

#include <utility>

#include <torch/torch.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tokenization/tokenizer_io.h"
#include "training/checkpoint.h"

namespace sf::tasks::imdb {
namespace {

SentimentPrediction FromLogits(const at::Tensor& logits) {
  const at::Tensor probabilities = torch::softmax(logits.reshape({-1}), 0);
  SentimentPrediction p;
  p.positive_probability = probabilities[1].item<double>();
  p.label = p.positive_probability >= 0.5 ? 1 : 0;
  p.probability = p.label == 1 ? p.positive_probability : 1.0 - p.positive_probability;
  return p;
}

}  // namespace

absl::StatusOr<ImdbModel> LoadImdbModel(const std::string& checkpoint_path) {
  absl::StatusOr<training::CheckpointInfo> info = training::ReadCheckpointInfo(checkpoint_path);
  if (!info.ok()) return info.status();
  auto not_ours = [&](const absl::Status& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        checkpoint_path, " is not an IMDB classifier checkpoint: ", why.message()));
  };
  if (!info->config.is_object() || !info->config.contains("model") ||
      !info->config.contains("input")) {
    return not_ours(absl::InvalidArgumentError("its configuration lacks 'model' or 'input'"));
  }
  absl::StatusOr<ImdbClassifierOptions> options =
      ImdbClassifierOptions::FromJson(info->config["model"]);
  if (!options.ok()) return not_ours(options.status());
  absl::StatusOr<InputSettings> input = InputSettings::FromJson(info->config["input"]);
  if (!input.ok()) return not_ours(input.status());
  if (input->max_length > options->max_length()) {
    return not_ours(absl::InvalidArgumentError(absl::StrCat(
        "input max_length ", input->max_length, " exceeds the model's ", options->max_length())));
  }
  absl::StatusOr<std::unique_ptr<tokenization::Tokenizer>> tokenizer =
      tokenization::TokenizerFromJson(info->tokenizer, checkpoint_path + " (tokenizer)");
  if (!tokenizer.ok()) return tokenizer.status();
  if ((*tokenizer)->vocab_size() != options->vocab_size()) {
    return not_ours(absl::InvalidArgumentError(
        absl::StrCat("the tokenizer has ", (*tokenizer)->vocab_size(), " tokens, the model ",
                     options->vocab_size())));
  }
  ImdbModel out;
  out.model = ImdbClassifier(*options);
  absl::StatusOr<training::CheckpointInfo> loaded = training::LoadCheckpoint(
      checkpoint_path, {.model = out.model.get()},
      {.restore_optimizer = false, .restore_rng = false});
  if (!loaded.ok()) return loaded.status();
  out.model->eval();
  out.tokenizer = *std::move(tokenizer);
  out.input = *input;
  out.step = loaded->step;
  return out;
}

std::string LabelName(int label) { return label == 1 ? "positive" : "negative"; }

absl::StatusOr<SentimentPrediction> Predict(ImdbModel& model, absl::string_view text) {
  absl::StatusOr<std::vector<tokenization::TokenId>> ids =
      EncodeText(*model.tokenizer, text, model.input);
  if (!ids.ok()) return ids.status();
  torch::NoGradGuard no_grad;
  return FromLogits(model.model->forward(tokenization::PackBatch({*ids})));
}

absl::StatusOr<AttentionMaps> ComputeAttentionMaps(ImdbModel& model, absl::string_view text) {
  absl::StatusOr<std::vector<tokenization::TokenId>> ids =
      EncodeText(*model.tokenizer, text, model.input);
  if (!ids.ok()) return ids.status();
  AttentionMaps maps;
  for (tokenization::TokenId id : *ids) {
    absl::StatusOr<std::string> token = model.tokenizer->IdToToken(id);
    if (!token.ok()) return token.status();
    maps.tokens.push_back(*std::move(token));
  }
  torch::NoGradGuard no_grad;
  ClassifierAttention out = model.model->forward_with_attention(*ids);
  maps.weights = std::move(out.attention);
  maps.prediction = FromLogits(out.logits);
  return maps;
}

}  // namespace sf::tasks::imdb
