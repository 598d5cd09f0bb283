// Per-head summaries of attention weights, to compare heads at a glance:
//   entropy        -sum_j p_ij ln p_ij, averaged over query rows (nats): 0 when every query
//                  looks at one key, ln(Lk) when it spreads evenly over all of them;
//   mean distance  sum_j p_ij |pos(i) - j|, averaged over rows: how far, in tokens, a head
//                  looks (pos(i) = i + Lk - Lq, the masks.h alignment, so Lq = Lk gives i);
//   special share  sum_j p_ij over special keys (<cls>, <bos>, <pad>, ...), averaged over
//                  rows: heads that park their weight on a special token show up here.
// Each row is normalised to sum to 1 first; rows with no weight at all (fully masked queries)
// are left out of the averages.
//
//   std::vector<HeadStats> stats = ComputeHeadStats(weights[layer], is_special, layer);
//   std::cout << FormatHeadStatsTable(stats);      // aligned columns for a terminal
//   WriteFileAtomically("head_stats.csv", HeadStatsCsv(stats));
#ifndef SCRATCHFORMER_TOOLS_VISUALIZE_HEAD_STATS_H_
#define SCRATCHFORMER_TOOLS_VISUALIZE_HEAD_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace sf::visualize {

struct HeadStats {
  int64_t layer = 0;
  int64_t head = 0;
  double entropy = 0.0;
  double mean_distance = 0.0;
  double special_share = 0.0;
  int64_t rows = 0;  // query rows averaged over
};

// weights [heads, Lq, Lk] of one layer, non-negative; special_keys has Lk entries or is empty
// (no special token). Shape mismatches are programmer errors (c10::Error).
std::vector<HeadStats> ComputeHeadStats(const at::Tensor& weights,
                                        const std::vector<bool>& special_keys, int64_t layer);

// Columns layer, head, entropy, mean_distance, special_share, rows.
std::string FormatHeadStatsTable(const std::vector<HeadStats>& stats);
std::string HeadStatsCsv(const std::vector<HeadStats>& stats);
std::string HeadStatsMarkdown(const std::vector<HeadStats>& stats);

}  // namespace sf::visualize

#endif  // SCRATCHFORMER_TOOLS_VISUALIZE_HEAD_STATS_H_
