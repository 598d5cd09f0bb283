#include "benchmarks/analysis/scaling.h"

#include <cmath>

#include "gtest/gtest.h"

namespace sf::benchmarks::analysis {
namespace {

// A synthetic curve time = c * L^k, memory = m * L^j over L = 64..4096.
std::vector<Measurement> Curve(const std::string& impl, bool dense, const std::string& mask,
                               double c, double k, double mem, double j) {
  std::vector<Measurement> out;
  for (int64_t len = 64; len <= 4096; len *= 2) {
    Measurement m;
    m.implementation = impl;
    m.pass = "forward";
    m.mask = mask;
    m.batch = 1;
    m.heads = 4;
    m.d_model = 128;
    m.length = len;
    m.dense_scores = dense;
    const double t = c * std::pow(len, k);
    m.times_ms = {t * 0.99, t, t * 1.01, t * 1.02, t * 0.98, t};
    m.run_rss_mib = mem * std::pow(len, j);
    Summarize(m);
    out.push_back(m);
  }
  return out;
}

const ScalingFit* Find(const std::vector<ScalingFit>& fits, const std::string& impl,
                       Quantity quantity) {
  for (const ScalingFit& f : fits) {
    if (f.implementation == impl && f.quantity == quantity) return &f;
  }
  return nullptr;
}

TEST(TheoreticalExponentTest, DependsOnMaskAndOnMaterialisedScores) {
  Measurement m;
  m.mask = "window";
  m.dense_scores = false;
  EXPECT_EQ(TheoreticalExponent(m, Quantity::kTime), 1.0);
  EXPECT_EQ(TheoreticalExponent(m, Quantity::kMemory), 1.0);
  m.dense_scores = true;
  EXPECT_EQ(TheoreticalExponent(m, Quantity::kTime), 2.0);
  EXPECT_EQ(TheoreticalExponent(m, Quantity::kMemory), 2.0);
  m.mask = "causal";
  m.dense_scores = false;
  EXPECT_EQ(TheoreticalExponent(m, Quantity::kTime), 2.0);
}

TEST(FitScalingTest, RecoversKnownExponentsOverTheUpperHalfOfLengths) {
  std::vector<Measurement> all = Curve("fused", false, "window", 1e-3, 1.0, 0.01, 1.0);
  // A fixed cost that dominates short sequences must not bend the fit much: 0.5 ms + L^2 term.
  for (Measurement& m : Curve("reference", true, "window", 1e-6, 2.0, 1e-5, 2.0)) {
    for (double& t : m.times_ms) t += 0.001;
    Summarize(m);
    all.push_back(m);
  }
  const std::vector<ScalingFit> fits = FitScaling(all);
  ASSERT_EQ(fits.size(), 4u);
  const ScalingFit* fused_time = Find(fits, "fused", Quantity::kTime);
  ASSERT_NE(fused_time, nullptr);
  ASSERT_TRUE(fused_time->fit.has_value());
  EXPECT_NEAR(fused_time->fit->exponent, 1.0, 0.01);
  EXPECT_EQ(fused_time->theoretical, 1.0);
  EXPECT_EQ(fused_time->min_length, 512);  // 7 lengths: the upper 4
  EXPECT_EQ(fused_time->max_length, 4096);
  const ScalingFit* ref_time = Find(fits, "reference", Quantity::kTime);
  ASSERT_TRUE(ref_time->fit.has_value());
  EXPECT_NEAR(ref_time->fit->exponent, 2.0, 0.05);
  const ScalingFit* ref_mem = Find(fits, "reference", Quantity::kMemory);
  EXPECT_NEAR(ref_mem->fit->exponent, 2.0, 1e-9);
  EXPECT_EQ(ref_mem->theoretical, 2.0);
}

TEST(FitScalingTest, SkipsFailedPointsAndCurvesWithOnePoint) {
  std::vector<Measurement> all = Curve("fused", false, "none", 1e-3, 2.0, 0.01, 1.0);
  for (size_t i = 1; i < all.size(); ++i) all[i].status = "failed: out of memory";
  EXPECT_TRUE(FitScaling(all).empty());
}

TEST(RecommendTest, MergesLengthsWithTheSameWinnerIntoRanges) {
  // "a" costs 0.1 + L/1000 ms, "b" costs L^2 / 100000 ms: b wins up to L = 128, a above.
  std::vector<Measurement> all;
  for (const char* impl : {"a", "b"}) {
    for (int64_t len = 32; len <= 1024; len *= 2) {
      Measurement m;
      m.implementation = impl;
      m.pass = "forward";
      m.mask = "none";
      m.length = len;
      const double t = std::string(impl) == "a" ? 0.1 + len / 1000.0 : len * len / 1e5;
      m.times_ms = {t, t, t, t, t, t};
      Summarize(m);
      all.push_back(m);
    }
  }
  const std::vector<Recommendation> recs = Recommend(all);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].winner, "b");
  EXPECT_EQ(recs[0].from_length, 32);
  EXPECT_EQ(recs[0].to_length, 128);
  EXPECT_EQ(recs[0].runner_up, "a");
  EXPECT_EQ(recs[1].winner, "a");
  EXPECT_EQ(recs[1].from_length, 256);
  EXPECT_EQ(recs[1].to_length, 1024);
  EXPECT_EQ(recs[1].lengths, 3);
  // At L = 256: b = 0.65536, a = 0.356: the smallest margin in a's range.
  EXPECT_NEAR(recs[1].min_speedup, 0.65536 / 0.356, 1e-9);
  // Identical repetitions: zero-width intervals, every win is clear.
  EXPECT_EQ(recs[1].clear_wins, 3);
}

TEST(RecommendTest, NeedsTwoSuccessfulImplementations) {
  Measurement m;
  m.implementation = "only";
  m.times_ms = {1, 1, 1};
  Summarize(m);
  Measurement failed = m;
  failed.implementation = "other";
  failed.status = "unsupported";
  EXPECT_TRUE(Recommend({m, failed}).empty());
}

}  // namespace
}  // namespace sf::benchmarks::analysis
