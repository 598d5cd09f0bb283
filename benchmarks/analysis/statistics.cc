#include "benchmarks/analysis/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sf::benchmarks::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// P(Bin(n, 1/2) <= k).
double BinomialHalfCdf(int n, int k) {
  double term = std::pow(0.5, n);  // P(B = 0)
  double sum = 0;
  for (int i = 0; i <= k; ++i) {
    sum += term;
    term = term * (n - i) / (i + 1);
  }
  return sum;
}

}  // namespace

double Median(std::vector<double> samples) {
  if (samples.empty()) return kNaN;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  return n % 2 == 1 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
}

Interval MedianConfidenceInterval(std::vector<double> samples, double level) {
  if (samples.empty()) return {kNaN, kNaN, 0};
  std::sort(samples.begin(), samples.end());
  const int n = static_cast<int>(samples.size());
  // Coverage of [x_(j), x_(n+1-j)] is 1 - 2 P(B <= j - 1); it falls as j grows.
  int best = 1;
  for (int j = 2; 2 * j <= n + 1; ++j) {
    if (1 - 2 * BinomialHalfCdf(n, j - 1) >= level) best = j;
  }
  return {samples[best - 1], samples[n - best], 1 - 2 * BinomialHalfCdf(n, best - 1)};
}

double StudentT975(int dof) {
  static constexpr double kTable[] = {
      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
      2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
      2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (dof <= 30) return kTable[std::max(dof, 1) - 1];
  // Cornish-Fisher expansion around the normal quantile; within 1e-3 of the exact value here.
  const double z = 1.959964;
  const double d = dof;
  return z + (z * z * z + z) / (4 * d) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d);
}

Interval MeanConfidenceInterval95(const std::vector<double>& samples) {
  const int n = static_cast<int>(samples.size());
  if (n == 0) return {kNaN, kNaN, 0};
  double mean = 0;
  for (double v : samples) mean += v;
  mean /= n;
  if (n == 1) return {mean, mean, 0};
  double ss = 0;
  for (double v : samples) ss += (v - mean) * (v - mean);
  const double half = StudentT975(n - 1) * std::sqrt(ss / (n - 1) / n);
  return {mean - half, mean + half, 0.95};
}

absl::StatusOr<PowerLawFit> FitPowerLaw(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("power-law fit: ", x.size(), " x values but ", y.size(), " y values"));
  }
  if (x.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("power-law fit needs at least 2 points, got ", x.size()));
  }
  const int n = static_cast<int>(x.size());
  double sx = 0, sy = 0;
  std::vector<double> lx(n), ly(n);
  for (int i = 0; i < n; ++i) {
    if (!(x[i] > 0) || !(y[i] > 0) || !std::isfinite(x[i]) || !std::isfinite(y[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "power-law fit needs positive finite values, got (", x[i], ", ", y[i], ")"));
    }
    lx[i] = std::log(x[i]);
    ly[i] = std::log(y[i]);
    sx += lx[i];
    sy += ly[i];
  }
  const double mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0, syy = 0;
  for (int i = 0; i < n; ++i) {
    sxx += (lx[i] - mx) * (lx[i] - mx);
    sxy += (lx[i] - mx) * (ly[i] - my);
    syy += (ly[i] - my) * (ly[i] - my);
  }
  if (sxx <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("power-law fit: every x equals ", x[0]));
  }
  PowerLawFit fit;
  fit.exponent = sxy / sxx;
  fit.coefficient = std::exp(my - fit.exponent * mx);
  fit.r_squared = syy > 0 ? sxy * sxy / (sxx * syy) : 1.0;
  fit.points = n;
  return fit;
}

}  // namespace sf::benchmarks::analysis
