#include "training/metrics.h"

#include <cmath>
#include <vector>

#include <ATen/ops/log.h>
#include <ATen/ops/tensor.h>
#include <c10/util/Exception.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sf::training {
namespace {

at::Tensor Labels(const std::vector<int64_t>& v) { return at::tensor(v, at::kLong); }

// Hand-computed: rows = targets, columns = predictions
//   [2 1 1]   support 4      predicted: 3 4 3
//   [0 2 0]   support 2      TP:        2 2 2
//   [1 1 2]   support 4
const std::vector<int64_t> kTargets = {0, 0, 0, 0, 1, 1, 2, 2, 2, 2};
const std::vector<int64_t> kPredictions = {0, 0, 1, 2, 1, 1, 2, 0, 1, 2};

TEST(ConfusionMatrixTest, MulticlassAgainstHandComputedValues) {
  ConfusionMatrix cm(3);
  cm.Update(Labels(kPredictions), Labels(kTargets));
  EXPECT_EQ(cm.total(), 10);
  EXPECT_EQ(cm.count(0, 0), 2);
  EXPECT_EQ(cm.count(0, 1), 1);
  EXPECT_EQ(cm.count(2, 0), 1);
  EXPECT_EQ(cm.count(1, 0), 0);
  EXPECT_DOUBLE_EQ(cm.Accuracy(), 0.6);
  EXPECT_DOUBLE_EQ(cm.Precision(0), 2.0 / 3);
  EXPECT_DOUBLE_EQ(cm.Precision(1), 0.5);
  EXPECT_DOUBLE_EQ(cm.Recall(0), 0.5);
  EXPECT_DOUBLE_EQ(cm.Recall(1), 1.0);
  EXPECT_DOUBLE_EQ(cm.F1(0), 4.0 / 7);
  EXPECT_DOUBLE_EQ(cm.F1(1), 2.0 / 3);
  EXPECT_DOUBLE_EQ(cm.MacroPrecision(), 11.0 / 18);
  EXPECT_DOUBLE_EQ(cm.MacroRecall(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(cm.MacroF1(), 38.0 / 63);
  EXPECT_EQ(cm.Summary().count("f1"), 0u);
}

TEST(ConfusionMatrixTest, StreamingInChunksEqualsOneBatch) {
  ConfusionMatrix whole(3), chunks(3), singles(3);
  whole.Update(Labels(kPredictions), Labels(kTargets));
  at::Tensor p = Labels(kPredictions), t = Labels(kTargets);
  chunks.Update(p.slice(0, 0, 3), t.slice(0, 0, 3));
  chunks.Update(p.slice(0, 3, 10).view({7, 1}), t.slice(0, 3, 10));
  for (size_t i = 0; i < kTargets.size(); ++i) singles.Add(kTargets[i], kPredictions[i]);
  for (int64_t a = 0; a < 3; ++a) {
    for (int64_t b = 0; b < 3; ++b) {
      EXPECT_EQ(chunks.count(a, b), whole.count(a, b));
      EXPECT_EQ(singles.count(a, b), whole.count(a, b));
    }
  }
}

TEST(ConfusionMatrixTest, BinaryPrecisionRecallF1OfPositiveClass) {
  // TP 3, FN 1, FP 2, TN 2.
  ConfusionMatrix cm(2);
  cm.Update(Labels({1, 0, 1, 1, 1, 0, 1, 0}), Labels({1, 1, 1, 0, 0, 0, 1, 0}));
  std::map<std::string, double> s = cm.Summary();
  EXPECT_DOUBLE_EQ(s["accuracy"], 5.0 / 8);
  EXPECT_DOUBLE_EQ(s["precision"], 3.0 / 5);
  EXPECT_DOUBLE_EQ(s["recall"], 3.0 / 4);
  EXPECT_DOUBLE_EQ(s["f1"], 2.0 / 3);
  // Class 0: precision 2/3, recall 2/4, F1 4/7.
  EXPECT_DOUBLE_EQ(s["macro_f1"], (2.0 / 3 + 4.0 / 7) / 2);
}

TEST(ConfusionMatrixTest, FromLogitsUsesArgmax) {
  ConfusionMatrix cm(3);
  at::Tensor logits = at::tensor({0.1, 0.9, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 5.0}).view({3, 3});
  cm.UpdateFromLogits(logits, Labels({1, 1, 2}));
  EXPECT_EQ(cm.count(1, 1), 1);
  EXPECT_EQ(cm.count(1, 0), 1);
  EXPECT_EQ(cm.count(2, 2), 1);
}

TEST(ConfusionMatrixTest, ZeroDivisionAndAbsentClasses) {
  ConfusionMatrix cm(4);
  EXPECT_TRUE(std::isnan(cm.Accuracy()));
  EXPECT_TRUE(std::isnan(cm.MacroF1()));
  cm.Add(0, 0, 3);
  cm.Add(1, 0, 1);  // class 1 is never predicted: precision 0, F1 0
  EXPECT_DOUBLE_EQ(cm.Precision(1), 0.0);
  EXPECT_DOUBLE_EQ(cm.F1(1), 0.0);
  // Classes 2 and 3 never occur: the macro average is over classes 0 and 1.
  EXPECT_DOUBLE_EQ(cm.MacroRecall(), (1.0 + 0.0) / 2);
  EXPECT_DOUBLE_EQ(cm.MacroPrecision(), (0.75 + 0.0) / 2);
  cm.Reset();
  EXPECT_EQ(cm.total(), 0);
  EXPECT_EQ(cm.count(0, 0), 0);
}

TEST(ConfusionMatrixTest, RejectsOutOfRangeLabelsNamingThem) {
  ConfusionMatrix cm(3);
  try {
    cm.Update(Labels({0, 3}), Labels({0, 1}));
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_TRUE(absl::StrContains(e.what(), "got values in [0, 3]")) << e.what();
  }
  EXPECT_EQ(cm.total(), 0);
  EXPECT_THROW(cm.Update(Labels({0}), Labels({0, 1})), c10::Error);
  EXPECT_THROW(cm.Add(-1, 0), c10::Error);
  EXPECT_THROW(ConfusionMatrix(0), c10::Error);
}

TEST(ConfusionMatrixTest, ToStringShowsCounts) {
  ConfusionMatrix cm(2);
  cm.Add(1, 0, 12345);
  std::string table = cm.ToString();
  EXPECT_TRUE(absl::StrContains(table, "12345")) << table;
}

TEST(AccuracyMeterTest, SkipsIgnoredTargets) {
  AccuracyMeter acc(-100);
  acc.Update(Labels({1, 2, 3, 4}), Labels({1, 0, -100, 4}));
  EXPECT_EQ(acc.correct(), 2);
  EXPECT_EQ(acc.total(), 3);
  acc.Update(Labels({7}), Labels({7}));
  EXPECT_DOUBLE_EQ(acc.Value(), 3.0 / 4);
  acc.Reset();
  EXPECT_TRUE(std::isnan(acc.Value()));
}

TEST(MeanMeterTest, WeightedMean) {
  MeanMeter m;
  EXPECT_TRUE(std::isnan(m.Mean()));
  m.Add(2.0, 3);  // a batch of 3 with mean loss 2
  m.Add(4.0, 1);
  EXPECT_DOUBLE_EQ(m.Mean(), 10.0 / 4);
  EXPECT_DOUBLE_EQ(m.weight(), 4.0);
}

TEST(PerplexityMeterTest, ExpOfMeanTokenNll) {
  PerplexityMeter p;
  p.Update(at::log(at::tensor({2.0, 2.0, 8.0}, at::kDouble)));
  EXPECT_NEAR(p.MeanNll(), 5.0 / 3 * std::log(2.0), 1e-12);
  EXPECT_NEAR(p.Perplexity(), std::pow(2.0, 5.0 / 3), 1e-12);
  p.AddSum(std::log(4.0), 1);
  EXPECT_NEAR(p.Perplexity(), std::pow(2.0, 7.0 / 4), 1e-12);
  EXPECT_EQ(p.tokens(), 4);
}

TEST(ThroughputMeterTest, ItemsPerSecondOnAFakeClock) {
  double now = 100.0;
  ThroughputMeter t([&now] { return now; });
  EXPECT_EQ(t.Rate(), 0.0);
  t.Add(500);
  now = 102.0;
  t.Add(300);
  EXPECT_DOUBLE_EQ(t.Rate(), 400.0);
  EXPECT_DOUBLE_EQ(t.ElapsedSeconds(), 2.0);
  t.Start();
  EXPECT_EQ(t.count(), 0);
  now = 103.0;
  t.Add(10);
  EXPECT_DOUBLE_EQ(t.Rate(), 10.0);
}

TEST(ThroughputMeterTest, PausedTimeIsNotCounted) {
  double now = 0.0;
  ThroughputMeter t([&now] { return now; });
  t.Add(100);
  now = 1.0;
  t.Pause();
  t.Pause();  // no effect
  now = 31.0;  // an evaluation
  EXPECT_DOUBLE_EQ(t.ElapsedSeconds(), 1.0);
  t.Resume();
  t.Resume();  // no effect
  now = 2.0 + 30.0;
  t.Add(100);
  EXPECT_DOUBLE_EQ(t.ElapsedSeconds(), 2.0);
  EXPECT_DOUBLE_EQ(t.Rate(), 100.0);
  t.Pause();
  t.Start();  // a new window runs
  now = 33.0;
  EXPECT_DOUBLE_EQ(t.ElapsedSeconds(), 1.0);
}

}  // namespace
}  // namespace sf::training
