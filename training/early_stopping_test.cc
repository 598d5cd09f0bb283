#include "training/early_stopping.h"

#include <cmath>

#include <c10/util/Exception.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sf::training {
namespace {

TEST(EarlyStoppingTest, MinModeStopsAfterPatienceEvaluationsWithoutImprovement) {
  EarlyStopping s({.metric = "loss", .mode = MetricMode::kMin, .patience = 2});
  EXPECT_TRUE(s.Update(1.0, 10));
  EXPECT_TRUE(s.Update(0.8, 20));
  EXPECT_FALSE(s.Update(0.9, 30));
  EXPECT_FALSE(s.ShouldStop());
  EXPECT_TRUE(s.Update(0.7, 40));  // an improvement resets the count
  EXPECT_EQ(s.evaluations_since_best(), 0);
  EXPECT_FALSE(s.Update(0.7, 50));  // equal is not better
  EXPECT_FALSE(s.ShouldStop());
  EXPECT_FALSE(s.Update(0.75, 60));
  EXPECT_TRUE(s.ShouldStop());
  EXPECT_DOUBLE_EQ(s.best(), 0.7);
  EXPECT_EQ(s.best_step(), 40);
}

TEST(EarlyStoppingTest, MaxModeWithMinDelta) {
  EarlyStopping s({.metric = "accuracy", .mode = MetricMode::kMax, .patience = 1,
                   .min_delta = 0.01});
  EXPECT_TRUE(s.Update(0.50, 1));
  EXPECT_FALSE(s.Update(0.505, 2));  // better, but by less than min_delta
  EXPECT_TRUE(s.ShouldStop());
  EarlyStopping t({.metric = "accuracy", .mode = MetricMode::kMax, .patience = 1,
                   .min_delta = 0.01});
  EXPECT_TRUE(t.Update(0.50, 1));
  EXPECT_TRUE(t.Update(0.52, 2));
  EXPECT_FALSE(t.ShouldStop());
  EXPECT_DOUBLE_EQ(t.best(), 0.52);
}

TEST(EarlyStoppingTest, NanNeverImprovesAndZeroPatienceNeverStops) {
  EarlyStopping s({.patience = 0});
  EXPECT_FALSE(s.Update(NAN, 1));
  EXPECT_FALSE(s.has_best());
  EXPECT_TRUE(s.Update(3.0, 2));
  for (int i = 0; i < 100; ++i) s.Update(4.0, 3 + i);
  EXPECT_FALSE(s.ShouldStop());
  EXPECT_EQ(s.evaluations_since_best(), 100);
}

TEST(EarlyStoppingTest, StateRoundTripsThroughJson) {
  EarlyStopping a({.metric = "eval/loss", .patience = 3});
  a.Update(2.0, 5);
  a.Update(2.5, 10);
  EarlyStopping b({.metric = "eval/loss", .patience = 3});
  ASSERT_TRUE(b.FromJson(a.ToJson()).ok());
  EXPECT_EQ(b.best_step(), 5);
  EXPECT_DOUBLE_EQ(b.best(), 2.0);
  EXPECT_EQ(b.evaluations_since_best(), 1);
  b.Update(2.1, 15);
  b.Update(2.1, 20);
  EXPECT_TRUE(b.ShouldStop());

  EarlyStopping c({.metric = "eval/loss"});
  c.Update(-INFINITY, 1);
  EarlyStopping d({.metric = "eval/loss"});
  ASSERT_TRUE(d.FromJson(c.ToJson()).ok());
  EXPECT_EQ(d.best(), -INFINITY);
}

TEST(EarlyStoppingTest, RejectsStateOfAnotherMetric) {
  EarlyStopping a({.metric = "eval/loss"});
  a.Update(1.0, 1);
  EarlyStopping b({.metric = "eval/accuracy", .mode = MetricMode::kMax});
  absl::Status s = b.FromJson(a.ToJson());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "eval/accuracy")) << s;
  EXPECT_FALSE(b.FromJson(nlohmann::json::array()).ok());
  EXPECT_FALSE(b.FromJson({{"metric", "eval/accuracy"}}).ok());
}

TEST(EarlyStoppingTest, ParsesModes) {
  EXPECT_EQ(*ParseMetricMode("min"), MetricMode::kMin);
  EXPECT_EQ(*ParseMetricMode("max"), MetricMode::kMax);
  EXPECT_TRUE(absl::StrContains(ParseMetricMode("up").status().message(), "'up'"));
  EXPECT_THROW(EarlyStopping({.patience = -1}), c10::Error);
}

}  // namespace
}  // namespace sf::training
