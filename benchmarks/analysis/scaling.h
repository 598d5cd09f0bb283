// What the measurements say, computed rather than written by hand: how time and memory grow
// with the sequence length L (fitted exponent beside the theoretical one), and which
// implementation wins over which range of L for each shape and mask.
//
//   std::vector<ScalingFit> fits = sf::benchmarks::analysis::FitScaling(measurements);
//   std::vector<Recommendation> recs = sf::benchmarks::analysis::Recommend(measurements);
#ifndef SCRATCHFORMER_BENCHMARKS_ANALYSIS_SCALING_H_
#define SCRATCHFORMER_BENCHMARKS_ANALYSIS_SCALING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/analysis/measurement.h"
#include "benchmarks/analysis/statistics.h"

namespace sf::benchmarks::analysis {

enum class Quantity { kTime, kMemory };

// The exponent of L that the algorithm predicts: time grows like L^2 for every dense
// implementation and for a streaming one under a full, causal or padding mask, and like L for
// a streaming implementation under a fixed-width window; memory grows like L^2 when the
// scores are materialised and like L otherwise.
double TheoreticalExponent(const Measurement& m, Quantity quantity);

struct ScalingFit {
  std::string implementation;
  std::string group;  // Measurement::GroupName()
  Quantity quantity = Quantity::kTime;
  double theoretical = 0;
  std::optional<PowerLawFit> fit;  // absent when fewer than 2 usable points
  int64_t min_length = 0;          // range of L the fit used
  int64_t max_length = 0;
};

// For each implementation and group with measurements at 2 or more lengths: a log-log fit of
// median time (and of run_rss_mib) against L over the upper half of the lengths (at least 3
// points when there are), where the L-dependent term dominates fixed per-call costs.
std::vector<ScalingFit> FitScaling(const std::vector<Measurement>& measurements);

struct Recommendation {
  std::string group;  // Measurement::GroupName()
  int64_t from_length = 0;
  int64_t to_length = 0;
  std::string winner;
  std::string runner_up;
  // Smallest ratio runner-up median / winner median over the range.
  double min_speedup = 0;
  // Lengths in the range where the winner's interval lies entirely below the runner-up's.
  int clear_wins = 0;
  int lengths = 0;
};

// Per group, the fastest implementation (by median) at each length, merged into runs of
// consecutive lengths with the same winner. Lengths with fewer than two successful
// implementations are left out.
std::vector<Recommendation> Recommend(const std::vector<Measurement>& measurements);

}  // namespace sf::benchmarks::analysis

#endif  // SCRATCHFORMER_BENCHMARKS_ANALYSIS_SCALING_H_
