#include "tools/visualize/head_stats.h"

#include <cmath>
#include <cstdlib>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sf::visualize {

std::vector<HeadStats> ComputeHeadStats(const at::Tensor& weights,
                                        const std::vector<bool>& special_keys, int64_t layer) {
  TORCH_CHECK(weights.dim() == 3, "ComputeHeadStats expects [heads, Lq, Lk], got ",
              weights.sizes());
  const int64_t heads = weights.size(0), len_q = weights.size(1), len_k = weights.size(2);
  TORCH_CHECK(special_keys.empty() || static_cast<int64_t>(special_keys.size()) == len_k,
              "expected ", len_k, " special-key flags, got ", special_keys.size());
  const at::Tensor values = weights.detach().to(at::kCPU, at::kDouble).contiguous();
  const double* data = values.data_ptr<double>();
  std::vector<HeadStats> stats;
  for (int64_t h = 0; h < heads; ++h) {
    HeadStats s{.layer = layer, .head = h};
    for (int64_t i = 0; i < len_q; ++i) {
      const double* row = data + (h * len_q + i) * len_k;
      double total = 0.0;
      for (int64_t j = 0; j < len_k; ++j) total += row[j];
      if (!(total > 0.0)) continue;
      const int64_t position = i + len_k - len_q;
      double entropy = 0.0, distance = 0.0, special = 0.0;
      for (int64_t j = 0; j < len_k; ++j) {
        const double p = row[j] / total;
        if (p > 0.0) entropy -= p * std::log(p);
        distance += p * static_cast<double>(std::llabs(position - j));
        if (!special_keys.empty() && special_keys[j]) special += p;
      }
      s.entropy += entropy;
      s.mean_distance += distance;
      s.special_share += special;
      ++s.rows;
    }
    if (s.rows > 0) {
      s.entropy /= s.rows;
      s.mean_distance /= s.rows;
      s.special_share /= s.rows;
    }
    stats.push_back(s);
  }
  return stats;
}

std::string FormatHeadStatsTable(const std::vector<HeadStats>& stats) {
  std::string out = absl::StrFormat("%5s %4s %14s %14s %14s %6s\n", "layer", "head",
                                    "entropy (nat)", "mean distance", "special share", "rows");
  for (const HeadStats& s : stats) {
    absl::StrAppendFormat(&out, "%5d %4d %14.4f %14.4f %14.4f %6d\n", s.layer, s.head, s.entropy,
                          s.mean_distance, s.special_share, s.rows);
  }
  return out;
}

std::string HeadStatsCsv(const std::vector<HeadStats>& stats) {
  std::string out = "layer,head,entropy,mean_distance,special_share,rows\n";
  for (const HeadStats& s : stats) {
    absl::StrAppendFormat(&out, "%d,%d,%.6f,%.6f,%.6f,%d\n", s.layer, s.head, s.entropy,
                          s.mean_distance, s.special_share, s.rows);
  }
  return out;
}

std::string HeadStatsMarkdown(const std::vector<HeadStats>& stats) {
  std::string out =
      "| layer | head | entropy (nat) | mean distance (tokens) | special share | rows |\n"
      "|---:|---:|---:|---:|---:|---:|\n";
  for (const HeadStats& s : stats) {
    absl::StrAppendFormat(&out, "| %d | %d | %.4f | %.4f | %.4f | %d |\n", s.layer, s.head,
                          s.entropy, s.mean_distance, s.special_share, s.rows);
  }
  return out;
}

}  // namespace sf::visualize
