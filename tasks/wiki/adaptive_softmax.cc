#include "tasks/wiki/adaptive_softmax.h"

#include <cmath>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "attention/linear.h"

namespace sf::tasks::wiki {
TiedAdaptiveSoftmaxImpl::TiedAdaptiveSoftmaxImpl(const TiedAdaptiveSoftmaxOptions& options_)
    : options(options_) {
  const int64_t d = options.d_model();
  TORCH_CHECK(d > 0 && options.div_factor() > 0, "TiedAdaptiveSoftmax: d_model ", d,
              " and div_factor ", options.div_factor(), " must be positive");
  bounds_.push_back(0);
  for (int64_t c : options.cutoffs()) {
    TORCH_CHECK(c > bounds_.back() && c < options.vocab_size(),
                "TiedAdaptiveSoftmax: cutoffs must increase inside (0, ", options.vocab_size(),
                "), got ", c, " after ", bounds_.back());
    bounds_.push_back(c);
  }
  bounds_.push_back(options.vocab_size());
  int64_t width = d;
  for (int64_t i = 0; i < clusters(); ++i) {
    const int64_t size = bounds_[i + 1] - bounds_[i];
    // Inputs of unit variance after the sqrt(d_model) scale, as layers::TokenEmbedding.
    tables.push_back(register_parameter(absl::StrCat("table", i),
                                        at::randn({size, width}) / std::sqrt(width)));
    projections.push_back(
        i == 0 ? at::Tensor()
               : register_parameter(absl::StrCat("projection", i),
                                    at::randn({d, width}) * std::sqrt(1.0 / d)));
    width = std::max<int64_t>(1, width / options.div_factor());
  }
  cluster_weight = register_parameter("cluster_weight", at::zeros({clusters() - 1, d}));
  cluster_bias = register_parameter("cluster_bias", at::zeros({clusters() - 1}));
}

at::Tensor TiedAdaptiveSoftmaxImpl::embed(const at::Tensor& tokens) {
  const at::Tensor flat = tokens.reshape({-1});
  at::Tensor out = at::zeros({flat.size(0), options.d_model()}, tables[0].options());
  for (int64_t i = 0; i < clusters(); ++i) {
    const at::Tensor rows = ((flat >= bounds_[i]) & (flat < bounds_[i + 1])).nonzero().squeeze(1);
    if (rows.numel() == 0) continue;
    at::Tensor vectors = tables[i].index_select(0, flat.index_select(0, rows) - bounds_[i]);
    if (i > 0) vectors = at::matmul(vectors, projections[i].t());
    out = out.index_copy(0, rows, vectors);
  }
  std::vector<int64_t> shape = tokens.sizes().vec();
  shape.push_back(options.d_model());
  return (out * std::sqrt(static_cast<double>(options.d_model()))).view(shape);
}

at::Tensor TiedAdaptiveSoftmaxImpl::HeadLogProbs(const at::Tensor& hidden) {
  const at::Tensor logits = at::cat({attention::Linear(hidden, tables[0], {}),
                                     attention::Linear(hidden, cluster_weight, cluster_bias)},
                                    1);
  return at::log_softmax(logits, 1);
}

at::Tensor TiedAdaptiveSoftmaxImpl::TailLogits(const at::Tensor& hidden, int64_t i) {
  return attention::Linear(attention::Linear(hidden, projections[i].t(), {}), tables[i], {});
}

at::Tensor TiedAdaptiveSoftmaxImpl::target_log_probs(const at::Tensor& hidden,
                                                     const at::Tensor& targets) {
  const at::Tensor h = hidden.reshape({-1, options.d_model()});
  const at::Tensor t = targets.reshape({-1});
  TORCH_CHECK(h.size(0) == t.size(0), "TiedAdaptiveSoftmax: ", h.size(0), " hidden states but ",
              t.size(0), " targets");
  const at::Tensor head = HeadLogProbs(h);
  at::Tensor out = at::zeros({t.size(0)}, head.options());
  for (int64_t i = 0; i < clusters(); ++i) {
    const at::Tensor rows = ((t >= bounds_[i]) & (t < bounds_[i + 1])).nonzero().squeeze(1);
    if (rows.numel() == 0) continue;
    const at::Tensor local = (t.index_select(0, rows) - bounds_[i]).unsqueeze(1);
    at::Tensor lp;
    if (i == 0) {
      lp = head.index_select(0, rows).gather(1, local).squeeze(1);
    } else {
      const at::Tensor tail =
          at::log_softmax(TailLogits(h.index_select(0, rows), i), 1).gather(1, local).squeeze(1);
      lp = head.index_select(0, rows).select(1, bounds_[1] + i - 1) + tail;
    }
    out = out.index_copy(0, rows, lp);
  }
  return out.view(targets.sizes());
}

at::Tensor TiedAdaptiveSoftmaxImpl::log_probs(const at::Tensor& hidden) {
  const at::Tensor h = hidden.reshape({-1, options.d_model()});
  const at::Tensor head = HeadLogProbs(h);
  std::vector<at::Tensor> parts{head.slice(1, 0, bounds_[1])};
  for (int64_t i = 1; i < clusters(); ++i) {
    parts.push_back(at::log_softmax(TailLogits(h, i), 1) +
                    head.select(1, bounds_[1] + i - 1).unsqueeze(1));
  }
  std::vector<int64_t> shape = hidden.sizes().vec();
  shape.back() = options.vocab_size();
  return at::cat(parts, 1).view(shape);
}

}  // namespace sf::tasks::wiki
