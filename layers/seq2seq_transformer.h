// The complete model of "Attention Is All You Need" for sequence-to-sequence tasks: token
// embeddings scaled by sqrt(d_model), sinusoidal positions, dropout, the encoder-decoder
// Transformer, and an output projection tied to the target embedding (sec. 3.4); with shared
// source/target embeddings for a joint vocabulary, as the paper's BPE models.
//
//   auto model = sf::layers::Seq2SeqTransformer(
//       sf::layers::Seq2SeqTransformerOptions(/*src_vocab=*/8000, /*tgt_vocab=*/8000)
//           .transformer(sf::layers::TransformerOptions().d_model(256).heads(4))
//           .share_embeddings(true));
//   // Teacher forcing: tgt_in = <bos> y_1 .. y_{n-1}; logits [B, Lt, tgt_vocab].
//   at::Tensor logits = model->forward(src, src_lengths, tgt_in, tgt_lengths);
//   // Generation with the per-layer key/value cache:
//   at::Tensor out = model->GreedyDecode(src, src_lengths, bos_id, eos_id, /*max_len=*/64);
//
// Tokens are int64 [batch, len]; sequence b holds lengths[b] real tokens, then padding.
#ifndef SCRATCHFORMER_LAYERS_SEQ2SEQ_TRANSFORMER_H_
#define SCRATCHFORMER_LAYERS_SEQ2SEQ_TRANSFORMER_H_

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/pimpl.h>

#include "attention/positional_encoding.h"
#include "layers/token_embedding.h"
#include "layers/transformer.h"
#include "layers/transformer_decoder.h"

namespace sf::layers {

struct Seq2SeqTransformerOptions {
  Seq2SeqTransformerOptions(int64_t src_vocab, int64_t tgt_vocab)
      : src_vocab_(src_vocab), tgt_vocab_(tgt_vocab) {}
  TORCH_ARG(int64_t, src_vocab);
  TORCH_ARG(int64_t, tgt_vocab);
  TORCH_ARG(TransformerOptions, transformer) = {};
  TORCH_ARG(int64_t, max_len) = 1024;  // longest source or target the positions cover
  // One embedding for source and target (requires src_vocab == tgt_vocab).
  TORCH_ARG(bool, share_embeddings) = false;
  // The output projection scores with the target embedding's weight.
  TORCH_ARG(bool, tie_output) = true;
};

// Not Cloneable: the tied projection shares a weight a deep copy would split.
class Seq2SeqTransformerImpl : public torch::nn::Module {
 public:
  explicit Seq2SeqTransformerImpl(const Seq2SeqTransformerOptions& options);

  // src [B, Ls], src_lengths [B]; tgt [B, Lt], tgt_lengths [B] -> logits [B, Lt, tgt_vocab].
  at::Tensor forward(const at::Tensor& src, const at::Tensor& src_lengths, const at::Tensor& tgt,
                     const at::Tensor& tgt_lengths);

  // The encoder's output [B, Ls, d_model].
  at::Tensor Encode(const at::Tensor& src, const at::Tensor& src_lengths);
  // Logits [B, n, tgt_vocab] for `tokens` [B, n], the positions after those in `cache`.
  at::Tensor DecodeStep(const at::Tensor& tokens, const at::Tensor& memory,
                        const at::Tensor& src_lengths, DecoderCache* cache);
  // Greedy generation, in eval mode without gradients: int64 [B, <= max_len] starting after
  // `bos`; a sequence that has emitted `eos` is continued with `eos`, and generation stops
  // once all have.
  at::Tensor GreedyDecode(const at::Tensor& src, const at::Tensor& src_lengths, int64_t bos,
                          int64_t eos, int64_t max_len);

  Seq2SeqTransformerOptions options;
  TokenEmbedding src_embed{nullptr};
  TokenEmbedding tgt_embed{nullptr};  // the same module as src_embed when shared
  attention::SinusoidalPositionalEncoding positions{nullptr};
  torch::nn::Dropout dropout{nullptr};
  Transformer transformer{nullptr};
  OutputProjection generator{nullptr};

 private:
  at::Tensor Embed(TokenEmbedding& embed, const at::Tensor& tokens, int64_t offset);
};

TORCH_MODULE(Seq2SeqTransformer);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_SEQ2SEQ_TRANSFORMER_H_
