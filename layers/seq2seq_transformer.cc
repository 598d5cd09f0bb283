#include "layers/seq2seq_transformer.h"

#include <vector>

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/full.h>
#include <ATen/ops/where.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>

#include "attention/masks.h"

namespace sf::layers {
namespace {

void CheckTokens(const at::Tensor& tokens, const at::Tensor& lengths, const char* what) {
  TORCH_CHECK(tokens.dim() == 2 && tokens.scalar_type() == at::kLong, "Seq2SeqTransformer: ", what,
              " tokens must be int64 [batch, len], got ", tokens.scalar_type(), " ",
              tokens.sizes());
  TORCH_CHECK(lengths.dim() == 1 && lengths.size(0) == tokens.size(0), "Seq2SeqTransformer: ", what,
              " lengths must be [", tokens.size(0), "], got ", lengths.sizes());
}

// Puts a module in eval mode for a scope and restores its previous mode.
class ScopedEval {
 public:
  explicit ScopedEval(torch::nn::Module& module)
      : module_(module), was_training_(module.is_training()) {
    module_.eval();
  }
  ~ScopedEval() { module_.train(was_training_); }
  ScopedEval(const ScopedEval&) = delete;
  ScopedEval& operator=(const ScopedEval&) = delete;

 private:
  torch::nn::Module& module_;
  bool was_training_;
};

}  // namespace

Seq2SeqTransformerImpl::Seq2SeqTransformerImpl(const Seq2SeqTransformerOptions& options)
    : options(options) {
  const int64_t d_model = options.transformer().d_model();
  TORCH_CHECK(options.src_vocab() > 0 && options.tgt_vocab() > 0,
              "Seq2SeqTransformer: vocabularies must be non-empty, got src_vocab=",
              options.src_vocab(), " tgt_vocab=", options.tgt_vocab());
  TORCH_CHECK(!options.share_embeddings() || options.src_vocab() == options.tgt_vocab(),
              "Seq2SeqTransformer: shared embeddings need one vocabulary, got src_vocab=",
              options.src_vocab(), " tgt_vocab=", options.tgt_vocab());
  src_embed = register_module("src_embed",
                              TokenEmbedding(TokenEmbeddingOptions(options.src_vocab(), d_model)));
  // A shared embedding is registered once, so its weight is one parameter.
  tgt_embed =
      options.share_embeddings()
          ? src_embed
          : register_module("tgt_embed",
                            TokenEmbedding(TokenEmbeddingOptions(options.tgt_vocab(), d_model)));
  positions = register_module(
      "positions",
      attention::SinusoidalPositionalEncoding(
          attention::SinusoidalPositionalEncodingOptions(d_model).max_len(options.max_len())));
  dropout = register_module("dropout", torch::nn::Dropout(options.transformer().dropout()));
  transformer = register_module("transformer", Transformer(options.transformer()));
  OutputProjectionOptions generator_options(d_model, options.tgt_vocab());
  generator = register_module("generator", options.tie_output()
                                               ? OutputProjection(generator_options, tgt_embed)
                                               : OutputProjection(generator_options));
}

at::Tensor Seq2SeqTransformerImpl::Embed(TokenEmbedding& embed, const at::Tensor& tokens,
                                         int64_t offset) {
  return dropout(positions->forward(embed->forward(tokens), offset));
}

at::Tensor Seq2SeqTransformerImpl::Encode(const at::Tensor& src, const at::Tensor& src_lengths) {
  CheckTokens(src, src_lengths, "source");
  return transformer->encode(Embed(src_embed, src, 0),
                             attention::MaskSpec().WithKeyLengths(src_lengths));
}

at::Tensor Seq2SeqTransformerImpl::forward(const at::Tensor& src, const at::Tensor& src_lengths,
                                           const at::Tensor& tgt, const at::Tensor& tgt_lengths) {
  CheckTokens(tgt, tgt_lengths, "target");
  at::Tensor memory = Encode(src, src_lengths);
  at::Tensor h = transformer->decode(Embed(tgt_embed, tgt, 0), memory,
                                     attention::MaskSpec::Causal().WithKeyLengths(tgt_lengths),
                                     attention::MaskSpec().WithKeyLengths(src_lengths));
  return generator->forward(h);
}

at::Tensor Seq2SeqTransformerImpl::DecodeStep(const at::Tensor& tokens, const at::Tensor& memory,
                                              const at::Tensor& src_lengths, DecoderCache* cache) {
  TORCH_CHECK(cache != nullptr, "Seq2SeqTransformer::DecodeStep needs a DecoderCache");
  TORCH_CHECK(tokens.dim() == 2 && tokens.scalar_type() == at::kLong,
              "Seq2SeqTransformer::DecodeStep: tokens must be int64 [batch, n], got ",
              tokens.scalar_type(), " ", tokens.sizes());
  at::Tensor h = transformer->decode(Embed(tgt_embed, tokens, cache->length()), memory,
                                     attention::MaskSpec::Causal(),
                                     attention::MaskSpec().WithKeyLengths(src_lengths), cache);
  return generator->forward(h);
}

at::Tensor Seq2SeqTransformerImpl::GreedyDecode(const at::Tensor& src,
                                                const at::Tensor& src_lengths, int64_t bos,
                                                int64_t eos, int64_t max_len) {
  TORCH_CHECK(max_len >= 1, "Seq2SeqTransformer::GreedyDecode: max_len must be >= 1, got ",
              max_len);
  ScopedEval eval(*this);
  at::NoGradGuard no_grad;
  const int64_t batch = src.size(0);
  at::Tensor memory = Encode(src, src_lengths);
  DecoderCache cache;
  at::Tensor next = at::full({batch, 1}, bos, at::kLong);
  at::Tensor finished = at::zeros({batch, 1}, at::kBool);
  std::vector<at::Tensor> generated;
  for (int64_t t = 0; t < max_len; ++t) {
    at::Tensor logits = DecodeStep(next, memory, src_lengths, &cache);
    next = at::where(finished, at::full({batch, 1}, eos, at::kLong), logits.argmax(-1));
    generated.push_back(next);
    finished = finished | (next == eos);
    if (finished.all().item<bool>()) break;
  }
  return at::cat(generated, 1);
}

}  // namespace sf::layers
