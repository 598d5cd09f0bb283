#include "attention/multi_head_attention.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include <ATen/ops/_scaled_dot_product_attention.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>
#include <torch/nn/init.h>

#include "attention/fused_attention.h"
#include "attention/linear.h"
#include "attention/scaled_dot_product_attention.h"

namespace sf::attention {
namespace {

constexpr char kName[] = "MultiHeadAttention";

// LibTorch's own attention (the math path in 1.13) with the project's mask: MaskSpec and bias
// become one additive mask. Rows with no allowed key get a finite dummy row there and are
// zeroed afterwards, so they behave as in the reference (zeros, finite gradients).
ScaledDotProductAttentionResult LibTorchAttention(const at::Tensor& q, const at::Tensor& k,
                                                  const at::Tensor& v, const MaskSpec& mask,
                                                  const at::Tensor& attn_bias, double dropout,
                                                  bool need_weights) {
  CheckAttentionArguments(q, k, v, attn_bias);
  const at::Tensor allowed = CombinedAllowedMask(mask, at::Tensor(), q, k);
  c10::optional<at::Tensor> additive;
  at::Tensor empty_rows;
  if (allowed.defined() || attn_bias.defined()) {
    at::Tensor sum = allowed.defined()
                         ? at::zeros(allowed.sizes(), q.options())
                               .masked_fill_(allowed.logical_not(),
                                             -std::numeric_limits<double>::infinity())
                         : at::zeros({1, 1, 1, 1}, q.options());
    if (attn_bias.defined()) sum = sum.add(attn_bias.to(q.scalar_type()));
    empty_rows = sum.isneginf().all(-1, /*keepdim=*/true);
    additive = sum.masked_fill(empty_rows, 0.0);
  }
  at::Tensor output, weights;
  std::tie(output, weights) = at::_scaled_dot_product_attention(
      q, k, v, additive, dropout, need_weights, /*is_causal=*/false);
  if (empty_rows.defined()) {
    output = output.masked_fill(empty_rows, 0.0);
    if (weights.defined()) weights = weights.masked_fill(empty_rows, 0.0);
  }
  return {output, need_weights ? weights : at::Tensor()};
}

// The kernel never forms the weights and takes no additive bias; dropout it rejects itself
// with a message naming the value.
void CheckFusedBackendOptions(bool need_weights, const at::Tensor& attn_bias) {
  TORCH_CHECK(!need_weights, kName,
              ": the fused backend never materialises attention weights; set "
              "need_weights(false) or use the reference backend");
  TORCH_CHECK(!attn_bias.defined(), kName,
              ": the fused backend takes no attn_bias (got shape ", attn_bias.sizes(),
              "); use the reference or libtorch backend");
}

// The one place where the backend is chosen. q [B, H, Lq, Dh], k/v [B, H, Lk, Dh]; returns the
// per-head output [B, H, Lq, Dh] and, with need_weights, the weights [B, H, Lq, Lk].
ScaledDotProductAttentionResult RunAttention(AttentionBackend backend, const at::Tensor& q,
                                             const at::Tensor& k, const at::Tensor& v,
                                             const MaskSpec& mask, const at::Tensor& attn_bias,
                                             double dropout, bool need_weights) {
  switch (backend) {
    case AttentionBackend::kReference:
      return ScaledDotProductAttention(q, k, v,
                                       ScaledDotProductAttentionOptions()
                                           .mask(mask)
                                           .attn_bias(attn_bias)
                                           .dropout(dropout)
                                           .training(dropout > 0.0)
                                           .need_weights(need_weights));
    case AttentionBackend::kLibTorch:
      return LibTorchAttention(q, k, v, mask, attn_bias, dropout, need_weights);
    case AttentionBackend::kFused:
      CheckFusedBackendOptions(need_weights, attn_bias);
      return {FusedAttention(q, k, v, mask, std::nullopt, dropout), at::Tensor()};
  }
  TORCH_CHECK(false, kName, ": unknown backend ", static_cast<int>(backend));
}

// [B, L, d_model] -> [B, heads, L, head_dim]
at::Tensor SplitHeads(const at::Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2);
}

// [B, heads, L, head_dim] -> [B, L, d_model]
at::Tensor MergeHeads(const at::Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

at::Tensor Rows(const at::Tensor& t, int64_t begin, int64_t end) {
  return t.defined() ? t.slice(0, begin, end) : at::Tensor();
}

void CheckKeyValue(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value,
                   int64_t d_model) {
  TORCH_CHECK(key.defined() && value.defined(), kName,
              ": key and value must both be defined (both may be undefined only to reuse a "
              "filled KeyValueCache)");
  TORCH_CHECK(key.dim() == 3 && key.size(2) == d_model, kName,
              ": key must be [batch, len_k, d_model=", d_model, "], got shape ", key.sizes());
  TORCH_CHECK(value.dim() == 3 && value.size(2) == d_model, kName,
              ": value must be [batch, len_k, d_model=", d_model, "], got shape ",
              value.sizes());
  TORCH_CHECK(key.size(0) == query.size(0) && value.size(0) == query.size(0), kName,
              ": batch sizes differ: query ", query.sizes(), ", key ", key.sizes(), ", value ",
              value.sizes());
  TORCH_CHECK(key.size(1) == value.size(1), kName, ": key length ", key.size(1),
              " != value length ", value.size(1), " (key ", key.sizes(), ", value ",
              value.sizes(), ")");
}

// True when `t` is the leading positions of `buffer` (same memory and layout) and no tensor
// but these two uses the memory: then writing past `t` in place changes nothing anyone else
// holds. A copy of the cache shares `t` itself (use count 2); any other view of the buffer,
// a truncated cache's old prefix included, is one more tensor on the storage.
bool IsGrowablePrefix(const at::Tensor& t, const at::Tensor& buffer) {
  return t.defined() && buffer.defined() && t.use_count() == 1 &&
         t.storage().is_alias_of(buffer.storage()) && buffer.storage().use_count() == 2 &&
         t.data_ptr() == buffer.data_ptr() && t.dtype() == buffer.dtype() &&
         t.device() == buffer.device() && t.dim() == 4 && t.size(0) == buffer.size(0) &&
         t.size(1) == buffer.size(1) && t.size(3) == buffer.size(3) &&
         t.size(2) <= buffer.size(2) && t.strides() == buffer.strides();
}

// Appends `added` [B, H, n, Dh] after `*prefix` in `*buffer`, starting a new buffer (capacity
// at least doubled) when the old one is missing, shared, or full; `*prefix` becomes the whole.
void AppendInPlace(at::Tensor* prefix, at::Tensor* buffer, const at::Tensor& added) {
  const int64_t length = prefix->defined() && prefix->dim() == 4 ? prefix->size(2) : 0;
  const int64_t needed = length + added.size(2);
  const bool growable = IsGrowablePrefix(*prefix, *buffer) && added.dtype() == buffer->dtype() &&
                        added.device() == buffer->device() && added.size(0) == buffer->size(0) &&
                        added.size(1) == buffer->size(1) && added.size(3) == buffer->size(3);
  if (!growable || needed > buffer->size(2)) {
    const int64_t capacity = std::max<int64_t>({needed, 2 * length, 16});
    at::Tensor grown =
        at::empty({added.size(0), added.size(1), capacity, added.size(3)}, added.options());
    if (length > 0) grown.narrow(2, 0, length).copy_(*prefix);
    *buffer = std::move(grown);
  }
  buffer->narrow(2, length, added.size(2)).copy_(added);
  *prefix = buffer->narrow(2, 0, needed);
}

// Appends the new keys/values to the cache and returns the whole cached prefix.
void AppendToCache(KeyValueCache* cache, at::Tensor* k, at::Tensor* v) {
  const bool cached = cache->length() > 0;
  if (cached) {
    TORCH_CHECK(cache->keys.size(0) == k->size(0) && cache->keys.size(1) == k->size(1) &&
                    cache->keys.size(3) == k->size(3),
                kName, ": the KeyValueCache holds keys of shape ", cache->keys.sizes(),
                " but the new keys are ", k->sizes(), " ([batch, heads, len, head_dim])");
  }
  const bool needs_graph =
      at::GradMode::is_enabled() &&
      (k->requires_grad() || v->requires_grad() ||
       (cached && (cache->keys.requires_grad() || cache->values.requires_grad())));
  if (needs_graph) {
    cache->key_buffer = at::Tensor();
    cache->value_buffer = at::Tensor();
    cache->keys = cached ? at::cat({cache->keys, *k}, 2) : *k;
    cache->values = cached ? at::cat({cache->values, *v}, 2) : *v;
  } else {
    AppendInPlace(&cache->keys, &cache->key_buffer, *k);
    AppendInPlace(&cache->values, &cache->value_buffer, *v);
  }
  *k = cache->keys;
  *v = cache->values;
}

}  // namespace

void KeyValueCache::Truncate(int64_t new_length) {
  TORCH_CHECK(new_length >= 0 && new_length <= length(), "KeyValueCache::Truncate: length ",
              new_length, " is outside [0, ", length(), "]");
  if (new_length == length()) return;
  keys = keys.narrow(2, 0, new_length);
  values = values.narrow(2, 0, new_length);
}

AttentionBackend ParseAttentionBackend(const std::string& name) {
  if (name == "reference") return AttentionBackend::kReference;
  if (name == "fused") return AttentionBackend::kFused;
  if (name == "libtorch") return AttentionBackend::kLibTorch;
  TORCH_CHECK(false, "unknown attention backend \"", name,
              "\" (expected \"reference\", \"fused\" or \"libtorch\")");
}

std::string AttentionBackendName(AttentionBackend backend) {
  switch (backend) {
    case AttentionBackend::kReference:
      return "reference";
    case AttentionBackend::kFused:
      return "fused";
    case AttentionBackend::kLibTorch:
      return "libtorch";
  }
  TORCH_CHECK(false, "unknown AttentionBackend ", static_cast<int>(backend));
}

MultiHeadAttentionImpl::MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options)
    : options(options) {
  reset();
}

