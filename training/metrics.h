// Streaming evaluation metrics: each meter keeps a few counters (constant memory however many
// batches it sees), so evaluation over a whole split never stores predictions.
//
//   sf::training::ConfusionMatrix cm(/*num_classes=*/2);
//   sf::training::MeanMeter loss;
//   for (auto& batch : valid) {
//     at::Tensor logits = model->forward(batch.x);
//     cm.UpdateFromLogits(logits, batch.y);
//     loss.Add(criterion(logits, batch.y).item<double>(), batch.y.size(0));
//   }
//   double f1 = cm.F1(/*positive class=*/1), macro = cm.MacroF1();
//
//   sf::training::PerplexityMeter ppl;     // language models: exp(mean token NLL)
//   ppl.AddSum(nll_sum, num_tokens);
//   sf::training::ThroughputMeter speed;   // examples or tokens per second
//   speed.Add(batch_tokens);  double tps = speed.Rate();
//
// Conventions (those of scikit-learn with zero_division=0): a class never predicted has
// precision 0, a class never true has recall 0, F1 is 0 when precision and recall are; macro
// averages run over the classes that occur as a target or a prediction. A meter that has seen
// nothing returns NaN, so an empty evaluation never passes for a perfect or a zero score.
#ifndef SCRATCHFORMER_TRAINING_METRICS_H_
#define SCRATCHFORMER_TRAINING_METRICS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace sf::training {

// Fraction of predictions equal to their target, skipping targets equal to `ignore_index`
// (padding positions of a token batch). For any number of classes, e.g. a vocabulary.
class AccuracyMeter {
 public:
  explicit AccuracyMeter(std::optional<int64_t> ignore_index = std::nullopt)
      : ignore_index_(ignore_index) {}

  // Integer tensors with the same number of elements, on any device.
  void Update(const at::Tensor& predictions, const at::Tensor& targets);
  void Add(int64_t correct, int64_t total);

  double Value() const;
  int64_t correct() const { return correct_; }
  int64_t total() const { return total_; }
  void Reset() { correct_ = total_ = 0; }

 private:
  std::optional<int64_t> ignore_index_;
  int64_t correct_ = 0;
  int64_t total_ = 0;
};

// Counts of (target, prediction) pairs; every per-class metric derives from it.
class ConfusionMatrix {
 public:
  // 1 <= num_classes <= kMaxClasses (the matrix has num_classes^2 counters).
  explicit ConfusionMatrix(int64_t num_classes);
  static constexpr int64_t kMaxClasses = 2048;

  void Add(int64_t target, int64_t prediction, int64_t count = 1);
  // Integer tensors with the same number of elements, values in [0, num_classes).
  void Update(const at::Tensor& predictions, const at::Tensor& targets);
  // Predictions are the argmax over the last dimension of `logits` [..., num_classes].
  void UpdateFromLogits(const at::Tensor& logits, const at::Tensor& targets);

  int64_t count(int64_t target, int64_t prediction) const;
  int64_t total() const { return total_; }
  int64_t num_classes() const { return num_classes_; }

  double Accuracy() const;
  double Precision(int64_t cls) const;
  double Recall(int64_t cls) const;
  double F1(int64_t cls) const;
  double MacroPrecision() const;
  double MacroRecall() const;
  double MacroF1() const;

  // accuracy, macro_precision, macro_recall, macro_f1; with two classes also precision,
  // recall and f1 of class 1 (the positive class of a binary task).
  std::map<std::string, double> Summary() const;
  // The matrix as a table, rows = targets, columns = predictions.
  std::string ToString() const;
  void Reset();

 private:
  int64_t TruePositives(int64_t cls) const { return count(cls, cls); }
  int64_t Predicted(int64_t cls) const;
  int64_t Support(int64_t cls) const;
  double MacroAverage(const std::function<double(int64_t)>& metric) const;

  int64_t num_classes_;
  int64_t total_ = 0;
  std::vector<int64_t> counts_;  // row-major [target][prediction]
};

// Weighted running mean, e.g. of per-batch losses weighted by batch size.
class MeanMeter {
 public:
  void Add(double value, double weight = 1.0);
  double Mean() const;
  double sum() const { return sum_; }
  double weight() const { return weight_; }
  void Reset() { sum_ = weight_ = 0.0; }

 private:
  double sum_ = 0.0;
  double weight_ = 0.0;
};

// Perplexity = exp(total token negative log-likelihood / number of tokens).
class PerplexityMeter {
 public:
  // `nll_sum` summed over `tokens` tokens (e.g. cross_entropy with reduction sum).
  void AddSum(double nll_sum, int64_t tokens);
  // Per-token NLLs (any shape); every element is one token.
  void Update(const at::Tensor& token_nll);
  double MeanNll() const;
  double Perplexity() const;
  int64_t tokens() const { return tokens_; }
  void Reset();

 private:
  double nll_sum_ = 0.0;
  int64_t tokens_ = 0;
};

// Items (examples or tokens) per second of wall time since Start().
class ThroughputMeter {
 public:
  // Seconds on a monotonic clock; the default is std::chrono::steady_clock. Tests pass a fake.
  using Clock = std::function<double()>;
  explicit ThroughputMeter(Clock clock = {});

  // Resets the count and starts timing (the constructor also starts).
  void Start();
  void Add(int64_t items) { count_ += items; }
  int64_t count() const { return count_; }
  // Time between Pause and Resume is not counted (e.g. an evaluation inside a window of
  // training steps). Pausing twice, or resuming a running meter, changes nothing.
  void Pause();
  void Resume();
  double ElapsedSeconds() const;
  // 0 until some time has passed.
  double Rate() const;

 private:
  Clock clock_;
  double start_ = 0.0;
  double paused_at_ = -1.0;  // < 0: running
  int64_t count_ = 0;
};

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_METRICS_H_
