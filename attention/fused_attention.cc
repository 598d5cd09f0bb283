#include "attention/fused_attention.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_strided.h>
#include <ATen/ops/zeros_like.h>
#include <c10/util/Exception.h>
#include <torch/csrc/autograd/custom_function.h>

#include "attention/internal/fused_attention_kernel.h"

namespace sf::attention {
namespace {

using internal::AttentionProblem;
using internal::HeadGradients;
using internal::HeadProblem;
using internal::MaskRule;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

void CheckDropout(const char* where, double dropout_p) {
  TORCH_CHECK(dropout_p == 0.0, where, ": dropout is not implemented in the fused kernel (got "
              "dropout_p=", dropout_p, "); use the reference backend to train with attention "
              "dropout");
}

void CheckOperands(const char* where, const at::Tensor& q, const at::Tensor& k,
                   const at::Tensor& v, int64_t dim) {
  const char* names[] = {"query", "key", "value"};
  const at::Tensor* tensors[] = {&q, &k, &v};
  for (int n = 0; n < 3; ++n) {
    const at::Tensor& t = *tensors[n];
    TORCH_CHECK(t.defined(), where, ": ", names[n], " is undefined");
    TORCH_CHECK(t.device().is_cpu(), where, ": ", names[n], " must be on the CPU, got ",
                t.device());
    TORCH_CHECK(t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble, where, ": ",
                names[n], " must be float32 or float64, got ", t.scalar_type());
    TORCH_CHECK(t.scalar_type() == q.scalar_type(), where, ": ", names[n], " is ",
                t.scalar_type(), " but query is ", q.scalar_type());
    TORCH_CHECK(t.dim() == dim, where, ": ", names[n], " must have ", dim,
                " dimensions, got shape ", t.sizes());
    TORCH_CHECK(t.size(-1) > 0, where, ": ", names[n], " has an empty feature dimension, shape ",
                t.sizes());
  }
  TORCH_CHECK(q.size(-1) == k.size(-1), where, ": query and key feature sizes differ: ",
              q.sizes(), " vs ", k.sizes());
}

double ResolveScale(const char* where, std::optional<double> scale, int64_t dim) {
  const double s = scale.has_value() ? *scale : 1.0 / std::sqrt(static_cast<double>(dim));
  TORCH_CHECK(std::isfinite(s), where, ": scale must be finite, got ", s);
  return s;
}

// The kernel reads rows through strides but needs each row's elements adjacent.
at::Tensor RowsContiguous(const at::Tensor& t) {
  return t.stride(-1) == 1 || t.size(-1) == 1 ? t : t.contiguous();
}

// A tensor of logical shape [B, H, L, D] laid out as [B, L, H, D] (not a view, so callers
// may modify it in place).
at::Tensor EmptyHeadsMiddle(int64_t b, int64_t h, int64_t l, int64_t d,
                            const at::TensorOptions& options) {
  return at::empty_strided({b, h, l, d}, {l * h * d, d, h * d, 1}, options);
}

std::vector<int64_t> KeyLimits(const MaskSpec& mask, int64_t batch, int64_t len_k) {
  if (!mask.key_lengths().has_value()) return {len_k};
  const at::Tensor lengths = mask.key_lengths()->to(at::kLong).contiguous();
  TORCH_CHECK(lengths.dim() == 1 && (lengths.size(0) == batch || lengths.size(0) == 1),
              "FusedAttention: key lengths must have shape [", batch, "] (or [1]), got ",
              lengths.sizes());
  std::vector<int64_t> limits(lengths.data_ptr<int64_t>(),
                              lengths.data_ptr<int64_t>() + lengths.numel());
  for (int64_t limit : limits) {
    TORCH_CHECK(limit >= 0 && limit <= len_k, "FusedAttention: a key length (", limit,
                ") is outside [0, len_k=", len_k, "]");
  }
  return limits;
}

// Offsets of a cu_seqlens tensor, validated against the packed total and the maximum length.
std::vector<int64_t> SequenceOffsets(const char* name, const at::Tensor& cu, int64_t total,
                                     int64_t max_len) {
  TORCH_CHECK(cu.defined() && cu.dim() == 1 && cu.size(0) >= 1,
              "FusedAttentionVarlen: ", name, " must be a 1-D tensor [num_sequences + 1]");
  TORCH_CHECK(cu.scalar_type() == at::kInt || cu.scalar_type() == at::kLong,
              "FusedAttentionVarlen: ", name, " must be int32 or int64, got ", cu.scalar_type());
  TORCH_CHECK(cu.device().is_cpu(), "FusedAttentionVarlen: ", name,
              " must be on the CPU, got ", cu.device());
  const at::Tensor as_long = cu.to(at::kLong).contiguous();
  std::vector<int64_t> offsets(as_long.data_ptr<int64_t>(),
                               as_long.data_ptr<int64_t>() + as_long.numel());
  TORCH_CHECK(offsets.front() == 0, "FusedAttentionVarlen: ", name, "[0] must be 0, got ",
              offsets.front());
  TORCH_CHECK(offsets.back() == total, "FusedAttentionVarlen: ", name, " ends at ",
              offsets.back(), " but the packed tensor has ", total, " rows");
  for (size_t n = 0; n + 1 < offsets.size(); ++n) {
    const int64_t len = offsets[n + 1] - offsets[n];
    TORCH_CHECK(len >= 0, "FusedAttentionVarlen: ", name, " decreases at index ", n + 1);
    TORCH_CHECK(len <= max_len, "FusedAttentionVarlen: sequence ", n, " has length ", len,
                " (from ", name, "), more than the given maximum ", max_len);
  }
  return offsets;
}

// The kernel's description of a problem, read from tensors: dense [B, H, L, D] when `cu_q` is
// empty, packed [total, H, D] with per-sequence offsets otherwise. `lse` is [B, H, Lq] or
// [H, total_q], contiguous.
struct Layout {
  std::vector<int64_t> cu_q;  // empty for dense
  std::vector<int64_t> cu_k;
  std::vector<int64_t> key_limits;  // dense only: [B] or [1]
};

template <typename T>
T* RowPointer(const at::Tensor& t, int64_t outer, int64_t head, int64_t row, bool packed) {
  T* base = t.data_ptr<T>();
  return packed ? base + row * t.stride(0) + head * t.stride(1)
                : base + outer * t.stride(0) + head * t.stride(1) + row * t.stride(2);
}

int64_t RowStride(const at::Tensor& t, bool packed) { return packed ? t.stride(0) : t.stride(2); }

template <typename T>
AttentionProblem<T> MakeProblem(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const at::Tensor& out, const at::Tensor& lse,
                                const Layout& layout, const MaskRule& rule, double scale) {
  const bool packed = !layout.cu_q.empty();
  AttentionProblem<T> problem;
  problem.dim_qk = q.size(-1);
  problem.dim_v = v.size(-1);
  problem.scale = scale;
  problem.mask = rule;
  const int64_t heads = q.size(1);
  const int64_t outer = packed ? static_cast<int64_t>(layout.cu_q.size()) - 1 : q.size(0);
  problem.heads.reserve(outer * heads);
  for (int64_t n = 0; n < outer; ++n) {
    for (int64_t h = 0; h < heads; ++h) {
      HeadProblem<T> head;
      const int64_t q0 = packed ? layout.cu_q[n] : 0;
      const int64_t k0 = packed ? layout.cu_k[n] : 0;
      head.q = RowPointer<T>(q, n, h, q0, packed);
      head.q_stride = RowStride(q, packed);
      head.k = RowPointer<T>(k, n, h, k0, packed);
      head.k_stride = RowStride(k, packed);
      head.v = RowPointer<T>(v, n, h, k0, packed);
      head.v_stride = RowStride(v, packed);
      head.out = RowPointer<T>(out, n, h, q0, packed);
      head.out_stride = RowStride(out, packed);
      if (packed) {
        head.len_q = layout.cu_q[n + 1] - layout.cu_q[n];
        head.len_k = layout.cu_k[n + 1] - layout.cu_k[n];
        head.key_limit = head.len_k;
        head.lse = lse.data_ptr<T>() + h * lse.size(1) + q0;
      } else {
        head.len_q = q.size(2);
        head.len_k = k.size(2);
        head.key_limit = layout.key_limits[layout.key_limits.size() == 1 ? 0 : n];
        head.lse = lse.data_ptr<T>() + (n * heads + h) * head.len_q;
      }
      problem.heads.push_back(head);
    }
  }
  return problem;
}

template <typename T>
std::vector<HeadGradients<T>> MakeGradients(const at::Tensor& grad_out, const at::Tensor& dq,
                                            const at::Tensor& dk, const at::Tensor& dv,
                                            const Layout& layout) {
  const bool packed = !layout.cu_q.empty();
  const int64_t heads = dq.size(1);
  const int64_t outer = packed ? static_cast<int64_t>(layout.cu_q.size()) - 1 : dq.size(0);
  std::vector<HeadGradients<T>> grads;
  grads.reserve(outer * heads);
  for (int64_t n = 0; n < outer; ++n) {
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t q0 = packed ? layout.cu_q[n] : 0;
      const int64_t k0 = packed ? layout.cu_k[n] : 0;
      grads.push_back({RowPointer<T>(grad_out, n, h, q0, packed), RowStride(grad_out, packed),
                       RowPointer<T>(dq, n, h, q0, packed), RowStride(dq, packed),
                       RowPointer<T>(dk, n, h, k0, packed), RowStride(dk, packed),
                       RowPointer<T>(dv, n, h, k0, packed), RowStride(dv, packed)});
    }
  }
  return grads;
}

// Fills `out` (every row is written, so it may come from at::empty) and returns the
// log-sum-exp of the forward pass.
at::Tensor RunForwardInto(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                          const at::Tensor& out, const Layout& layout, const MaskRule& rule,
                          double scale) {
  const bool packed = !layout.cu_q.empty();
  const at::Tensor lse = packed ? at::empty({q.size(1), q.size(0)}, q.options())
                                : at::empty({q.size(0), q.size(1), q.size(2)}, q.options());
  if (q.scalar_type() == at::kFloat) {
    internal::FusedForward(MakeProblem<float>(q, k, v, out, lse, layout, rule, scale));
  } else {
    internal::FusedForward(MakeProblem<double>(q, k, v, out, lse, layout, rule, scale));
  }
  return lse;
}

// Output and log-sum-exp of the forward pass.
std::pair<at::Tensor, at::Tensor> RunForward(const at::Tensor& q, const at::Tensor& k,
                                             const at::Tensor& v, const Layout& layout,
                                             const MaskRule& rule, double scale) {
  const at::Tensor out =
      layout.cu_q.empty()
          ? EmptyHeadsMiddle(q.size(0), q.size(1), q.size(2), v.size(-1), q.options())
          : at::empty({q.size(0), q.size(1), v.size(-1)}, q.options());
  at::Tensor lse = RunForwardInto(q, k, v, out, layout, rule, scale);
  return {out, lse};
}

// Saves what backward needs besides tensors.
void SaveSettings(AutogradContext* ctx, const Layout& layout, const MaskRule& rule,
                  double scale) {
  ctx->saved_data["causal"] = rule.causal;
  ctx->saved_data["left"] = rule.left;
  ctx->saved_data["right"] = rule.right;
  ctx->saved_data["global"] = rule.global;
  ctx->saved_data["cu_q"] = layout.cu_q;
  ctx->saved_data["cu_k"] = layout.cu_k;
  ctx->saved_data["key_limits"] = layout.key_limits;
  ctx->saved_data["scale"] = scale;
}

struct Settings {
  Layout layout;
  MaskRule rule;
  double scale;
};

Settings LoadSettings(AutogradContext* ctx) {
  TORCH_CHECK(!at::GradMode::is_enabled(),
              "FusedAttention: the fused backward pass is not differentiable "
              "(create_graph=True is not supported)");
  Settings settings;
  settings.layout.cu_q = ctx->saved_data["cu_q"].toIntVector();
  settings.layout.cu_k = ctx->saved_data["cu_k"].toIntVector();
  settings.layout.key_limits = ctx->saved_data["key_limits"].toIntVector();
  settings.rule.causal = ctx->saved_data["causal"].toBool();
  settings.rule.left = ctx->saved_data["left"].toInt();
  settings.rule.right = ctx->saved_data["right"].toInt();
  settings.rule.global = ctx->saved_data["global"].toIntVector();
  settings.scale = ctx->saved_data["scale"].toDouble();
  return settings;
}

// Writes every row of dq, dk and dv (which may come from at::empty).
void RunBackwardInto(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const at::Tensor& out, const at::Tensor& lse, const at::Tensor& grad_out,
                     const at::Tensor& dq, const at::Tensor& dk, const at::Tensor& dv,
                     const Settings& s) {
  const at::Tensor grad_rows = RowsContiguous(grad_out);
  if (q.scalar_type() == at::kFloat) {
    internal::FusedBackward(MakeProblem<float>(q, k, v, out, lse, s.layout, s.rule, s.scale),
                            MakeGradients<float>(grad_rows, dq, dk, dv, s.layout));
  } else {
    internal::FusedBackward(MakeProblem<double>(q, k, v, out, lse, s.layout, s.rule, s.scale),
                            MakeGradients<double>(grad_rows, dq, dk, dv, s.layout));
  }
}

variable_list RunBackward(AutogradContext* ctx, const variable_list& grad_outputs) {
  const Settings settings = LoadSettings(ctx);
  const variable_list saved = ctx->get_saved_variables();
  const at::Tensor& q = saved[0];
  const at::Tensor& k = saved[1];
  const at::Tensor& v = saved[2];
  const at::Tensor& out = saved[3];
  const at::Tensor& lse = saved[4];
  at::Tensor grad_out = grad_outputs[0];
  if (!grad_out.defined()) grad_out = at::zeros_like(out);
  at::Tensor dq, dk, dv;
  if (!settings.layout.cu_q.empty()) {
    dq = at::empty(q.sizes(), q.options());
    dk = at::empty(k.sizes(), k.options());
    dv = at::empty(v.sizes(), v.options());
  } else {
    dq = EmptyHeadsMiddle(q.size(0), q.size(1), q.size(2), q.size(3), q.options());
    dk = EmptyHeadsMiddle(k.size(0), k.size(1), k.size(2), k.size(3), k.options());
    dv = EmptyHeadsMiddle(v.size(0), v.size(1), v.size(2), v.size(3), v.options());
  }
  RunBackwardInto(q, k, v, out, lse, grad_out, dq, dk, dv, settings);
  return {dq, dk, dv};
}

class FusedAttentionFunction : public torch::autograd::Function<FusedAttentionFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k,
                            const at::Tensor& v, const Layout& layout, const MaskRule& rule,
                            double scale) {
    auto [out, lse] = RunForward(q, k, v, layout, rule, scale);
    ctx->save_for_backward({q, k, v, out, lse});
    SaveSettings(ctx, layout, rule, scale);
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    variable_list grads = RunBackward(ctx, grad_outputs);
    // One entry per forward argument; the non-tensor ones get none.
    grads.resize(6);
    return grads;
  }
};