void MultiHeadAttentionImpl::reset() {
  const int64_t d_model = options.d_model();
  const int64_t heads = options.heads();
  TORCH_CHECK(d_model > 0 && heads > 0, kName, ": d_model and heads must be > 0, got d_model=",
              d_model, ", heads=", heads);
  TORCH_CHECK(d_model % heads == 0, kName, ": d_model (", d_model,
              ") must be divisible by heads (", heads, ")");
  TORCH_CHECK(options.dropout() >= 0.0 && options.dropout() < 1.0, kName,
              ": dropout must be in [0, 1), got ", options.dropout());
  in_proj_weight = register_parameter("in_proj_weight", at::empty({3 * d_model, d_model}));
  in_proj_bias = options.bias() ? register_parameter("in_proj_bias", at::empty({3 * d_model}))
                                : at::Tensor();
  out_proj = register_module(
      "out_proj",
      torch::nn::Linear(torch::nn::LinearOptions(d_model, d_model).bias(options.bias())));
  reset_parameters();
}

void MultiHeadAttentionImpl::reset_parameters() {
  // torch::nn::MultiheadAttention's initialisation: Xavier-uniform input projection, zero
  // biases, and Linear's default for the output weights.
  c10::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(in_proj_weight);
  if (in_proj_bias.defined()) in_proj_bias.zero_();
  out_proj->reset_parameters();
  if (out_proj->bias.defined()) out_proj->bias.zero_();
}

