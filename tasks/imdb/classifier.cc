#include "tasks/imdb/classifier.h"

#include <cmath>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "attention/fused_attention.h"
#include "attention/masks.h"
#include "layers/residual.h"
#include "layers/transformer_layer_options.h"

namespace sf::tasks::imdb {
namespace {

constexpr int64_t kNumClasses = 2;

absl::StatusOr<int64_t> IntField(const nlohmann::json& json, const char* key) {
  if (!json.contains(key) || !json[key].is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrCat("classifier options: missing integer field '", key, "'"));
  }
  return json[key].get<int64_t>();
}

absl::StatusOr<double> NumberField(const nlohmann::json& json, const char* key) {
  if (!json.contains(key) || !json[key].is_number()) {
    return absl::InvalidArgumentError(
        absl::StrCat("classifier options: missing number field '", key, "'"));
  }
  return json[key].get<double>();
}

absl::StatusOr<std::string> StringField(const nlohmann::json& json, const char* key) {
  if (!json.contains(key) || !json[key].is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("classifier options: missing string field '", key, "'"));
  }
  return json[key].get<std::string>();
}

// Pre-LN keeps the residual stream un-normalised, so mean pooling sees the embeddings'
// bag-of-words signal directly (plus what attention adds); the stack's final LayerNorm
// normalises it once before pooling. The fused kernel has no attention dropout.
layers::TransformerEncoderOptions EncoderOptionsFor(const ImdbClassifierOptions& o) {
  return layers::TransformerEncoderOptions(layers::TransformerLayerOptions(o.d_model(), o.heads())
                                               .d_ff(o.d_ff())
                                               .dropout(o.dropout())
                                               .attention_dropout(0.0)
                                               .activation(layers::Activation::kGELU)
                                               .norm_placement(layers::NormPlacement::kPreNorm)
                                               .backend(o.backend()),
                                           o.layers());
}

// Sequence number of every packed token, int64 [T].
at::Tensor SegmentIds(const tokenization::PackedBatch& batch) {
  const int64_t n = batch.cu_seqlens.size(0) - 1;
  const at::Tensor lengths = batch.cu_seqlens.slice(0, 1) - batch.cu_seqlens.slice(0, 0, n);
  return at::repeat_interleave(at::arange(n, at::kLong), lengths);
}

void CheckBatch(const tokenization::PackedBatch& batch, int64_t max_length) {
  TORCH_CHECK(batch.tokens.defined() && batch.tokens.dim() == 1 &&
                  batch.cu_seqlens.defined() && batch.cu_seqlens.size(0) >= 2,
              "ImdbClassifier: expected a packed batch of at least one sequence");
  TORCH_CHECK(batch.max_seqlen >= 1 && batch.max_seqlen <= max_length,
              "ImdbClassifier: sequences must have 1..", max_length, " tokens, got max_seqlen=",
              batch.max_seqlen);
}

}  // namespace

absl::StatusOr<Pooling> ParsePooling(const std::string& name) {
  if (name == "mean") return Pooling::kMean;
  if (name == "cls") return Pooling::kCls;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown pooling \"", name, "\" (expected \"mean\" or \"cls\")"));
}

std::string PoolingName(Pooling pooling) {
  return pooling == Pooling::kMean ? "mean" : "cls";
}

nlohmann::json ImdbClassifierOptions::ToJson() const {
  return {{"vocab_size", vocab_size()},
          {"d_model", d_model()},
          {"heads", heads()},
          {"layers", layers()},
          {"d_ff", d_ff()},
          {"max_length", max_length()},
          {"dropout", dropout()},
          {"embedding_dropout", embedding_dropout()},
          {"pooling", PoolingName(pooling())},
          {"backend", attention::AttentionBackendName(backend())}};
}

