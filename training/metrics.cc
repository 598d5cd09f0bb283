#include "training/metrics.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include <ATen/ops/bincount.h>
#include <c10/util/Exception.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sf::training {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Ratio(int64_t num, int64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

void CheckLabels(const at::Tensor& predictions, const at::Tensor& targets) {
  TORCH_CHECK(predictions.numel() == targets.numel(), "predictions have ",
              predictions.numel(), " elements but targets have ", targets.numel());
  TORCH_CHECK(!c10::isFloatingType(predictions.scalar_type()) &&
                  !c10::isFloatingType(targets.scalar_type()),
              "predictions and targets must be integer labels, got ",
              predictions.scalar_type(), " and ", targets.scalar_type());
}

}  // namespace

void AccuracyMeter::Update(const at::Tensor& predictions, const at::Tensor& targets) {
  CheckLabels(predictions, targets);
  at::Tensor p = predictions.reshape({-1}).to(at::kLong);
  at::Tensor t = targets.reshape({-1}).to(at::kLong).to(p.device());
  at::Tensor correct = p.eq(t);
  int64_t total = t.numel();
  if (ignore_index_) {
    at::Tensor keep = t.ne(*ignore_index_);
    correct = correct.logical_and(keep);
    total = keep.sum().item<int64_t>();
  }
  Add(correct.sum().item<int64_t>(), total);
}

void AccuracyMeter::Add(int64_t correct, int64_t total) {
  TORCH_CHECK(correct >= 0 && correct <= total, "need 0 <= correct <= total, got correct ",
              correct, ", total ", total);
  correct_ += correct;
  total_ += total;
}

double AccuracyMeter::Value() const { return total_ == 0 ? kNaN : Ratio(correct_, total_); }

ConfusionMatrix::ConfusionMatrix(int64_t num_classes) : num_classes_(num_classes) {
  TORCH_CHECK(num_classes >= 1 && num_classes <= kMaxClasses, "num_classes must be in [1, ",
              kMaxClasses, "], got ", num_classes,
              " (for vocabulary-sized label sets use AccuracyMeter)");
  counts_.assign(static_cast<size_t>(num_classes * num_classes), 0);
}

void ConfusionMatrix::Add(int64_t target, int64_t prediction, int64_t count) {
  TORCH_CHECK(target >= 0 && target < num_classes_ && prediction >= 0 &&
                  prediction < num_classes_,
              "labels must be in [0, ", num_classes_, "), got target ", target,
              ", prediction ", prediction);
  TORCH_CHECK(count >= 0, "count must be >= 0, got ", count);
  counts_[static_cast<size_t>(target * num_classes_ + prediction)] += count;
  total_ += count;
}

void ConfusionMatrix::Update(const at::Tensor& predictions, const at::Tensor& targets) {
  CheckLabels(predictions, targets);
  if (targets.numel() == 0) return;
  at::Tensor p = predictions.reshape({-1}).to(at::kCPU, at::kLong);
  at::Tensor t = targets.reshape({-1}).to(at::kCPU, at::kLong);
  const int64_t lo = std::min(p.min().item<int64_t>(), t.min().item<int64_t>());
  const int64_t hi = std::max(p.max().item<int64_t>(), t.max().item<int64_t>());
  TORCH_CHECK(lo >= 0 && hi < num_classes_, "labels must be in [0, ", num_classes_,
              "), got values in [", lo, ", ", hi, "]");
  at::Tensor cells = at::bincount(t.mul(num_classes_).add(p), {}, num_classes_ * num_classes_);
  const int64_t* c = cells.data_ptr<int64_t>();
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += c[i];
  total_ += t.numel();
}

void ConfusionMatrix::UpdateFromLogits(const at::Tensor& logits, const at::Tensor& targets) {
  TORCH_CHECK(logits.dim() >= 1 && logits.size(-1) == num_classes_,
              "logits must end in a dimension of size ", num_classes_, ", got shape ",
              logits.sizes());
  Update(logits.argmax(-1), targets);
}

int64_t ConfusionMatrix::count(int64_t target, int64_t prediction) const {
  TORCH_CHECK(target >= 0 && target < num_classes_ && prediction >= 0 &&
                  prediction < num_classes_,
              "labels must be in [0, ", num_classes_, "), got target ", target,
              ", prediction ", prediction);
  return counts_[static_cast<size_t>(target * num_classes_ + prediction)];
}

int64_t ConfusionMatrix::Predicted(int64_t cls) const {
  int64_t n = 0;
  for (int64_t t = 0; t < num_classes_; ++t) n += count(t, cls);
  return n;
}

int64_t ConfusionMatrix::Support(int64_t cls) const {
  int64_t n = 0;
  for (int64_t p = 0; p < num_classes_; ++p) n += count(cls, p);
  return n;
}

