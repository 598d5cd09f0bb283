// y = x W^T + b, as at::linear, for x [..., in], weight [out, in], bias [out] or undefined.
//
// When x holds a single row (incremental decoding: one new token of one sequence) the product
// goes through a matrix-vector multiply. BLAS's GEMM first copies the whole weight matrix
// into its packed layout, and at one row that copy costs more than the multiply itself
// (OpenBLAS 0.3.21: about 3x the time of the GEMV for a 256 x 768 weight).
//
//   at::Tensor y = sf::attention::Linear(x, layer->weight, layer->bias);
#ifndef SCRATCHFORMER_ATTENTION_LINEAR_H_
#define SCRATCHFORMER_ATTENTION_LINEAR_H_

#include <ATen/core/Tensor.h>

namespace sf::attention {

at::Tensor Linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace sf::attention

#endif  // SCRATCHFORMER_ATTENTION_LINEAR_H_
