#include "benchmarks/analysis/statistics.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace sf::benchmarks::analysis {
namespace {

TEST(MedianTest, OddEvenAndEmpty) {
  EXPECT_DOUBLE_EQ(Median({5, 1, 3}), 3);
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_TRUE(std::isnan(Median({})));
}

TEST(MedianConfidenceIntervalTest, TenSamplesUseSecondAndNinthOrderStatistics) {
  // n = 10: j = 2 covers 1 - 2 * 11/1024 = 97.85%, j = 3 only 1 - 2 * 56/1024 = 89.06%.
  const Interval ci = MedianConfidenceInterval({10, 1, 9, 2, 8, 3, 7, 4, 6, 5});
  EXPECT_DOUBLE_EQ(ci.low, 2);
  EXPECT_DOUBLE_EQ(ci.high, 9);
  EXPECT_NEAR(ci.coverage, 1 - 22.0 / 1024, 1e-12);
}

TEST(MedianConfidenceIntervalTest, FewSamplesFallBackToTheRangeWithItsCoverage) {
  const Interval ci = MedianConfidenceInterval({3, 1, 2, 5, 4});
  EXPECT_DOUBLE_EQ(ci.low, 1);
  EXPECT_DOUBLE_EQ(ci.high, 5);
  EXPECT_NEAR(ci.coverage, 1 - 2.0 / 32, 1e-12);  // 93.75% < 95%
  const Interval six = MedianConfidenceInterval({1, 2, 3, 4, 5, 6});
  EXPECT_NEAR(six.coverage, 1 - 2.0 / 64, 1e-12);
}

TEST(MedianConfidenceIntervalTest, CoversTheTrueMedianAboutAsOftenAsItClaims) {
  // Exponential samples (skewed like timings), true median ln 2.
  std::mt19937 rng(7);
  std::exponential_distribution<double> dist(1.0);
  int covered = 0;
  const int trials = 4000;
  double claimed = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> s(20);
    for (double& v : s) v = dist(rng);
    const Interval ci = MedianConfidenceInterval(s);
    claimed = ci.coverage;
    covered += ci.low <= std::log(2.0) && std::log(2.0) <= ci.high;
  }
  EXPECT_GE(claimed, 0.95);
  EXPECT_NEAR(static_cast<double>(covered) / trials, claimed, 0.015);
}

TEST(MeanConfidenceIntervalTest, MatchesTheTextbookValue) {
  // Mean 3, s = sqrt(2.5), t(4) = 2.776: half width 2.776 * sqrt(2.5 / 5) = 1.9629.
  const Interval ci = MeanConfidenceInterval95({1, 2, 3, 4, 5});
  EXPECT_NEAR(ci.low, 3 - 1.96293, 1e-4);
  EXPECT_NEAR(ci.high, 3 + 1.96293, 1e-4);
}

TEST(StudentTTest, TableAndLargeSampleApproximation) {
  EXPECT_DOUBLE_EQ(StudentT975(1), 12.706);
  EXPECT_DOUBLE_EQ(StudentT975(30), 2.042);
  EXPECT_NEAR(StudentT975(60), 2.000, 1e-3);
  EXPECT_NEAR(StudentT975(120), 1.980, 1e-3);
}

TEST(FitPowerLawTest, RecoversExactExponentsAndCoefficients) {
  const std::vector<double> x = {64, 128, 256, 512, 1024};
  std::vector<double> quadratic, linear;
  for (double v : x) {
    quadratic.push_back(3e-5 * v * v);
    linear.push_back(0.5 * v);
  }
  absl::StatusOr<PowerLawFit> q = FitPowerLaw(x, quadratic);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_NEAR(q->exponent, 2.0, 1e-12);
  EXPECT_NEAR(q->coefficient, 3e-5, 1e-15);
  EXPECT_NEAR(q->r_squared, 1.0, 1e-12);
  EXPECT_EQ(q->points, 5);
  absl::StatusOr<PowerLawFit> l = FitPowerLaw(x, linear);
  ASSERT_TRUE(l.ok());
  EXPECT_NEAR(l->exponent, 1.0, 1e-12);
}

TEST(FitPowerLawTest, NoisyDataGivesTheExponentWithinNoise) {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.05);
  std::vector<double> x, y;
  for (double v = 64; v <= 8192; v *= 2) {
    x.push_back(v);
    y.push_back(2.0 * std::pow(v, 1.5) * std::exp(noise(rng)));
  }
  absl::StatusOr<PowerLawFit> fit = FitPowerLaw(x, y);
  ASSERT_TRUE(fit.ok());
  EXPECT_NEAR(fit->exponent, 1.5, 0.05);
  EXPECT_GT(fit->r_squared, 0.99);
  EXPECT_LT(fit->r_squared, 1.0);
}

TEST(FitPowerLawTest, RejectsUnusableInputNamingTheValue) {
  EXPECT_FALSE(FitPowerLaw({1}, {1}).ok());
  EXPECT_FALSE(FitPowerLaw({1, 2}, {1}).ok());
  EXPECT_FALSE(FitPowerLaw({4, 4}, {1, 2}).ok());
  absl::StatusOr<PowerLawFit> bad = FitPowerLaw({1, 2}, {1, -3});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("-3"), std::string::npos);
}

}  // namespace
}  // namespace sf::benchmarks::analysis
