// Inference from a saved checkpoint: the classifier and its tokenizer rebuilt from what the
// checkpoint stores (model configuration, input settings, tokenizer JSON, weights), sentiment
// predictions, and every layer's and head's attention weights for visualisation.
//
//   absl::StatusOr<ImdbModel> model = LoadImdbModel("runs/imdb/checkpoints/best.sfckpt");
//   absl::StatusOr<SentimentPrediction> p = Predict(*model, "A wonderful, moving film.");
//   // p->label == 1 (positive), p->probability = P(label)
//   absl::StatusOr<AttentionMaps> maps = ComputeAttentionMaps(*model, "Dull. Fell asleep.");
//   // maps->tokens {"dull", ".", "fell", "asleep", "."}; maps->weights[layer] [heads, 5, 5]
#ifndef SCRATCHFORMER_TASKS_IMDB_INFERENCE_H_
#define SCRATCHFORMER_TASKS_IMDB_INFERENCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tasks/imdb/classifier.h"
#include "tasks/imdb/imdb_data.h"
#include "tokenization/tokenizer.h"

namespace sf::tasks::imdb {

struct ImdbModel {
  ImdbClassifier model{nullptr};  // in eval mode
  std::unique_ptr<tokenization::Tokenizer> tokenizer;
  InputSettings input;
  int64_t step = 0;  // training updates behind the weights
};

// Errors name the path: unreadable or corrupt file (DataLoss), a checkpoint of another model
// (missing or malformed configuration, mismatched tensors), a bad tokenizer.
absl::StatusOr<ImdbModel> LoadImdbModel(const std::string& checkpoint_path);

struct SentimentPrediction {
  int label = 0;                       // 1 positive, 0 negative
  double probability = 0.0;            // of `label`
  double positive_probability = 0.0;
};

// "positive" | "negative".
std::string LabelName(int label);

// InvalidArgument when the text has no token (empty or blank).
absl::StatusOr<SentimentPrediction> Predict(ImdbModel& model, absl::string_view text);

struct AttentionMaps {
  std::vector<std::string> tokens;   // the vocabulary's tokens the model saw, in order
  std::vector<at::Tensor> weights;   // per layer, float [heads, tokens, tokens]; rows sum to 1
  SentimentPrediction prediction;
};

// The text as the model sees it (truncated like in training) with the attention weights of
// every layer and head.
absl::StatusOr<AttentionMaps> ComputeAttentionMaps(ImdbModel& model, absl::string_view text);

}  // namespace sf::tasks::imdb

#endif  // SCRATCHFORMER_TASKS_IMDB_INFERENCE_H_
