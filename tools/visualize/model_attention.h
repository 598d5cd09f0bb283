// The attention weights of a trained task model on a user's text, whichever task made the
// checkpoint: the IMDB classifier (//tasks/imdb:inference) or the WikiText language model
// (//tasks/wiki:lm_checkpoint). This is the glue of visualize_attention's `model` mode.
//
//   absl::StatusOr<ModelAttention> a =
//       ComputeModelAttention(ModelTask::kImdb, "runs/imdb/checkpoints/best.sfckpt",
//                             "A wonderful, moving film.");
//   a->weights;   // float [layers, heads, L, L], rows sum to 1
//   a->tokens;    // the L tokens the model saw; a->special[k] marks <cls>, <bos>, ...
//
// The task libraries truncate long texts silently (the way training does); here a text longer
// than the model reads is refused instead, so a picture never shows less than was asked for.
#ifndef SCRATCHFORMER_TOOLS_VISUALIZE_MODEL_ATTENTION_H_
#define SCRATCHFORMER_TOOLS_VISUALIZE_MODEL_ATTENTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"

namespace sf::visualize {

enum class ModelTask { kImdb, kWiki };

// "imdb" | "wiki"; InvalidArgument naming the value otherwise.
absl::StatusOr<ModelTask> ParseModelTask(const std::string& name);
std::string ModelTaskName(ModelTask task);

struct ModelAttention {
  std::vector<std::string> tokens;  // as the tokenizer spells them
  std::vector<bool> special;        // per token: a special token of the vocabulary
  at::Tensor weights;               // float [layers, heads, L, L]
  int64_t max_length = 0;           // the most tokens the model reads
  std::string summary;              // one line: model shape, training step, prediction
};

// Errors: NotFound naming the checkpoint when there is no such file; the task library's error
// (naming the path) for an unreadable checkpoint or one of another model; InvalidArgument for
// an empty text, or one longer than max_length tokens, giving both counts.
absl::StatusOr<ModelAttention> ComputeModelAttention(ModelTask task,
                                                     const std::string& checkpoint_path,
                                                     const std::string& text);

}  // namespace sf::visualize

#endif  // SCRATCHFORMER_TOOLS_VISUALIZE_MODEL_ATTENTION_H_
