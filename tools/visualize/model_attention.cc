#include "tools/visualize/model_attention.h"

#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "tasks/imdb/inference.h"
#include "tasks/wiki/lm_checkpoint.h"
#include "tokenization/tokenizer.h"

namespace sf::visualize {
namespace {

absl::Status CheckLength(int64_t tokens, int64_t max_length, ModelTask task) {
  if (tokens <= max_length) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "the text is ", tokens, " tokens long but the ", ModelTaskName(task),
      " model reads at most ", max_length, " tokens: shorten it"));
}

std::vector<bool> SpecialFlags(const tokenization::Tokenizer& tokenizer,
                               const std::vector<std::string>& tokens) {
  std::vector<bool> special;
  for (const std::string& token : tokens) {
    const std::optional<tokenization::TokenId> id =
        tokenizer.TokenToId(absl::string_view(token.data(), token.size()));
    special.push_back(id.has_value() && tokenizer.vocabulary().IsSpecial(*id));
  }
  return special;
}

absl::StatusOr<ModelAttention> ImdbAttention(const std::string& path, const std::string& text) {
  absl::StatusOr<tasks::imdb::ImdbModel> model = tasks::imdb::LoadImdbModel(path);
  if (!model.ok()) return model.status();
  const absl::string_view view(text.data(), text.size());
  absl::StatusOr<std::vector<tokenization::TokenId>> ids = model->tokenizer->Encode(
      view, tokenization::EncodeOptions().AddCls(model->input.add_cls));
  if (!ids.ok()) return ids.status();
  ModelAttention out;
  out.max_length = model->input.max_length;
  if (absl::Status s = CheckLength(ids->size(), out.max_length, ModelTask::kImdb); !s.ok()) {
    return s;
  }
  absl::StatusOr<tasks::imdb::AttentionMaps> maps = tasks::imdb::ComputeAttentionMaps(*model, view);
  if (!maps.ok()) return maps.status();
  out.tokens = std::move(maps->tokens);
  out.special = SpecialFlags(*model->tokenizer, out.tokens);
  out.weights = at::stack(maps->weights).to(at::kFloat);
  const auto& options = model->model->options;
  out.summary = absl::StrFormat(
      "IMDB classifier (d_model %d, layers %d, heads %d), step %d; predicted %s, p = %.3f",
      options.d_model(), options.layers(), options.heads(), model->step,
      tasks::imdb::LabelName(maps->prediction.label), maps->prediction.probability);
  return out;
}

absl::StatusOr<ModelAttention> WikiAttention(const std::string& path, const std::string& text) {
  absl::StatusOr<tasks::wiki::LoadedLm> lm = tasks::wiki::LoadLanguageModel(path);
  if (!lm.ok()) return lm.status();
  absl::StatusOr<std::vector<tokenization::TokenId>> ids =
      tasks::wiki::EncodePrompt(*lm->tokenizer, text);
  if (!ids.ok()) return ids.status();
  ModelAttention out;
  out.max_length = lm->model->options.context();
  if (absl::Status s = CheckLength(ids->size(), out.max_length, ModelTask::kWiki); !s.ok()) {
    return s;
  }
  absl::StatusOr<tasks::wiki::AttentionMaps> maps = tasks::wiki::ComputeAttentionMaps(*lm, text);
  if (!maps.ok()) return maps.status();
  out.tokens = std::move(maps->tokens);
  out.special = SpecialFlags(*lm->tokenizer, out.tokens);
  out.weights = at::stack(maps->layers).to(at::kFloat);
  const auto& options = lm->model->options;
  out.summary = absl::StrFormat("WikiText language model (d_model %d, layers %d, heads %d), step %d",
                                options.d_model(), options.layers(), options.heads(), lm->step);
  return out;
}

}  // namespace

absl::StatusOr<ModelTask> ParseModelTask(const std::string& name) {
  if (name == "imdb") return ModelTask::kImdb;
  if (name == "wiki") return ModelTask::kWiki;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown task \"", name, "\": expected imdb or wiki"));
}

std::string ModelTaskName(ModelTask task) { return task == ModelTask::kImdb ? "imdb" : "wiki"; }

absl::StatusOr<ModelAttention> ComputeModelAttention(ModelTask task,
                                                     const std::string& checkpoint_path,
                                                     const std::string& text) {
  std::error_code error;
  if (std::filesystem::is_directory(checkpoint_path, error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint ", checkpoint_path, " is a folder; name the .sfckpt file in it"));
  }
  if (!std::filesystem::is_regular_file(checkpoint_path, error)) {
    return absl::NotFoundError(absl::StrCat("checkpoint not found: ", checkpoint_path,
                                            error ? absl::StrCat(" (", error.message(), ")") : ""));
  }
  if (text.empty()) return absl::InvalidArgumentError("the text is empty: pass --text=\"...\"");
  return task == ModelTask::kImdb ? ImdbAttention(checkpoint_path, text)
                                  : WikiAttention(checkpoint_path, text);
}

}  // namespace sf::visualize
