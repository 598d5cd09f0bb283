// One measured benchmark configuration: what ran, its repetitions and what was derived from
// them. The unit shared by the report's writers, fits and recommendations.
#ifndef SCRATCHFORMER_BENCHMARKS_ANALYSIS_MEASUREMENT_H_
#define SCRATCHFORMER_BENCHMARKS_ANALYSIS_MEASUREMENT_H_

#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

namespace sf::benchmarks::analysis {

struct Measurement {
  std::string implementation;  // e.g. "fused", "torch_mha"
  std::string pass;            // "forward" or "forward_backward"
  std::string mask;            // "none", "causal", "window", "padding"
  int64_t batch = 0;
  int64_t heads = 0;
  int64_t d_model = 0;
  int64_t length = 0;
  // Whether the implementation materialises the length x length scores (so its time and memory
  // grow with L^2 whatever the mask).
  bool dense_scores = true;
  // "ok", or why there are no figures (skipped, unsupported, failed).
  std::string status = "ok";

  std::vector<double> times_ms;  // one per repetition
  double median_ms = kNaN;
  double ci_low_ms = kNaN;
  double ci_high_ms = kNaN;
  double ci_coverage = 0;
  double flops = 0;            // useful floating-point operations per call
  double gflops = kNaN;        // flops / median time
  double peak_rss_mib = kNaN;  // peak resident set of the process that ran it
  double run_rss_mib = kNaN;   // that peak minus the resident set before the case was set up
  double cosine_similarity = kNaN;  // output against the LibTorch baseline
  double max_abs_diff = kNaN;

  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  bool ok() const { return status == "ok"; }
  // Everything but the implementation and the length: the curve a point belongs to.
  std::tuple<std::string, std::string, int64_t, int64_t, int64_t> Group() const {
    return {pass, mask, batch, heads, d_model};
  }
  // "forward/causal/B2/H4/D128".
  std::string GroupName() const;
  // "forward/causal/B2/H4/D128/L512".
  std::string ConfigName() const;
};

// Fills median, confidence interval and GFLOP/s from times_ms and flops.
void Summarize(Measurement& m);

}  // namespace sf::benchmarks::analysis

#endif  // SCRATCHFORMER_BENCHMARKS_ANALYSIS_MEASUREMENT_H_