AttentionOutput MultiHeadAttentionImpl::forward(const at::Tensor& query, const at::Tensor& key,
                                                const at::Tensor& value, const MaskSpec& mask,
                                                KeyValueCache* cache,
                                                const at::Tensor& attn_bias) {
  const int64_t d_model = options.d_model();
  const int64_t heads = options.heads();
  TORCH_CHECK(query.defined() && query.dim() == 3 && query.size(2) == d_model, kName,
              ": query must be [batch, len_q, d_model=", d_model, "], got shape ",
              query.defined() ? query.sizes() : c10::IntArrayRef());
  // Cross-attention decoding computes the encoder's keys/values once: later steps pass
  // undefined key/value and attend to the cache as it is.
  const bool reuse_cache = cache != nullptr && !key.defined() && !value.defined();
  if (reuse_cache) {
    TORCH_CHECK(cache->length() > 0, kName,
                ": key and value are undefined but the KeyValueCache is empty");
  } else {
    CheckKeyValue(query, key, value, d_model);
  }

  // Checked here for every backend: the fused kernel alone would also take one length for all.
  if (mask.key_lengths().has_value()) {
    TORCH_CHECK(mask.key_lengths()->dim() == 1 && mask.key_lengths()->size(0) == query.size(0),
                kName, ": the mask has ", mask.key_lengths()->numel(),
                " key lengths but the batch has ", query.size(0), " sequences");
  }
  const double dropout = is_training() ? options.dropout() : 0.0;
  const bool self_attention = !reuse_cache && query.is_same(key) && key.is_same(value);
  if (self_attention && cache == nullptr && options.backend() == AttentionBackend::kFused) {
    // The kernel reads the packed projection in place and writes the heads merged, and the
    // projection's gradient comes back in one piece: no layout copies either way.
    CheckFusedBackendOptions(options.need_weights(), attn_bias);
    AttentionOutput out;
    out.output = Linear(FusedSelfAttention(Linear(query, in_proj_weight, in_proj_bias), heads,
                                           mask, std::nullopt, dropout),
                        out_proj->weight, out_proj->bias);
    return out;
  }

  at::Tensor q, k, v;
  if (self_attention) {
    const std::vector<at::Tensor> qkv =
        Linear(query, in_proj_weight, in_proj_bias).chunk(3, -1);
    q = qkv[0];
    k = qkv[1];
    v = qkv[2];
  } else {
    q = Linear(query, Rows(in_proj_weight, 0, d_model), Rows(in_proj_bias, 0, d_model));
    if (!reuse_cache && key.is_same(value)) {
      const std::vector<at::Tensor> kv =
          Linear(key, Rows(in_proj_weight, d_model, 3 * d_model),
                     Rows(in_proj_bias, d_model, 3 * d_model))
              .chunk(2, -1);
      k = kv[0];
      v = kv[1];
    } else if (!reuse_cache) {
      k = Linear(key, Rows(in_proj_weight, d_model, 2 * d_model),
                     Rows(in_proj_bias, d_model, 2 * d_model));
      v = Linear(value, Rows(in_proj_weight, 2 * d_model, 3 * d_model),
                     Rows(in_proj_bias, 2 * d_model, 3 * d_model));
    }
  }
  q = SplitHeads(q, heads);
  if (!reuse_cache) {
    k = SplitHeads(k, heads);
    v = SplitHeads(v, heads);
  }
  if (cache != nullptr) {
    if (reuse_cache) {
      k = cache->keys;
      v = cache->values;
    } else {
      AppendToCache(cache, &k, &v);
    }
    TORCH_CHECK(k.size(0) == q.size(0), kName, ": the KeyValueCache holds ", k.size(0),
                " sequences but the query has ", q.size(0));
  }

  const ScaledDotProductAttentionResult attended =
      RunAttention(options.backend(), q, k, v, mask, attn_bias, dropout,
                   options.need_weights());
  AttentionOutput out;
  out.output = Linear(MergeHeads(attended.output), out_proj->weight, out_proj->bias);
  if (options.need_weights()) out.weights = attended.weights;
  return out;
}

}  // namespace sf::attention
