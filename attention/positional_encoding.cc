#include "attention/positional_encoding.h"

#include <cmath>

#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>
#include <c10/core/DefaultDtype.h>
#include <c10/util/Exception.h>
#include <torch/nn/init.h>

namespace sf::attention {
namespace {

at::ScalarType DefaultDtype() { return c10::get_default_dtype_as_scalartype(); }

// Checks that x is [..., L, width] and that positions [offset, offset + L) fit in max_len.
void CheckPositions(const char* module, const at::Tensor& x, int64_t width, const char* width_name,
                    int64_t offset, int64_t max_len) {
  TORCH_CHECK(x.defined() && x.dim() >= 2, module, ": input must be [..., len, ", width_name,
              "], got shape ", x.sizes());
  TORCH_CHECK(x.size(-1) == width, module, ": the input's last dimension is ", x.size(-1),
              " but ", width_name, "=", width, " (input shape ", x.sizes(), ")");
  TORCH_CHECK(at::isFloatingType(x.scalar_type()), module, ": input must be floating point, got ",
              x.scalar_type());
  TORCH_CHECK(offset >= 0, module, ": offset must be >= 0, got ", offset);
  const int64_t len = x.size(-2);
  TORCH_CHECK(offset + len <= max_len, module, ": positions [", offset, ", ", offset + len,
              ") exceed max_len=", max_len, " (input length ", len, ", offset ", offset, ")");
}

void CheckPositive(const char* module, const char* name, int64_t value) {
  TORCH_CHECK(value > 0, module, ": ", name, " must be > 0, got ", value);
}

}  // namespace

at::Tensor SinusoidalTable(int64_t len, int64_t d_model, int64_t offset, double base) {
  TORCH_CHECK(len >= 0 && offset >= 0, "SinusoidalTable: len and offset must be >= 0, got len=",
              len, ", offset=", offset);
  CheckPositive("SinusoidalTable", "d_model", d_model);
  TORCH_CHECK(base > 0.0, "SinusoidalTable: base must be > 0, got ", base);
  const at::Tensor position =
      at::arange(offset, offset + len, at::kDouble).unsqueeze(1);             // [len, 1]
  const at::Tensor even = at::arange(0, d_model, 2, at::kDouble);             // 2i
  const at::Tensor inverse_frequency = even.div(static_cast<double>(d_model))  // base^(-2i/d)
                                           .mul(-std::log(base))
                                           .exp();
  const at::Tensor angle = position.mul(inverse_frequency.unsqueeze(0));     // [len, ceil(d/2)]
  at::Tensor table = at::zeros({len, d_model}, at::kDouble);
  table.slice(1, 0, d_model, 2).copy_(angle.sin());
  table.slice(1, 1, d_model, 2).copy_(angle.slice(1, 0, d_model / 2).cos());
  return table;
}

at::Tensor SinusoidalTable2d(int64_t rows, int64_t cols, int64_t d_model, double base) {
  TORCH_CHECK(rows >= 0 && cols >= 0, "SinusoidalTable2d: rows and cols must be >= 0, got rows=",
              rows, ", cols=", cols);
  CheckPositive("SinusoidalTable2d", "d_model", d_model);
  TORCH_CHECK(d_model % 2 == 0, "SinusoidalTable2d: d_model must be even, got ", d_model);
  const int64_t half = d_model / 2;
  const at::Tensor by_row = SinusoidalTable(rows, half, 0, base).unsqueeze(1).expand(
      {rows, cols, half});
  const at::Tensor by_col = SinusoidalTable(cols, half, 0, base).unsqueeze(0).expand(
      {rows, cols, half});
  return at::cat({by_row, by_col}, -1).reshape({rows * cols, d_model});
}

SinusoidalPositionalEncodingImpl::SinusoidalPositionalEncodingImpl(
    const SinusoidalPositionalEncodingOptions& options)
    : options(options) {
  reset();
}

void SinusoidalPositionalEncodingImpl::reset() {
  CheckPositive("SinusoidalPositionalEncoding", "d_model", options.d_model());
  CheckPositive("SinusoidalPositionalEncoding", "max_len", options.max_len());
  table = register_buffer(
      "table", SinusoidalTable(options.max_len(), options.d_model(), 0, options.base())
                   .to(DefaultDtype()));
}

at::Tensor SinusoidalPositionalEncodingImpl::forward(const at::Tensor& x, int64_t offset) {
  CheckPositions("SinusoidalPositionalEncoding", x, options.d_model(), "d_model", offset,
                 options.max_len());
  return x.add(table.slice(0, offset, offset + x.size(-2)).to(x.scalar_type()));
}

LearnedPositionalEmbeddingImpl::LearnedPositionalEmbeddingImpl(
    const LearnedPositionalEmbeddingOptions& options)
    : options(options) {
  reset();
}

void LearnedPositionalEmbeddingImpl::reset() {
  CheckPositive("LearnedPositionalEmbedding", "d_model", options.d_model());
  CheckPositive("LearnedPositionalEmbedding", "max_len", options.max_len());
  TORCH_CHECK(options.init_std() >= 0.0, "LearnedPositionalEmbedding: init_std must be >= 0, got ",
              options.init_std());
  weight = register_parameter("weight", at::empty({options.max_len(), options.d_model()}));
  reset_parameters();
}

void LearnedPositionalEmbeddingImpl::reset_parameters() {
  torch::nn::init::normal_(weight, 0.0, options.init_std());
}

at::Tensor LearnedPositionalEmbeddingImpl::forward(const at::Tensor& x, int64_t offset) {
  CheckPositions("LearnedPositionalEmbedding", x, options.d_model(), "d_model", offset,
                 options.max_len());
  return x.add(weight.slice(0, offset, offset + x.size(-2)));
}

RotaryEmbeddingImpl::RotaryEmbeddingImpl(const RotaryEmbeddingOptions& options)
    : options(options) {
  reset();
}

void RotaryEmbeddingImpl::reset() {
  const int64_t head_dim = options.head_dim();
  TORCH_CHECK(head_dim > 0 && head_dim % 2 == 0,
              "RotaryEmbedding: head_dim must be even and > 0, got ", head_dim);
  CheckPositive("RotaryEmbedding", "max_len", options.max_len());
  TORCH_CHECK(options.base() > 0.0, "RotaryEmbedding: base must be > 0, got ", options.base());
  // float64 buffers: at position p the angle is p * theta_i, and a float32 cos/sin of it would
  // already be off by ~1e-7 at the positions of a long context. The even columns of the
  // sinusoidal table are sin(p * theta_i) with the same frequencies
  // theta_i = base^(-2i/D), and the odd ones cos.
  const at::Tensor angles = SinusoidalTable(options.max_len(), head_dim, 0, options.base());
  cos = register_buffer("cos", angles.slice(1, 1, head_dim, 2).contiguous());
  sin = register_buffer("sin", angles.slice(1, 0, head_dim, 2).contiguous());
}

at::Tensor RotaryEmbeddingImpl::forward(const at::Tensor& x, int64_t offset) {
  CheckPositions("RotaryEmbedding", x, options.head_dim(), "head_dim", offset, options.max_len());
  const int64_t len = x.size(-2);
  const int64_t half = options.head_dim() / 2;
  const at::Tensor c = cos.slice(0, offset, offset + len).to(x.scalar_type());
  const at::Tensor s = sin.slice(0, offset, offset + len).to(x.scalar_type());
  const at::Tensor x1 = x.narrow(-1, 0, half);
  const at::Tensor x2 = x.narrow(-1, half, half);
  return at::cat({x1.mul(c).sub(x2.mul(s)), x1.mul(s).add(x2.mul(c))}, -1);
}

}  // namespace sf::attention