absl::StatusOr<ImdbClassifierOptions> ImdbClassifierOptions::FromJson(
    const nlohmann::json& json) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError("classifier options: not a JSON object");
  }
  absl::StatusOr<int64_t> vocab = IntField(json, "vocab_size");
  if (!vocab.ok()) return vocab.status();
  ImdbClassifierOptions o(*vocab);
  absl::StatusOr<int64_t> d_model = IntField(json, "d_model");
  absl::StatusOr<int64_t> heads = IntField(json, "heads");
  absl::StatusOr<int64_t> num_layers = IntField(json, "layers");
  absl::StatusOr<int64_t> d_ff = IntField(json, "d_ff");
  absl::StatusOr<int64_t> max_length = IntField(json, "max_length");
  absl::StatusOr<double> dropout = NumberField(json, "dropout");
  absl::StatusOr<double> embedding_dropout = NumberField(json, "embedding_dropout");
  absl::StatusOr<std::string> pooling = StringField(json, "pooling");
  absl::StatusOr<std::string> backend = StringField(json, "backend");
  for (const absl::Status& s :
       {d_model.status(), heads.status(), num_layers.status(), d_ff.status(),
        max_length.status(), dropout.status(), embedding_dropout.status(), pooling.status(),
        backend.status()}) {
    if (!s.ok()) return s;
  }
  absl::StatusOr<Pooling> parsed_pooling = ParsePooling(*pooling);
  if (!parsed_pooling.ok()) return parsed_pooling.status();
  attention::AttentionBackend parsed_backend;
  try {
    parsed_backend = attention::ParseAttentionBackend(*backend);
  } catch (const c10::Error&) {
    return absl::InvalidArgumentError(absl::StrCat("classifier options: unknown backend \"",
                                                   *backend, "\""));
  }
  o.d_model(*d_model)
      .heads(*heads)
      .layers(*num_layers)
      .d_ff(*d_ff)
      .max_length(*max_length)
      .dropout(*dropout)
      .embedding_dropout(*embedding_dropout)
      .pooling(*parsed_pooling)
      .backend(parsed_backend);
  if (absl::Status s = o.Validate(); !s.ok()) return s;
  return o;
}

absl::Status ImdbClassifierOptions::Validate() const {
  auto bad = [](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("classifier options: ", what));
  };
  if (vocab_size() < 1) return bad(absl::StrCat("vocab_size must be >= 1, got ", vocab_size()));
  if (d_model() < 1) return bad(absl::StrCat("d_model must be >= 1, got ", d_model()));
  if (heads() < 1 || d_model() % heads() != 0) {
    return bad(absl::StrCat("heads must divide d_model=", d_model(), ", got heads=", heads()));
  }
  if (layers() < 0) return bad(absl::StrCat("layers must be >= 0, got ", layers()));
  if (d_ff() < 1) return bad(absl::StrCat("d_ff must be >= 1, got ", d_ff()));
  if (max_length() < 1) return bad(absl::StrCat("max_length must be >= 1, got ", max_length()));
  for (double p : {dropout(), embedding_dropout()}) {
    if (!(p >= 0.0 && p < 1.0)) return bad(absl::StrCat("dropout must be in [0, 1), got ", p));
  }
  return absl::OkStatus();
}

ImdbClassifierImpl::ImdbClassifierImpl(const ImdbClassifierOptions& options) : options(options) {
  reset();
}

void ImdbClassifierImpl::reset() {
  const absl::Status valid = options.Validate();
  TORCH_CHECK(valid.ok(), "ImdbClassifier: ", valid.ToString());
  embedding = register_module(
      "embedding",
      layers::TokenEmbedding(layers::TokenEmbeddingOptions(options.vocab_size(), options.d_model())));
  positions = register_module(
      "positions", attention::SinusoidalPositionalEncoding(
                       attention::SinusoidalPositionalEncodingOptions(options.d_model())
                           .max_len(options.max_length())));
  embedding_dropout = register_module(
      "embedding_dropout",
      torch::nn::Dropout(torch::nn::DropoutOptions(options.embedding_dropout())));
  encoder = register_module("encoder", layers::TransformerEncoder(EncoderOptionsFor(options)));
  head_dropout =
      register_module("head_dropout", torch::nn::Dropout(torch::nn::DropoutOptions(options.dropout())));
  head = register_module("head",
                         torch::nn::Linear(torch::nn::LinearOptions(options.d_model(), kNumClasses)));
}

void ImdbClassifierImpl::set_backend(attention::AttentionBackend backend) {
  options.backend(backend);
  encoder->set_backend(backend);
}

int64_t ImdbClassifierImpl::num_parameters() const {
  int64_t n = 0;
  for (const at::Tensor& p : parameters()) n += p.numel();
  return n;
}

at::Tensor ImdbClassifierImpl::Embed(const at::Tensor& tokens, const at::Tensor& position_ids) {
  at::Tensor x = embedding->forward(tokens);
  x = x + positions->table.index_select(0, position_ids).to(x.scalar_type());
  return embedding_dropout->forward(x);
}