double ConfusionMatrix::Accuracy() const {
  if (total_ == 0) return kNaN;
  int64_t correct = 0;
  for (int64_t c = 0; c < num_classes_; ++c) correct += TruePositives(c);
  return Ratio(correct, total_);
}

double ConfusionMatrix::Precision(int64_t cls) const {
  return total_ == 0 ? kNaN : Ratio(TruePositives(cls), Predicted(cls));
}

double ConfusionMatrix::Recall(int64_t cls) const {
  return total_ == 0 ? kNaN : Ratio(TruePositives(cls), Support(cls));
}

double ConfusionMatrix::F1(int64_t cls) const {
  if (total_ == 0) return kNaN;
  // 2PR / (P + R) written with counts: 2 TP / (2 TP + FP + FN).
  return Ratio(2 * TruePositives(cls), Predicted(cls) + Support(cls));
}

double ConfusionMatrix::MacroAverage(const std::function<double(int64_t)>& metric) const {
  double sum = 0.0;
  int64_t classes = 0;
  for (int64_t c = 0; c < num_classes_; ++c) {
    if (Predicted(c) == 0 && Support(c) == 0) continue;
    sum += metric(c);
    ++classes;
  }
  return classes == 0 ? kNaN : sum / static_cast<double>(classes);
}

double ConfusionMatrix::MacroPrecision() const {
  return MacroAverage([this](int64_t c) { return Precision(c); });
}

double ConfusionMatrix::MacroRecall() const {
  return MacroAverage([this](int64_t c) { return Recall(c); });
}

double ConfusionMatrix::MacroF1() const {
  return MacroAverage([this](int64_t c) { return F1(c); });
}

std::map<std::string, double> ConfusionMatrix::Summary() const {
  std::map<std::string, double> out = {{"accuracy", Accuracy()},
                                       {"macro_precision", MacroPrecision()},
                                       {"macro_recall", MacroRecall()},
                                       {"macro_f1", MacroF1()}};
  if (num_classes_ == 2) {
    out["precision"] = Precision(1);
    out["recall"] = Recall(1);
    out["f1"] = F1(1);
  }
  return out;
}

std::string ConfusionMatrix::ToString() const {
  int width = 6;
  for (int64_t v : counts_) width = std::max(width, static_cast<int>(absl::StrCat(v).size()) + 1);
  std::string out = absl::StrFormat("%*s", width, "t\\p");
  for (int64_t p = 0; p < num_classes_; ++p) absl::StrAppendFormat(&out, "%*d", width, p);
  out += "\n";
  for (int64_t t = 0; t < num_classes_; ++t) {
    absl::StrAppendFormat(&out, "%*d", width, t);
    for (int64_t p = 0; p < num_classes_; ++p) {
      absl::StrAppendFormat(&out, "%*d", width, count(t, p));
    }
    out += "\n";
  }
  return out;
}

void ConfusionMatrix::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
}

void MeanMeter::Add(double value, double weight) {
  TORCH_CHECK(weight >= 0, "weight must be >= 0, got ", weight);
  sum_ += value * weight;
  weight_ += weight;
}

double MeanMeter::Mean() const { return weight_ == 0.0 ? kNaN : sum_ / weight_; }

void PerplexityMeter::AddSum(double nll_sum, int64_t tokens) {
  TORCH_CHECK(tokens >= 0, "tokens must be >= 0, got ", tokens);
  nll_sum_ += nll_sum;
  tokens_ += tokens;
}

void PerplexityMeter::Update(const at::Tensor& token_nll) {
  AddSum(token_nll.sum().item<double>(), token_nll.numel());
}

double PerplexityMeter::MeanNll() const {
  return tokens_ == 0 ? kNaN : nll_sum_ / static_cast<double>(tokens_);
}

double PerplexityMeter::Perplexity() const { return std::exp(MeanNll()); }

void PerplexityMeter::Reset() {
  nll_sum_ = 0.0;
  tokens_ = 0;
}

ThroughputMeter::ThroughputMeter(Clock clock) : clock_(std::move(clock)) {
  if (!clock_) {
    clock_ = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
  Start();
}

void ThroughputMeter::Start() {
  start_ = clock_();
  paused_at_ = -1.0;
  count_ = 0;
}

void ThroughputMeter::Pause() {
  if (paused_at_ < 0) paused_at_ = clock_();
}

void ThroughputMeter::Resume() {
  if (paused_at_ < 0) return;
  start_ += clock_() - paused_at_;
  paused_at_ = -1.0;
}

double ThroughputMeter::ElapsedSeconds() const {
  return (paused_at_ >= 0 ? paused_at_ : clock_()) - start_;
}

double ThroughputMeter::Rate() const {
  const double elapsed = ElapsedSeconds();
  return elapsed > 0 ? static_cast<double>(count_) / elapsed : 0.0;
}

}  // namespace sf::training
