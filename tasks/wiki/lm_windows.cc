#include "tasks/wiki/lm_windows.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>

namespace sf::tasks::wiki {

LmBatch SampleWindows(const at::Tensor& ids, int64_t batch, int64_t len, std::mt19937_64& rng) {
  const int64_t n = ids.size(0);
  TORCH_CHECK(n > len, "SampleWindows: ", n, " tokens cannot hold a window of ", len, " + 1");
  std::uniform_int_distribution<int64_t> start(0, n - len - 1);
  std::vector<at::Tensor> windows;
  windows.reserve(batch);
  for (int64_t b = 0; b < batch; ++b) windows.push_back(ids.slice(0, start(rng)).slice(0, 0, len + 1));
  at::Tensor stacked = at::stack(windows);
  return {stacked.slice(1, 0, len), stacked.slice(1, 1, len + 1)};
}

Perplexity EvaluatePerplexity(CausalLm& model, const at::Tensor& ids, int64_t context,
                              int64_t batch) {
  const int64_t predicted = ids.size(0) - 1;
  TORCH_CHECK(predicted > 0 && context > 0 && batch > 0,
              "EvaluatePerplexity: need at least two tokens and positive sizes");
  const int64_t full_windows = predicted / context;
  double total = 0.0;
  auto add = [&](const at::Tensor& inputs, const at::Tensor& targets) {
    total -= model->target_log_probs(model->forward(inputs).hidden, targets)
                 .to(at::kDouble)
                 .sum()
                 .item<double>();
  };
  at::Tensor full_inputs = ids.slice(0, 0, full_windows * context).view({full_windows, context});
  at::Tensor full_targets =
      ids.slice(0, 1, full_windows * context + 1).view({full_windows, context});
  for (int64_t first = 0; first < full_windows; first += batch) {
    const int64_t last = std::min(full_windows, first + batch);
    add(full_inputs.slice(0, first, last), full_targets.slice(0, first, last));
  }
  const int64_t rest = predicted - full_windows * context;
  if (rest > 0) {
    const int64_t start = full_windows * context;
    add(ids.slice(0, start, start + rest).unsqueeze(0),
        ids.slice(0, start + 1, start + rest + 1).unsqueeze(0));
  }
  Perplexity out;
  out.tokens = predicted;
  out.loss = total / predicted;
  out.perplexity = std::exp(out.loss);
  return out;
}

}  // namespace sf::tasks::wiki
