#include "tasks/wiki/causal_lm.h"

#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/options/normalization.h>

#include "absl/strings/str_cat.h"
#include "attention/masks.h"
#include "layers/activation.h"
#include "layers/transformer_layer_options.h"

namespace sf::tasks::wiki {
namespace {

// The layer options every block is made of: pre-LN, GELU, no attention dropout.
layers::TransformerLayerOptions BlockOptions(const CausalLmOptions& options) {
  return layers::TransformerLayerOptions(options.d_model(), options.heads())
      .d_ff(options.d_ff())
      .dropout(options.dropout())
      .attention_dropout(0.0)
      .activation(layers::Activation::kGELU)
      .norm_placement(layers::NormPlacement::kPreNorm)
      .backend(options.backend());
}

}  // namespace

nlohmann::json ToJson(const CausalLmOptions& options) {
  return {{"vocab_size", options.vocab_size()},
          {"d_model", options.d_model()},
          {"heads", options.heads()},
          {"layers", options.layers()},
          {"d_ff", options.d_ff()},
          {"context", options.context()},
          {"dropout", options.dropout()},
          {"backend", attention::AttentionBackendName(options.backend())},
          {"cutoffs", options.cutoffs()}};
}

absl::StatusOr<CausalLmOptions> CausalLmOptionsFromJson(const nlohmann::json& json) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("model configuration is not a JSON object: ", json.dump()));
  }
  for (const char* key : {"vocab_size", "d_model", "heads", "layers", "d_ff", "context"}) {
    if (!json.contains(key) || !json[key].is_number_integer() || json[key].get<int64_t>() < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "model configuration: '", key, "' must be a positive integer, got ",
          json.contains(key) ? json[key].dump() : std::string("nothing")));
    }
  }
  CausalLmOptions options(json["vocab_size"].get<int64_t>());
  options.d_model(json["d_model"].get<int64_t>())
      .heads(json["heads"].get<int64_t>())
      .layers(json["layers"].get<int64_t>())
      .d_ff(json["d_ff"].get<int64_t>())
      .context(json["context"].get<int64_t>());
  if (options.d_model() % options.heads() != 0) {
    return absl::InvalidArgumentError(absl::StrCat("model configuration: d_model ",
                                                   options.d_model(), " is not divisible by ",
                                                   options.heads(), " heads"));
  }
  if (json.contains("dropout")) {
    if (!json["dropout"].is_number()) {
      return absl::InvalidArgumentError(
          absl::StrCat("model configuration: 'dropout' is not a number: ", json["dropout"].dump()));
    }
    options.dropout(json["dropout"].get<double>());
  }
  if (json.contains("backend")) {
    if (!json["backend"].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "model configuration: 'backend' is not a string: ", json["backend"].dump()));
    }
    const std::string name = json["backend"].get<std::string>();
    if (name != "reference" && name != "fused" && name != "libtorch") {
      return absl::InvalidArgumentError(
          absl::StrCat("model configuration: unknown attention backend '", name, "'"));
    }
    options.backend(attention::ParseAttentionBackend(name));
  }
  if (json.contains("cutoffs")) {
    std::vector<int64_t> cutoffs;
    int64_t previous = 0;
    const nlohmann::json& list = json["cutoffs"];
    bool valid = list.is_array();
    for (size_t i = 0; valid && i < list.size(); ++i) {
      valid = list[i].is_number_integer() && list[i].get<int64_t>() > previous &&
              list[i].get<int64_t>() < options.vocab_size();
      if (valid) previous = list[i].get<int64_t>();
      cutoffs.push_back(previous);
    }
    if (!valid) {
      return absl::InvalidArgumentError(absl::StrCat(
          "model configuration: 'cutoffs' must be increasing integers below the vocabulary size ",
          options.vocab_size(), ", got ", list.dump()));
    }
    options.cutoffs(cutoffs);
  }
  return options;
}

CausalBlockImpl::CausalBlockImpl(const CausalLmOptions& options) {
  const layers::TransformerLayerOptions layer = BlockOptions(options);
  layers::CheckTransformerLayerOptions(layer, "CausalBlock");
  self_attn = register_module(
      "self_attn", attention::MultiHeadAttention(layers::AttentionOptionsFor(layer)));
  attn_residual =
      register_module("attn_residual", layers::ResidualNorm(layers::ResidualOptionsFor(layer)));
  ffn = register_module("ffn",
                        layers::PositionwiseFeedForward(layers::FeedForwardOptionsFor(layer)));
  ffn_residual =
      register_module("ffn_residual", layers::ResidualNorm(layers::ResidualOptionsFor(layer)));
}

