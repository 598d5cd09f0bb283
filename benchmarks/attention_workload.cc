#include "benchmarks/attention_workload.h"

#include <limits>
#include <tuple>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

namespace sf::benchmarks {

using attention::AttentionBackend;
using attention::MaskSpec;

AttentionWorkload::AttentionWorkload(const AttentionCase& c)
    : case_(c),
      x_(at::randn({c.batch, c.length, c.d_model})),
      grad_output_(at::randn({c.batch, c.length, c.d_model})),
      ours_(attention::MultiHeadAttentionOptions(c.d_model, c.heads)),
      torch_mha_(torch::nn::MultiheadAttentionOptions(c.d_model, c.heads)) {
  if (c.mask == "causal") {
    mask_ = MaskSpec::Causal();
  } else if (c.mask == "window") {
    mask_ = MaskSpec().WithSlidingWindow(kWindowHalfWidth, kWindowHalfWidth);
  } else if (c.mask == "padding") {
    std::vector<int64_t> lengths;
    for (int64_t b = 0; b < c.batch; ++b) lengths.push_back(KeyLength(c, b));
    mask_ = MaskSpec().WithKeyLengths(at::tensor(lengths, at::kLong));
    key_padding_ = attention::KeyPaddingMask(*mask_.key_lengths(), c.length).logical_not();
  } else {
    TORCH_CHECK(c.mask == "none", "unknown mask '", c.mask, "'");
  }
  if (c.mask == "causal" || c.mask == "window") {
    // Additive float mask: LibTorch 1.13's C++ multi_head_attention_forward adds an attn_mask
    // to the scores rather than masking with a bool one.
    const at::Tensor allowed = mask_.Materialize(c.length, c.length).squeeze(0).squeeze(0);
    blocked_ = at::zeros({c.length, c.length})
                   .masked_fill_(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  }
  at::NoGradGuard no_grad;
  // Non-zero biases so the agreement covers them; the same weights in both modules.
  ours_->in_proj_bias.uniform_(-0.1, 0.1);
  ours_->out_proj->bias.uniform_(-0.1, 0.1);
  torch_mha_->in_proj_weight.copy_(ours_->in_proj_weight);
  torch_mha_->in_proj_bias.copy_(ours_->in_proj_bias);
  torch_mha_->out_proj->weight.copy_(ours_->out_proj->weight);
  torch_mha_->out_proj->bias.copy_(ours_->out_proj->bias);
  ours_->eval();
  torch_mha_->eval();
}

at::Tensor AttentionWorkload::Forward(const std::string& implementation) {
  if (implementation == "reference" || implementation == "fused" || implementation == "sdpa") {
    ours_->set_backend(implementation == "reference" ? AttentionBackend::kReference
                       : implementation == "fused"   ? AttentionBackend::kFused
                                                     : AttentionBackend::kLibTorch);
    return ours_->forward(x_, x_, x_, mask_).output;
  }
  if (implementation == "torch_mha") {
    const at::Tensor seq_first = x_.transpose(0, 1);
    return std::get<0>(torch_mha_->forward(seq_first, seq_first, seq_first, key_padding_,
                                           /*need_weights=*/false, blocked_))
        .transpose(0, 1);
  }
  TORCH_CHECK(implementation == "native_mha", "unknown implementation '", implementation, "'");
  // nn.MultiheadAttention in 1.13 takes this fast path only without an attention mask, and the
  // kernel checks that a mask has the batch as its first dimension: key padding only
  // (mask_type 1, true = masked out).
  TORCH_CHECK(!blocked_.defined(), "at::_native_multi_head_attention (LibTorch 1.13) takes no ",
              case_.mask, " mask, only key padding");
  c10::optional<at::Tensor> mask;
  c10::optional<int64_t> mask_type;
  if (key_padding_.defined()) {
    mask = key_padding_;
    mask_type = 1;
  }
  return std::get<0>(at::_native_multi_head_attention(
      x_, x_, x_, case_.d_model, case_.heads, ours_->in_proj_weight, ours_->in_proj_bias,
      ours_->out_proj->weight, ours_->out_proj->bias, mask, /*need_weights=*/false,
      /*average_attn_weights=*/true, mask_type));
}

void AttentionWorkload::ForwardBackward(const std::string& implementation) {
  TORCH_CHECK(SupportsBackward(implementation), implementation, " has no backward pass");
  x_.requires_grad_(true);
  Forward(implementation).backward(grad_output_);
  x_.mutable_grad().reset();
  ours_->zero_grad(/*set_to_none=*/true);
  torch_mha_->zero_grad(/*set_to_none=*/true);
}

Agreement CompareOutputs(const at::Tensor& output, const at::Tensor& baseline) {
  const at::Tensor a = output.detach().reshape(-1).to(at::kDouble);
  const at::Tensor b = baseline.detach().reshape(-1).to(at::kDouble);
  const double cosine = (a.dot(b) / (a.norm() * b.norm())).item<double>();
  return {cosine, (a - b).abs().max().item<double>()};
}

}  // namespace sf::benchmarks
