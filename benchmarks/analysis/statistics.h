// Summary statistics for benchmark repetitions and scaling fits.
//
//   std::vector<double> ms = {4.1, 3.9, 4.0, 4.4, 3.8, 4.0};
//   double m = sf::benchmarks::analysis::Median(ms);
//   sf::benchmarks::analysis::Interval ci = sf::benchmarks::analysis::MedianConfidenceInterval(ms);
//   // ci.low, ci.high, and ci.coverage (the exact coverage of the interval chosen)
//
//   // Exponent of time against sequence length: time ~ c * L^k, k from a log-log regression.
//   absl::StatusOr<PowerLawFit> fit = FitPowerLaw({64, 128, 256}, {1.0, 3.9, 16.2});
//
// Benchmark timings are skewed (a descheduled run is slow, never fast), so the report uses the
// median and a distribution-free interval for it built from order statistics, not mean +- t*s.
#ifndef SCRATCHFORMER_BENCHMARKS_ANALYSIS_STATISTICS_H_
#define SCRATCHFORMER_BENCHMARKS_ANALYSIS_STATISTICS_H_

#include <vector>

#include "absl/status/statusor.h"

namespace sf::benchmarks::analysis {

// Median of `samples` (mean of the two middle values for an even count); NaN when empty.
double Median(std::vector<double> samples);

struct Interval {
  double low = 0;
  double high = 0;
  // Probability that an interval built this way contains the true value (exact for the median
  // interval under i.i.d. sampling; nominal for the mean interval).
  double coverage = 0;
};

// Confidence interval for the median from order statistics: [x_(j), x_(n+1-j)] (1-based) with
// the largest j whose binomial coverage 1 - 2 P(Bin(n, 1/2) < j) is at least `level`. When no
// j reaches `level` (fewer than 6 samples at 95%), the range [min, max] with its lower
// coverage. An empty input gives NaN bounds and coverage 0.
Interval MedianConfidenceInterval(std::vector<double> samples, double level = 0.95);

// Student-t 95% interval for the mean; a single sample gives [x, x] with coverage 0.
Interval MeanConfidenceInterval95(const std::vector<double>& samples);

// Two-sided 97.5% quantile of Student's t with `dof` degrees of freedom (dof >= 1).
double StudentT975(int dof);

struct PowerLawFit {
  double exponent = 0;     // k in y = c * x^k
  double coefficient = 0;  // c
  double r_squared = 0;    // of the regression of log y on log x
  int points = 0;
};

// Least-squares line through (log x, log y). InvalidArgument (naming the value) for sizes that
// differ, fewer than two points, non-positive or non-finite values, or x all equal.
absl::StatusOr<PowerLawFit> FitPowerLaw(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace sf::benchmarks::analysis

#endif  // SCRATCHFORMER_BENCHMARKS_ANALYSIS_STATISTICS_H_