at::Tensor CausalBlockImpl::forward(const at::Tensor& x, attention::KeyValueCache* cache,
                                    bool need_weights, at::Tensor* weights) {
  at::Tensor h = attn_residual->forward(x, [&](const at::Tensor& normed) {
    attention::AttentionOutput out =
        layers::Attend(self_attn, normed, normed, normed, attention::MaskSpec::Causal(), cache,
                       at::Tensor(), need_weights);
    if (weights != nullptr) *weights = out.weights;
    return out.output;
  });
  return ffn_residual->forward(h, [&](const at::Tensor& normed) { return ffn->forward(normed); });
}

CausalLmImpl::CausalLmImpl(const CausalLmOptions& options_) : options(options_) {
  TORCH_CHECK(options.vocab_size() > 0 && options.layers() > 0 && options.context() > 0,
              "CausalLm: vocab_size, layers and context must be positive, got ",
              options.vocab_size(), ", ", options.layers(), ", ", options.context());
  if (options.cutoffs().empty()) {
    embedding = register_module("embedding", layers::TokenEmbedding(layers::TokenEmbeddingOptions(
                                                  options.vocab_size(), options.d_model())));
    head = register_module(
        "head", layers::OutputProjection(
                    layers::OutputProjectionOptions(options.d_model(), options.vocab_size()),
                    embedding));
  } else {
    adaptive = register_module(
        "adaptive", TiedAdaptiveSoftmax(
                        TiedAdaptiveSoftmaxOptions(options.vocab_size(), options.d_model())
                            .cutoffs(options.cutoffs())));
  }
  positions = register_module(
      "positions", attention::SinusoidalPositionalEncoding(
                       attention::SinusoidalPositionalEncodingOptions(options.d_model())
                           .max_len(options.context())));
  embedding_dropout =
      register_module("embedding_dropout", torch::nn::Dropout(options.dropout()));
  for (int64_t i = 0; i < options.layers(); ++i) {
    blocks.push_back(register_module(absl::StrCat("block", i), CausalBlock(options)));
  }
  final_norm = register_module(
      "final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.d_model()})));
}

CausalLmOutput CausalLmImpl::forward(const at::Tensor& tokens, CausalLmCache* cache,
                                     bool need_weights) {
  TORCH_CHECK(tokens.dim() == 2, "CausalLm: tokens must be [batch, len], got ", tokens.sizes());
  const int64_t offset = cache != nullptr ? cache->length() : 0;
  TORCH_CHECK(offset + tokens.size(1) <= options.context(), "CausalLm: ", offset,
              " cached + ", tokens.size(1), " new positions exceed the context of ",
              options.context());
  if (cache != nullptr && cache->layers.empty()) cache->layers.resize(blocks.size());
  CausalLmOutput out;
  at::Tensor x = embedding_dropout->forward(positions->forward(
      adaptive ? adaptive->embed(tokens) : embedding->forward(tokens), offset));
  for (size_t i = 0; i < blocks.size(); ++i) {
    at::Tensor weights;
    x = blocks[i]->forward(x, cache != nullptr ? &cache->layers[i] : nullptr, need_weights,
                           &weights);
    if (need_weights) out.weights.push_back(weights);
  }
  out.hidden = final_norm->forward(x);
  return out;
}

at::Tensor CausalLmImpl::logits(const at::Tensor& hidden) {
  return adaptive ? adaptive->log_probs(hidden) : head->forward(hidden);
}

at::Tensor CausalLmImpl::target_log_probs(const at::Tensor& hidden, const at::Tensor& targets) {
  if (adaptive) return adaptive->target_log_probs(hidden, targets);
  return at::log_softmax(head->forward(hidden), -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1);
}

void CausalLmImpl::set_backend(attention::AttentionBackend backend) {
  options.backend(backend);
  for (CausalBlock& block : blocks) block->self_attn->set_backend(backend);
}

at::Tensor NextTokenLoss(CausalLm& model, const at::Tensor& hidden, const at::Tensor& targets) {
  if (model->adaptive) return -model->adaptive->target_log_probs(hidden, targets).mean();
  const at::Tensor logits = model->head->forward(hidden);
  return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                              targets.reshape({-1}));
}

}  // namespace sf::tasks::wiki
