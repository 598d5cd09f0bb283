#include "layers/transformer_decoder.h"

#include <vector>

#include <ATen/ops/index_select.h>
#include <c10/util/Exception.h>

namespace sf::layers {
namespace {

// The sequences `indices` of `*prefix` ([B, H, L, Dh]). When `*prefix` is the leading
// positions of `*buffer` (a cache that grows in place), whole rows of the buffer are selected,
// spare capacity included, so the next append still writes in place instead of copying the
// reordered prefix once more into a new buffer. Otherwise the prefix alone is selected and the
// buffer dropped. Tensors taken from the cache before keep their values either way.
void ReorderRows(at::Tensor* prefix, at::Tensor* buffer, const at::Tensor& indices) {
  const bool in_buffer = buffer->defined() && !prefix->requires_grad() &&
                         prefix->storage().is_alias_of(buffer->storage()) &&
                         prefix->data_ptr() == buffer->data_ptr() && prefix->dim() == 4 &&
                         buffer->dim() == 4 && prefix->strides() == buffer->strides() &&
                         prefix->size(0) == buffer->size(0) && prefix->size(1) == buffer->size(1) &&
                         prefix->size(3) == buffer->size(3) && prefix->size(2) <= buffer->size(2);
  if (in_buffer) {
    const int64_t length = prefix->size(2);
    *buffer = at::index_select(*buffer, 0, indices);
    *prefix = buffer->narrow(2, 0, length);
  } else {
    *prefix = at::index_select(*prefix, 0, indices);
    *buffer = at::Tensor();
  }
}

void ReorderKeyValues(attention::KeyValueCache& cache, const at::Tensor& indices) {
  if (!cache.keys.defined()) return;
  if (indices.numel() > 0) {
    TORCH_CHECK(indices.max().item<int64_t>() < cache.keys.size(0), "DecoderCache::Reorder: index ",
                indices.max().item<int64_t>(), " out of range for a cache of ", cache.keys.size(0),
                " sequences");
  }
  ReorderRows(&cache.keys, &cache.key_buffer, indices);
  ReorderRows(&cache.values, &cache.value_buffer, indices);
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
