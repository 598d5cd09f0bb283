#include "attention/scaled_dot_product_attention.h"

#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ExpandUtils.h>
#include <ATen/ops/empty_like.h>
#include <c10/util/Exception.h>
#include <c10/util/Optional.h>

namespace sf::attention {
namespace {

constexpr char kName[] = "ScaledDotProductAttention";

void CheckInputs(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value) {
  TORCH_CHECK(query.defined() && key.defined() && value.defined(), kName,
              ": query, key and value must be defined");
  TORCH_CHECK(query.dim() == 4, kName,
              ": query must be 4-D [batch, heads, len_q, head_dim], got shape ", query.sizes());
  TORCH_CHECK(key.dim() == 4, kName,
              ": key must be 4-D [batch, heads, len_k, head_dim], got shape ", key.sizes());
  TORCH_CHECK(value.dim() == 4, kName,
              ": value must be 4-D [batch, heads, len_k, value_dim], got shape ", value.sizes());
  TORCH_CHECK(query.size(0) == key.size(0) && key.size(0) == value.size(0) &&
                  query.size(1) == key.size(1) && key.size(1) == value.size(1),
              kName, ": batch and heads differ between query ", query.sizes(), ", key ",
              key.sizes(), " and value ", value.sizes());
  TORCH_CHECK(query.size(3) == key.size(3), kName, ": query head_dim ", query.size(3),
              " != key head_dim ", key.size(3), " (query ", query.sizes(), ", key ", key.sizes(),
              ")");
  TORCH_CHECK(key.size(2) == value.size(2), kName, ": key length ", key.size(2),
              " != value length ", value.size(2), " (key ", key.sizes(), ", value ",
              value.sizes(), ")");
  TORCH_CHECK(at::isFloatingType(query.scalar_type()), kName,
              ": query must be floating point, got ", query.scalar_type());
  TORCH_CHECK(key.scalar_type() == query.scalar_type() &&
                  value.scalar_type() == query.scalar_type(),
              kName, ": query, key and value dtypes differ: ", query.scalar_type(), ", ",
              key.scalar_type(), ", ", value.scalar_type());
}

std::vector<int64_t> ScoreShape(const at::Tensor& query, const at::Tensor& key) {
  return {query.size(0), query.size(1), query.size(2), key.size(2)};
}

at::Tensor Dropout(const at::Tensor& weights, double p, const std::optional<at::Generator>& gen) {
  if (p >= 1.0) return weights.mul(0.0);
  c10::optional<at::Generator> generator;
  if (gen.has_value()) generator = *gen;
  const at::Tensor keep = at::empty_like(weights).bernoulli_(1.0 - p, generator);
  return weights.mul(keep).div_(1.0 - p);
}

}  // namespace

void CheckAttentionArguments(const at::Tensor& query, const at::Tensor& key,
                             const at::Tensor& value, const at::Tensor& attn_bias) {
  CheckInputs(query, key, value);
  if (!attn_bias.defined()) return;
  const std::vector<int64_t> scores = ScoreShape(query, key);
  TORCH_CHECK(at::isFloatingType(attn_bias.scalar_type()), kName,
              ": attn_bias must be floating point, got ", attn_bias.scalar_type());
  TORCH_CHECK(attn_bias.dim() <= 4 && at::is_expandable_to(attn_bias.sizes(), scores), kName,
              ": attn_bias of shape ", attn_bias.sizes(),
              " does not broadcast to the scores [batch, heads, len_q, len_k] = ",
              c10::IntArrayRef(scores));
}

at::Tensor CombinedAllowedMask(const MaskSpec& mask, const at::Tensor& dense_mask,
                               const at::Tensor& query, const at::Tensor& key) {
  const std::vector<int64_t> scores = ScoreShape(query, key);
  at::Tensor allowed;
  if (!mask.is_unrestricted()) {
    if (mask.key_lengths().has_value()) {
      TORCH_CHECK(mask.key_lengths()->size(0) == scores[0], kName, ": the mask has ",
                  mask.key_lengths()->size(0), " key lengths but the batch has ", scores[0],
                  " sequences");
    }
    allowed = mask.Materialize(scores[2], scores[3]).to(query.device());
  }
  if (dense_mask.defined()) {
    TORCH_CHECK(dense_mask.scalar_type() == at::kBool, kName,
                ": dense_mask must be bool (true = allowed), got ", dense_mask.scalar_type());
    TORCH_CHECK(dense_mask.dim() <= 4 && at::is_expandable_to(dense_mask.sizes(), scores),
                kName, ": dense_mask of shape ", dense_mask.sizes(),
                " does not broadcast to the scores [batch, heads, len_q, len_k] = ",
                c10::IntArrayRef(scores));
    const at::Tensor dense = dense_mask.to(query.device());
    allowed = allowed.defined() ? allowed.logical_and(dense) : dense;
  }
  return allowed;
}

ScaledDotProductAttentionResult ScaledDotProductAttention(
    const at::Tensor& query, const at::Tensor& key, const at::Tensor& value,
    const ScaledDotProductAttentionOptions& options) {
  CheckAttentionArguments(query, key, value, options.attn_bias());
  TORCH_CHECK(options.dropout() >= 0.0 && options.dropout() <= 1.0, kName,
              ": dropout must be in [0, 1], got ", options.dropout());
  const double scale =
      options.scale().value_or(1.0 / std::sqrt(static_cast<double>(query.size(3))));

  // Scaling q rather than the scores costs Lq*D instead of Lq*Lk multiplications.
  at::Tensor scores = query.mul(scale).matmul(key.transpose(-2, -1));
  const at::Tensor& bias = options.attn_bias();
  if (bias.defined()) scores = scores.add(bias.to(scores.scalar_type()));
  const at::Tensor allowed = CombinedAllowedMask(options.mask(), options.dense_mask(), query, key);
  if (allowed.defined()) {
    scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<double>::infinity());
  }

  // softmax over a row of -inf is 0/0. Such rows get finite scores before the softmax and
  // their weights are zeroed after it; masked_fill passes no gradient into them, so their
  // gradients are zero too.
  at::Tensor empty_rows;
  if (allowed.defined() || bias.defined()) {
    empty_rows = scores.isneginf().all(-1, /*keepdim=*/true);
    scores = scores.masked_fill(empty_rows, 0.0);
  }
  at::Tensor weights = scores.softmax(-1);
  if (empty_rows.defined()) weights = weights.masked_fill(empty_rows, 0.0);
  if (options.training() && options.dropout() > 0.0) {
    weights = Dropout(weights, options.dropout(), options.generator());
  }

  ScaledDotProductAttentionResult result;
  result.output = weights.matmul(value);
  if (options.need_weights()) result.weights = weights;
  return result;
}

}  // namespace sf::attention
