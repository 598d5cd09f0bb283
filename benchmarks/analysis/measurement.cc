#include "benchmarks/analysis/measurement.h"

#include "absl/strings/str_cat.h"
#include "benchmarks/analysis/statistics.h"

namespace sf::benchmarks::analysis {

std::string Measurement::GroupName() const {
  return absl::StrCat(pass, "/", mask, "/B", batch, "/H", heads, "/D", d_model);
}

std::string Measurement::ConfigName() const { return absl::StrCat(GroupName(), "/L", length); }

void Summarize(Measurement& m) {
  if (m.times_ms.empty()) return;
  m.median_ms = Median(m.times_ms);
  const Interval ci = MedianConfidenceInterval(m.times_ms);
  m.ci_low_ms = ci.low;
  m.ci_high_ms = ci.high;
  m.ci_coverage = ci.coverage;
  m.gflops = m.flops > 0 && m.median_ms > 0 ? m.flops / (m.median_ms * 1e6) : Measurement::kNaN;
}

}  // namespace sf::benchmarks::analysis
