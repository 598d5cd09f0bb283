#include "layers/transformer_encoder_layer.h"

#include <c10/util/Exception.h>

namespace sf::layers {

TransformerEncoderLayerImpl::TransformerEncoderLayerImpl(const TransformerLayerOptions& options)
    : options(options) {
  reset();
}

void TransformerEncoderLayerImpl::reset() {
  CheckTransformerLayerOptions(options, "TransformerEncoderLayer");
  self_attn =
      register_module("self_attn", attention::MultiHeadAttention(AttentionOptionsFor(options)));
  self_attn_residual =
      register_module("self_attn_residual", ResidualNorm(ResidualOptionsFor(options)));
  ffn = register_module("ffn", PositionwiseFeedForward(FeedForwardOptionsFor(options)));
  ffn_residual = register_module("ffn_residual", ResidualNorm(ResidualOptionsFor(options)));
}

void TransformerEncoderLayerImpl::set_backend(attention::AttentionBackend backend) {
  options.backend(backend);
  self_attn->set_backend(backend);
}

EncoderLayerOutput TransformerEncoderLayerImpl::Run(const at::Tensor& src,
                                                    const attention::MaskSpec& mask,
                                                    const at::Tensor& attn_bias,
                                                    bool need_weights) {
  TORCH_CHECK(src.dim() == 3 && src.size(2) == options.d_model(),
              "TransformerEncoderLayer: expected src [batch, len, ", options.d_model(), "], got ",
              src.sizes());
  EncoderLayerOutput out;
  at::Tensor h = self_attn_residual->forward(src, [&](const at::Tensor& x) {
    attention::AttentionOutput a =
        Attend(self_attn, x, x, x, mask, /*cache=*/nullptr, attn_bias, need_weights);
    out.self_attention_weights = a.weights;
    return a.output;
  });
  out.output = ffn_residual->forward(h, [&](const at::Tensor& x) { return ffn->forward(x); });
  return out;
}

at::Tensor TransformerEncoderLayerImpl::forward(const at::Tensor& src,
                                                const attention::MaskSpec& mask,
                                                const at::Tensor& attn_bias) {
  return Run(src, mask, attn_bias, /*need_weights=*/false).output;
}

EncoderLayerOutput TransformerEncoderLayerImpl::forward_with_weights(
    const at::Tensor& src, const attention::MaskSpec& mask, const at::Tensor& attn_bias) {
  return Run(src, mask, attn_bias, /*need_weights=*/true);
}

}  // namespace sf::layers