// q, k and v [B, H, L, D] as views of a packed projection [B, L, 3 * H * D].
struct PackedHeads {
  at::Tensor q, k, v;
};

PackedHeads SplitPacked(const at::Tensor& qkv, int64_t heads) {
  const at::Tensor split =
      qkv.view({qkv.size(0), qkv.size(1), 3, heads, qkv.size(2) / (3 * heads)});
  return {split.select(2, 0).transpose(1, 2), split.select(2, 1).transpose(1, 2),
          split.select(2, 2).transpose(1, 2)};
}

// [B, L, H * D] seen as [B, H, L, D]; a view whenever the strides allow one (always for the
// kernel's own output and for the usual incoming gradients).
at::Tensor HeadsView(const at::Tensor& t, int64_t heads) {
  return t.reshape({t.size(0), t.size(1), heads, t.size(2) / heads}).transpose(1, 2);
}

// Output [B, L, H * D] and log-sum-exp of self-attention on a packed projection.
std::pair<at::Tensor, at::Tensor> RunPackedForward(const at::Tensor& qkv, int64_t heads,
                                                   const Layout& layout, const MaskRule& rule,
                                                   double scale) {
  const PackedHeads in = SplitPacked(qkv, heads);
  const at::Tensor out = at::empty({qkv.size(0), qkv.size(1), qkv.size(2) / 3}, qkv.options());
  at::Tensor lse = RunForwardInto(in.q, in.k, in.v, HeadsView(out, heads), layout, rule, scale);
  return {out, lse};
}