at::Tensor ImdbClassifierImpl::EncodePacked(const at::Tensor& x,
                                            const tokenization::PackedBatch& batch) {
  const int64_t total = x.size(0);
  const int64_t d_model = options.d_model();
  const int64_t heads = options.heads();
  at::Tensor h = x;
  for (int64_t i = 0; i < options.layers(); ++i) {
    layers::TransformerEncoderLayerImpl& layer = encoder->layer(i);
    attention::MultiHeadAttentionImpl& attn = *layer.self_attn;
    h = layer.self_attn_residual->forward(h, [&](const at::Tensor& in) {
      // [T, 3 * d_model] viewed as [T, 3, heads, head_dim]: q, k and v are strided views the
      // kernel reads in place.
      const at::Tensor qkv = at::linear(in, attn.in_proj_weight, attn.in_proj_bias)
                                 .view({total, 3, heads, d_model / heads});
      const at::Tensor out = attention::FusedAttentionVarlen(
          qkv.select(1, 0), qkv.select(1, 1), qkv.select(1, 2), batch.cu_seqlens,
          batch.cu_seqlens, batch.max_seqlen, batch.max_seqlen);
      return attn.out_proj->forward(out.reshape({total, d_model}));
    });
    h = layer.ffn_residual->forward(h, [&](const at::Tensor& in) { return layer.ffn->forward(in); });
  }
  return encoder->norm.is_empty() ? h : encoder->norm->forward(h);
}

at::Tensor ImdbClassifierImpl::EncodePadded(const at::Tensor& x,
                                            const tokenization::PackedBatch& batch) {
  const int64_t n = batch.cu_seqlens.size(0) - 1;
  const int64_t len = batch.max_seqlen;
  const int64_t d_model = options.d_model();
  const at::Tensor slots = SegmentIds(batch) * len + batch.position_ids;
  const at::Tensor padded =
      at::zeros({n * len, d_model}, x.options()).index_copy(0, slots, x).view({n, len, d_model});
  const at::Tensor lengths = batch.cu_seqlens.slice(0, 1) - batch.cu_seqlens.slice(0, 0, n);
  const at::Tensor out =
      encoder->forward(padded, attention::MaskSpec().WithKeyLengths(lengths.contiguous()));
  return out.reshape({n * len, d_model}).index_select(0, slots);
}

at::Tensor ImdbClassifierImpl::PoolAndClassify(const at::Tensor& hidden,
                                               const tokenization::PackedBatch& batch) {
  const int64_t n = batch.cu_seqlens.size(0) - 1;
  at::Tensor pooled;
  if (options.pooling() == Pooling::kCls) {
    pooled = hidden.index_select(0, batch.cu_seqlens.slice(0, 0, n));
  } else {
    const at::Tensor lengths =
        (batch.cu_seqlens.slice(0, 1) - batch.cu_seqlens.slice(0, 0, n)).to(hidden.scalar_type());
    pooled = at::zeros({n, hidden.size(1)}, hidden.options())
                 .index_add(0, SegmentIds(batch), hidden)
                 .div(lengths.unsqueeze(1));
  }
  return head->forward(head_dropout->forward(pooled));
}

at::Tensor ImdbClassifierImpl::forward(const tokenization::PackedBatch& batch) {
  CheckBatch(batch, options.max_length());
  const at::Tensor x = Embed(batch.tokens, batch.position_ids);
  const at::Tensor hidden = options.backend() == attention::AttentionBackend::kFused
                                ? EncodePacked(x, batch)
                                : EncodePadded(x, batch);
  return PoolAndClassify(hidden, batch);
}

ClassifierAttention ImdbClassifierImpl::forward_with_attention(
    const std::vector<tokenization::TokenId>& ids) {
  const tokenization::PackedBatch batch = tokenization::PackBatch({ids});
  CheckBatch(batch, options.max_length());
  const at::Tensor x = Embed(batch.tokens, batch.position_ids).unsqueeze(0);
  layers::EncoderOutput out = encoder->forward_with_weights(x);
  ClassifierAttention result;
  result.logits = PoolAndClassify(out.output.squeeze(0), batch).squeeze(0);
  for (const at::Tensor& w : out.self_attention_weights) result.attention.push_back(w.squeeze(0));
  return result;
}

}  // namespace sf::tasks::imdb
