#include "layers/transformer_decoder.h"

#include <vector>

#include <ATen/ops/index_select.h>
#include <c10/util/Exception.h>

namespace sf::layers {
namespace {

void ReorderKeyValues(attention::KeyValueCache& cache, const at::Tensor& indices) {
  if (cache.keys.defined() && indices.numel() > 0) {
    TORCH_CHECK(indices.max().item<int64_t>() < cache.keys.size(0), "DecoderCache::Reorder: index ",
                indices.max().item<int64_t>(), " out of range for a cache of ", cache.keys.size(0),
                " sequences");
  }
  if (cache.keys.defined()) {
    cache.keys = at::index_select(cache.keys, 0, indices);
    cache.values = at::index_select(cache.values, 0, indices);
    // The next append starts new buffers from the reordered rows; the old ones go now.
    cache.key_buffer = at::Tensor();
    cache.value_buffer = at::Tensor();
  }
}

}  // namespace

void DecoderCache::Reorder(const at::Tensor& indices) {
  TORCH_CHECK(indices.dim() == 1 && indices.scalar_type() == at::kLong,
              "DecoderCache::Reorder: indices must be int64 [new_batch], got ",
              indices.scalar_type(), " ", indices.sizes());
  if (indices.numel() > 0) {
    TORCH_CHECK(indices.min().item<int64_t>() >= 0, "DecoderCache::Reorder: negative index ",
                indices.min().item<int64_t>());
  }
  for (DecoderLayerCache& layer : layers) {
    ReorderKeyValues(layer.self_attention, indices);
    ReorderKeyValues(layer.cross_attention, indices);
  }
}

TransformerDecoderImpl::TransformerDecoderImpl(const TransformerDecoderOptions& options)
    : options(options) {
  reset();
}

void TransformerDecoderImpl::reset() {
  TORCH_CHECK(options.num_layers() >= 0, "TransformerDecoder: num_layers must be >= 0, got ",
              options.num_layers());
  CheckTransformerLayerOptions(options.layer(), "TransformerDecoder");
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.num_layers(); ++i) {
    layers->push_back(TransformerDecoderLayer(options.layer()));
  }
  if (UsesFinalNorm(options.final_norm(), options.layer())) {
    norm = register_module(
        "norm", torch::nn::LayerNorm(
                    torch::nn::LayerNormOptions(std::vector<int64_t>{options.layer().d_model()})
                        .eps(options.layer().layer_norm_eps())));
  }
}

TransformerDecoderLayerImpl& TransformerDecoderImpl::layer(int64_t i) {
  TORCH_CHECK(i >= 0 && i < static_cast<int64_t>(layers->size()), "TransformerDecoder: layer ", i,
              " out of range [0, ", layers->size(), ")");
  return layers->at<TransformerDecoderLayerImpl>(i);
}

void TransformerDecoderImpl::set_backend(attention::AttentionBackend backend) {
  options.layer().backend(backend);
  for (size_t i = 0; i < layers->size(); ++i) layer(i).set_backend(backend);
}

DecoderOutput TransformerDecoderImpl::Run(const at::Tensor& tgt, const at::Tensor& memory,
                                          const attention::MaskSpec& tgt_mask,
                                          const attention::MaskSpec& memory_mask,
                                          DecoderCache* cache, const at::Tensor& tgt_bias,
                                          const at::Tensor& memory_bias, bool need_weights) {
  TORCH_CHECK(tgt.dim() == 3 && tgt.size(2) == options.layer().d_model(),
              "TransformerDecoder: expected tgt [batch, len_t, ", options.layer().d_model(),
              "], got ", tgt.sizes());
  if (cache != nullptr) {
    TORCH_CHECK(cache->layers.empty() || cache->layers.size() == layers->size(),
                "TransformerDecoder: the cache holds ", cache->layers.size(),
                " layers, the decoder has ", layers->size());
    cache->layers.resize(layers->size());
  }
  DecoderOutput out;
  at::Tensor h = tgt;
  for (size_t i = 0; i < layers->size(); ++i) {
    DecoderLayerCache* layer_cache = cache != nullptr ? &cache->layers[i] : nullptr;
    if (need_weights) {
      DecoderLayerOutput step = layer(i).forward_with_weights(h, memory, tgt_mask, memory_mask,
                                                              layer_cache, tgt_bias, memory_bias);
      h = step.output;
      out.self_attention_weights.push_back(step.self_attention_weights);
      out.cross_attention_weights.push_back(step.cross_attention_weights);
    } else {
      h = layer(i).forward(h, memory, tgt_mask, memory_mask, layer_cache, tgt_bias, memory_bias);
    }
  }
  out.output = norm ? norm(h) : h;
  return out;
}

at::Tensor TransformerDecoderImpl::forward(const at::Tensor& tgt, const at::Tensor& memory,
                                           const attention::MaskSpec& tgt_mask,
                                           const attention::MaskSpec& memory_mask,
                                           DecoderCache* cache, const at::Tensor& tgt_bias,
                                           const at::Tensor& memory_bias) {
  return Run(tgt, memory, tgt_mask, memory_mask, cache, tgt_bias, memory_bias,
             /*need_weights=*/false)
      .output;
}

DecoderOutput TransformerDecoderImpl::forward_with_weights(
    const at::Tensor& tgt, const at::Tensor& memory, const attention::MaskSpec& tgt_mask,
    const attention::MaskSpec& memory_mask, DecoderCache* cache, const at::Tensor& tgt_bias,
    const at::Tensor& memory_bias) {
  return Run(tgt, memory, tgt_mask, memory_mask, cache, tgt_bias, memory_bias,
             /*need_weights=*/true);
}

}  // namespace sf::layers
