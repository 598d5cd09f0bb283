// Positional information for attention: sinusoidal encodings (Vaswani et al. 2017), learned
// absolute embeddings, and rotary embeddings (RoPE, Su et al. 2021) applied to queries/keys.
//
//   sf::attention::SinusoidalPositionalEncoding pe(
//       sf::attention::SinusoidalPositionalEncodingOptions(/*d_model=*/256).max_len(2048));
//   x = pe->forward(x);                        // x [B, L, 256] + rows 0..L-1 of the table
//   x_next = pe->forward(x_next, /*offset=*/L);  // decoding: the next positions
//
//   sf::attention::RotaryEmbedding rope(sf::attention::RotaryEmbeddingOptions(/*head_dim=*/64));
//   q = rope->forward(q, /*offset=*/cache.length());  // q, k: [B, H, L, 64]
//   k = rope->forward(k, /*offset=*/cache.length());
//
// Every module takes a position `offset` so incremental decoding with a key/value cache gives
// the new tokens their absolute positions. Positions beyond max_len throw, naming the values.
#ifndef SCRATCHFORMER_ATTENTION_POSITIONAL_ENCODING_H_
#define SCRATCHFORMER_ATTENTION_POSITIONAL_ENCODING_H_

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace sf::attention {

// The sinusoidal table for positions [offset, offset + len), float64 [len, d_model]:
//   table[p, 2i] = sin(p / base^(2i / d_model)),  table[p, 2i + 1] = cos(p / base^(2i / d_model)).
// An odd d_model ends with a sine column.
at::Tensor SinusoidalTable(int64_t len, int64_t d_model, int64_t offset = 0,
                           double base = 10000.0);

// The two-dimensional table of a rows x cols grid (ViT / MAE patch grids), float64
// [rows * cols, d_model] in row-major cell order: cell (r, c) is the row r * cols + c, its first
// d_model / 2 columns are SinusoidalTable(rows, d_model / 2)[r] and the rest
// SinusoidalTable(cols, d_model / 2)[c]. d_model must be even.
at::Tensor SinusoidalTable2d(int64_t rows, int64_t cols, int64_t d_model, double base = 10000.0);

struct SinusoidalPositionalEncodingOptions {
  explicit SinusoidalPositionalEncodingOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, max_len) = 5000;
  TORCH_ARG(double, base) = 10000.0;
};

// Adds the fixed table to its input. The table is a buffer (saved with the module, moved by
// to(), never trained).
class SinusoidalPositionalEncodingImpl
    : public torch::nn::Cloneable<SinusoidalPositionalEncodingImpl> {
 public:
  explicit SinusoidalPositionalEncodingImpl(const SinusoidalPositionalEncodingOptions& options);
  void reset() override;

  // x [..., L, d_model]; returns x + table[offset : offset + L].
  at::Tensor forward(const at::Tensor& x, int64_t offset = 0);

  SinusoidalPositionalEncodingOptions options;
  at::Tensor table;  // [max_len, d_model]
};
TORCH_MODULE(SinusoidalPositionalEncoding);

struct LearnedPositionalEmbeddingOptions {
  LearnedPositionalEmbeddingOptions(int64_t max_len, int64_t d_model)
      : max_len_(max_len), d_model_(d_model) {}
  TORCH_ARG(int64_t, max_len);
  TORCH_ARG(int64_t, d_model);
  // Initial weights ~ N(0, init_std^2), the GPT-2 / BERT choice.
  TORCH_ARG(double, init_std) = 0.02;
};

// One trained vector per absolute position (GPT-2, BERT), added to the input.
class LearnedPositionalEmbeddingImpl
    : public torch::nn::Cloneable<LearnedPositionalEmbeddingImpl> {
 public:
  explicit LearnedPositionalEmbeddingImpl(const LearnedPositionalEmbeddingOptions& options);
  void reset() override;
  void reset_parameters();

  // x [..., L, d_model]; returns x + weight[offset : offset + L].
  at::Tensor forward(const at::Tensor& x, int64_t offset = 0);

  LearnedPositionalEmbeddingOptions options;
  at::Tensor weight;  // [max_len, d_model]
};
TORCH_MODULE(LearnedPositionalEmbedding);

struct RotaryEmbeddingOptions {
  explicit RotaryEmbeddingOptions(int64_t head_dim) : head_dim_(head_dim) {}
  TORCH_ARG(int64_t, head_dim);  // must be even
  TORCH_ARG(int64_t, max_len) = 4096;
  TORCH_ARG(double, base) = 10000.0;
};

// Rotates each query/key vector by angles proportional to its position, so that
// <rope(q, m), rope(k, n)> depends on q, k and m - n only. Pairs are (x[i], x[i + D/2]) rotated
// by p * base^(-2i/D) (the "rotate half" layout of GPT-NeoX and LLaMA). The cos/sin buffers are
// float64 (a module-wide to(dtype) converts them too) and are cast to the input's dtype at use.
class RotaryEmbeddingImpl : public torch::nn::Cloneable<RotaryEmbeddingImpl> {
 public:
  explicit RotaryEmbeddingImpl(const RotaryEmbeddingOptions& options);
  void reset() override;

  // x [..., L, head_dim] (e.g. [B, H, L, D]) at positions offset .. offset + L - 1.
  at::Tensor forward(const at::Tensor& x, int64_t offset = 0);

  RotaryEmbeddingOptions options;
  at::Tensor cos;  // [max_len, head_dim / 2], float64
  at::Tensor sin;  // [max_len, head_dim / 2], float64
};
TORCH_MODULE(RotaryEmbedding);

}  // namespace sf::attention

#endif  // SCRATCHFORMER_ATTENTION_POSITIONAL_ENCODING_H_
