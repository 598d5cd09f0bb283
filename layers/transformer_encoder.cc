#include "layers/transformer_encoder.h"

#include <vector>

#include <c10/util/Exception.h>

namespace sf::layers {

TransformerEncoderImpl::TransformerEncoderImpl(const TransformerEncoderOptions& options)
    : options(options) {
  reset();
}

void TransformerEncoderImpl::reset() {
  TORCH_CHECK(options.num_layers() >= 0, "TransformerEncoder: num_layers must be >= 0, got ",
              options.num_layers());
  CheckTransformerLayerOptions(options.layer(), "TransformerEncoder");
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.num_layers(); ++i) {
    layers->push_back(TransformerEncoderLayer(options.layer()));
  }
  if (UsesFinalNorm(options.final_norm(), options.layer())) {
    norm = register_module(
        "norm", torch::nn::LayerNorm(
                    torch::nn::LayerNormOptions(std::vector<int64_t>{options.layer().d_model()})
                        .eps(options.layer().layer_norm_eps())));
  }
}

TransformerEncoderLayerImpl& TransformerEncoderImpl::layer(int64_t i) {
  TORCH_CHECK(i >= 0 && i < static_cast<int64_t>(layers->size()), "TransformerEncoder: layer ", i,
              " out of range [0, ", layers->size(), ")");
  return layers->at<TransformerEncoderLayerImpl>(i);
}

void TransformerEncoderImpl::set_backend(attention::AttentionBackend backend) {
  options.layer().backend(backend);
  for (size_t i = 0; i < layers->size(); ++i) layer(i).set_backend(backend);
}

EncoderOutput TransformerEncoderImpl::Run(const at::Tensor& src, const attention::MaskSpec& mask,
                                          const at::Tensor& attn_bias, bool need_weights) {
  TORCH_CHECK(src.dim() == 3 && src.size(2) == options.layer().d_model(),
              "TransformerEncoder: expected src [batch, len, ", options.layer().d_model(),
              "], got ", src.sizes());
  EncoderOutput out;
  at::Tensor h = src;
  for (size_t i = 0; i < layers->size(); ++i) {
    if (need_weights) {
      EncoderLayerOutput step = layer(i).forward_with_weights(h, mask, attn_bias);
      h = step.output;
      out.self_attention_weights.push_back(step.self_attention_weights);
    } else {
      h = layer(i).forward(h, mask, attn_bias);
    }
  }
  out.output = norm ? norm(h) : h;
  return out;
}

at::Tensor TransformerEncoderImpl::forward(const at::Tensor& src, const attention::MaskSpec& mask,
                                           const at::Tensor& attn_bias) {
  return Run(src, mask, attn_bias, /*need_weights=*/false).output;
}

EncoderOutput TransformerEncoderImpl::forward_with_weights(const at::Tensor& src,
                                                           const attention::MaskSpec& mask,
                                                           const at::Tensor& attn_bias) {
  return Run(src, mask, attn_bias, /*need_weights=*/true);
}

}  // namespace sf::layers
