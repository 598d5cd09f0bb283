// One attention benchmark configuration made runnable: the input, one set of layer weights
// shared by every implementation, the mask in each implementation's own form, and the calls.
//
//   sf::benchmarks::AttentionWorkload w(attention_case);
//   at::Tensor out = w.Forward("fused");          // [batch, L, d_model]
//   w.ForwardBackward("torch_mha");              // one training step's attention work
//   sf::benchmarks::Agreement a = sf::benchmarks::CompareOutputs(out, w.Forward("torch_mha"));
//
// Implementation names and masks are those of attention_cases.h. An implementation that cannot
// take the configuration throws c10::Error.
#ifndef SCRATCHFORMER_BENCHMARKS_ATTENTION_WORKLOAD_H_
#define SCRATCHFORMER_BENCHMARKS_ATTENTION_WORKLOAD_H_

#include <string>

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/activation.h>

#include "attention/masks.h"
#include "attention/multi_head_attention.h"
#include "benchmarks/attention_cases.h"

namespace sf::benchmarks {

class AttentionWorkload {
 public:
  // Random input and weights from LibTorch's default generator.
  explicit AttentionWorkload(const AttentionCase& c);

  // Self-attention output [batch, L, d_model]. Records autograd history unless grad mode is off.
  at::Tensor Forward(const std::string& implementation);

  // Forward, then backward of a fixed upstream gradient into the input and the weights; the
  // gradients are cleared again so every call does the same work.
  void ForwardBackward(const std::string& implementation);

 private:
  AttentionCase case_;
  at::Tensor x_;                // [B, L, d_model], batch first
  at::Tensor grad_output_;      // [B, L, d_model]
  attention::MaskSpec mask_;    // our modules
  at::Tensor blocked_;          // [L, L] float, -inf where not allowed (LibTorch), or undefined
  at::Tensor key_padding_;      // [B, L] bool, true = padding (LibTorch), or undefined
  attention::MultiHeadAttention ours_{nullptr};
  torch::nn::MultiheadAttention torch_mha_{nullptr};
};

struct Agreement {
  double cosine_similarity = 0;  // of the flattened outputs
  double max_abs_diff = 0;
};

Agreement CompareOutputs(const at::Tensor& output, const at::Tensor& baseline);

}  // namespace sf::benchmarks

#endif  // SCRATCHFORMER_BENCHMARKS_ATTENTION_WORKLOAD_H_