// Autograd sees the packed projection as one tensor, so its gradient is written in one piece
// rather than assembled from three (what a chunk or split of the projection would cost).
class FusedSelfAttentionFunction
    : public torch::autograd::Function<FusedSelfAttentionFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& qkv, int64_t heads,
                            const Layout& layout, const MaskRule& rule, double scale) {
    auto [out, lse] = RunPackedForward(qkv, heads, layout, rule, scale);
    ctx->save_for_backward({qkv, out, lse});
    ctx->saved_data["heads"] = heads;
    SaveSettings(ctx, layout, rule, scale);
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const Settings settings = LoadSettings(ctx);
    const int64_t heads = ctx->saved_data["heads"].toInt();
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& qkv = saved[0];
    const at::Tensor& out = saved[1];
    const at::Tensor& lse = saved[2];
    at::Tensor grad_out = grad_outputs[0];
    if (!grad_out.defined()) grad_out = at::zeros_like(out);
    const at::Tensor grad_qkv = at::empty(qkv.sizes(), qkv.options());
    const PackedHeads in = SplitPacked(qkv, heads);
    const PackedHeads grads = SplitPacked(grad_qkv, heads);
    RunBackwardInto(in.q, in.k, in.v, HeadsView(out, heads), lse, HeadsView(grad_out, heads),
                    grads.q, grads.k, grads.v, settings);
    return {grad_qkv, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

at::Tensor Run(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
               const Layout& layout, const MaskRule& rule, double scale) {
  const bool needs_grad = at::GradMode::is_enabled() &&
                          (q.requires_grad() || k.requires_grad() || v.requires_grad());
  if (!needs_grad) return RunForward(q, k, v, layout, rule, scale).first;
  return FusedAttentionFunction::apply(q, k, v, layout, rule, scale);
}

struct DenseArgs {
  at::Tensor q, k, v;
  Layout layout;
  MaskRule rule;
  double scale;
};

DenseArgs PrepareDense(const char* where, const at::Tensor& query, const at::Tensor& key,
                       const at::Tensor& value, const MaskSpec& mask,
                       std::optional<double> scale) {
  CheckOperands(where, query, key, value, 4);
  TORCH_CHECK(query.size(0) == key.size(0) && key.size(0) == value.size(0), where,
              ": batch sizes differ: query ", query.sizes(), ", key ", key.sizes(), ", value ",
              value.sizes());
  TORCH_CHECK(query.size(1) == key.size(1) && key.size(1) == value.size(1), where,
              ": head counts differ: query ", query.sizes(), ", key ", key.sizes(), ", value ",
              value.sizes());
  TORCH_CHECK(key.size(2) == value.size(2), where, ": key and value lengths differ: ",
              key.sizes(), " vs ", value.sizes());
  DenseArgs args;
  args.q = RowsContiguous(query);
  args.k = RowsContiguous(key);
  args.v = RowsContiguous(value);
  args.layout.key_limits = KeyLimits(mask, query.size(0), key.size(2));
  args.rule = MaskRule::From(mask);
  args.scale = ResolveScale(where, scale, query.size(3));
  return args;
}

}  // namespace

at::Tensor FusedAttention(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value,
                          const MaskSpec& mask, std::optional<double> scale, double dropout_p) {
  CheckDropout("FusedAttention", dropout_p);
  DenseArgs args = PrepareDense("FusedAttention", query, key, value, mask, scale);
  return Run(args.q, args.k, args.v, args.layout, args.rule, args.scale);
}

std::tuple<at::Tensor, at::Tensor> FusedAttentionForward(const at::Tensor& query,
                                                         const at::Tensor& key,
                                                         const at::Tensor& value,
                                                         const MaskSpec& mask,
                                                         std::optional<double> scale) {
  DenseArgs args = PrepareDense("FusedAttentionForward", query, key, value, mask, scale);
  auto [out, lse] = RunForward(args.q, args.k, args.v, args.layout, args.rule, args.scale);
  return {out, lse};
}

at::Tensor FusedAttentionVarlen(const at::Tensor& query, const at::Tensor& key,
                                const at::Tensor& value, const at::Tensor& cu_seqlens_q,
                                const at::Tensor& cu_seqlens_k, int64_t max_seqlen_q,
                                int64_t max_seqlen_k, const MaskSpec& mask,
                                std::optional<double> scale, double dropout_p) {
  const char* where = "FusedAttentionVarlen";
  CheckDropout(where, dropout_p);
  CheckOperands(where, query, key, value, 3);
  TORCH_CHECK(query.size(1) == key.size(1) && key.size(1) == value.size(1), where,
              ": head counts differ: query ", query.sizes(), ", key ", key.sizes(), ", value ",
              value.sizes());
  TORCH_CHECK(key.size(0) == value.size(0), where, ": key and value have different token counts: ",
              key.sizes(), " vs ", value.sizes());
  TORCH_CHECK(!mask.key_lengths().has_value(), where,
              ": the mask carries key lengths, but a packed batch has no padding (sequence "
              "lengths come from cu_seqlens)");
  Layout layout;
  layout.cu_q = SequenceOffsets("cu_seqlens_q", cu_seqlens_q, query.size(0), max_seqlen_q);
  layout.cu_k = SequenceOffsets("cu_seqlens_k", cu_seqlens_k, key.size(0), max_seqlen_k);
  TORCH_CHECK(layout.cu_q.size() == layout.cu_k.size(), where, ": cu_seqlens_q describes ",
              layout.cu_q.size() - 1, " sequences but cu_seqlens_k ", layout.cu_k.size() - 1);
  return Run(RowsContiguous(query), RowsContiguous(key), RowsContiguous(value), layout,
             MaskRule::From(mask), ResolveScale(where, scale, query.size(2)));
}

at::Tensor FusedSelfAttention(const at::Tensor& qkv, int64_t heads, const MaskSpec& mask,
                              std::optional<double> scale, double dropout_p) {
  const char* where = "FusedSelfAttention";
  CheckDropout(where, dropout_p);
  TORCH_CHECK(qkv.defined() && qkv.dim() == 3, where,
              ": qkv must be [batch, len, 3 * heads * dim], got shape ",
              qkv.defined() ? qkv.sizes() : c10::IntArrayRef());
  TORCH_CHECK(heads > 0 && qkv.size(2) % (3 * heads) == 0, where, ": the last dimension of qkv (",
              qkv.size(2), ") is not 3 * heads (heads=", heads, ") * dim");
  const at::Tensor packed = RowsContiguous(qkv);
  const PackedHeads in = SplitPacked(packed, heads);
  CheckOperands(where, in.q, in.k, in.v, 4);
  Layout layout;
  layout.key_limits = KeyLimits(mask, packed.size(0), packed.size(1));
  const MaskRule rule = MaskRule::From(mask);
  const double resolved = ResolveScale(where, scale, in.q.size(3));
  if (!(at::GradMode::is_enabled() && packed.requires_grad())) {
    return RunPackedForward(packed, heads, layout, rule, resolved).first;
  }
  return FusedSelfAttentionFunction::apply(packed, heads, layout, rule, resolved);
}

bool FusedAttentionSupports(const at::Tensor& query) {
  return query.defined() && query.device().is_cpu() &&
         (query.scalar_type() == at::kFloat || query.scalar_type() == at::kDouble);
}

}  // namespace sf::attention
