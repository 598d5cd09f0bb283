#include "benchmarks/analysis/scaling.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace sf::benchmarks::analysis {

double TheoreticalExponent(const Measurement& m, Quantity quantity) {
  if (quantity == Quantity::kMemory) return m.dense_scores ? 2.0 : 1.0;
  return !m.dense_scores && m.mask == "window" ? 1.0 : 2.0;
}

std::vector<ScalingFit> FitScaling(const std::vector<Measurement>& measurements) {
  // (group, implementation) -> points sorted by length.
  std::map<std::pair<std::string, std::string>, std::vector<const Measurement*>> curves;
  for (const Measurement& m : measurements) {
    if (m.ok()) curves[{m.GroupName(), m.implementation}].push_back(&m);
  }
  std::vector<ScalingFit> fits;
  for (auto& [key, points] : curves) {
    std::sort(points.begin(), points.end(),
              [](const Measurement* a, const Measurement* b) { return a->length < b->length; });
    for (Quantity quantity : {Quantity::kTime, Quantity::kMemory}) {
      std::vector<const Measurement*> usable;
      for (const Measurement* m : points) {
        const double v = quantity == Quantity::kTime ? m->median_ms : m->run_rss_mib;
        if (std::isfinite(v) && v > 0) usable.push_back(m);
      }
      if (usable.size() < 2) continue;
      const size_t n = usable.size();
      const size_t keep = std::min(n, std::max<size_t>(3, (n + 1) / 2));
      std::vector<double> x, y;
      for (size_t i = n - keep; i < n; ++i) {
        x.push_back(static_cast<double>(usable[i]->length));
        y.push_back(quantity == Quantity::kTime ? usable[i]->median_ms : usable[i]->run_rss_mib);
      }
      ScalingFit fit;
      fit.implementation = key.second;
      fit.group = key.first;
      fit.quantity = quantity;
      fit.theoretical = TheoreticalExponent(*usable.back(), quantity);
      fit.min_length = usable[n - keep]->length;
      fit.max_length = usable.back()->length;
      absl::StatusOr<PowerLawFit> result = FitPowerLaw(x, y);
      if (result.ok()) fit.fit = *result;
      fits.push_back(fit);
    }
  }
  return fits;
}

std::vector<Recommendation> Recommend(const std::vector<Measurement>& measurements) {
  // group -> length -> successful measurements.
  std::map<std::string, std::map<int64_t, std::vector<const Measurement*>>> table;
  for (const Measurement& m : measurements) {
    if (m.ok() && std::isfinite(m.median_ms)) table[m.GroupName()][m.length].push_back(&m);
  }
  std::vector<Recommendation> out;
  for (auto& [group, by_length] : table) {
    std::optional<Recommendation> current;
    for (auto& [length, ms] : by_length) {
      if (ms.size() < 2) continue;
      std::sort(ms.begin(), ms.end(), [](const Measurement* a, const Measurement* b) {
        return a->median_ms < b->median_ms;
      });
      const Measurement& best = *ms[0];
      const Measurement& second = *ms[1];
      const double speedup = second.median_ms / best.median_ms;
      const bool clear = best.ci_high_ms < second.ci_low_ms;
      if (current && current->winner == best.implementation) {
        current->to_length = length;
        current->min_speedup = std::min(current->min_speedup, speedup);
        current->clear_wins += clear;
        current->lengths += 1;
        if (("/" + current->runner_up + "/").find("/" + second.implementation + "/") ==
            std::string::npos) {
          current->runner_up += "/" + second.implementation;
        }
        continue;
      }
      if (current) out.push_back(*current);
      current = Recommendation{group, length, length, best.implementation, second.implementation,
                               speedup, clear ? 1 : 0, 1};
    }
    if (current) out.push_back(*current);
  }
  return out;
}

}  // namespace sf::benchmarks::analysis
