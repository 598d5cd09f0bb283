#include "layers/transformer_layer_options.h"

#include <c10/util/Exception.h>

namespace sf::layers {
namespace {

// Restores the attention module's backend and need_weights, also when forward throws.
class ScopedAttentionMode {
 public:
  ScopedAttentionMode(attention::MultiHeadAttentionOptions& options, bool need_weights)
      : options_(options), backend_(options.backend()), need_weights_(options.need_weights()) {
    options_.need_weights(need_weights);
    if (need_weights && backend_ == attention::AttentionBackend::kFused) {
      options_.backend(attention::AttentionBackend::kReference);
    }
  }
  ~ScopedAttentionMode() {
    options_.backend(backend_);
    options_.need_weights(need_weights_);
  }
  ScopedAttentionMode(const ScopedAttentionMode&) = delete;
  ScopedAttentionMode& operator=(const ScopedAttentionMode&) = delete;

 private:
  attention::MultiHeadAttentionOptions& options_;
  attention::AttentionBackend backend_;
  bool need_weights_;
};

}  // namespace

void CheckTransformerLayerOptions(const TransformerLayerOptions& options, const char* owner) {
  TORCH_CHECK(options.d_model() > 0 && options.heads() > 0 && options.d_ff() > 0, owner,
              ": d_model, heads and d_ff must be positive, got d_model=", options.d_model(),
              " heads=", options.heads(), " d_ff=", options.d_ff());
  TORCH_CHECK(options.d_model() % options.heads() == 0, owner, ": d_model ", options.d_model(),
              " is not divisible by heads ", options.heads());
  TORCH_CHECK(options.dropout() >= 0.0 && options.dropout() < 1.0, owner,
              ": dropout must be in [0, 1), got ", options.dropout());
  const double attention_dropout = options.attention_dropout().value_or(options.dropout());
  TORCH_CHECK(attention_dropout >= 0.0 && attention_dropout < 1.0, owner,
              ": attention_dropout must be in [0, 1), got ", attention_dropout);
}

attention::MultiHeadAttentionOptions AttentionOptionsFor(const TransformerLayerOptions& options) {
  return attention::MultiHeadAttentionOptions(options.d_model(), options.heads())
      .dropout(options.attention_dropout().value_or(options.dropout()))
      .backend(options.backend());
}

ResidualNormOptions ResidualOptionsFor(const TransformerLayerOptions& options) {
  return ResidualNormOptions(options.d_model())
      .placement(options.norm_placement())
      .dropout(options.dropout())
      .eps(options.layer_norm_eps());
}

PositionwiseFeedForwardOptions FeedForwardOptionsFor(const TransformerLayerOptions& options) {
  return PositionwiseFeedForwardOptions(options.d_model(), options.d_ff())
      .activation(options.activation())
      .dropout(options.dropout());
}

bool UsesFinalNorm(const std::optional<bool>& final_norm, const TransformerLayerOptions& layer) {
  return final_norm.value_or(layer.norm_placement() == NormPlacement::kPreNorm);
}

attention::AttentionOutput Attend(attention::MultiHeadAttention& attention, const at::Tensor& query,
                                  const at::Tensor& key, const at::Tensor& value,
                                  const attention::MaskSpec& mask, attention::KeyValueCache* cache,
                                  const at::Tensor& attn_bias, bool need_weights) {
  ScopedAttentionMode mode(attention->options, need_weights);
  return attention->forward(query, key, value, mask, cache, attn_bias);
}

}  // namespace sf::layers
