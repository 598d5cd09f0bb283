// The per-epoch perplexity curve of a language-model run, written for people to look at:
// <prefix>.csv and <prefix>.json (one row per evaluation) and <prefix>.svg (validation and,
// when present, test perplexity against epochs, log scale).
//
//   std::vector<sf::tasks::wiki::EpochPerplexity> history = ...;
//   absl::Status s = sf::tasks::wiki::WritePerplexityReport(history, "wiki_run/perplexity");
#ifndef SCRATCHFORMER_TASKS_WIKI_PERPLEXITY_PLOT_H_
#define SCRATCHFORMER_TASKS_WIKI_PERPLEXITY_PLOT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sf::tasks::wiki {

struct EpochPerplexity {
  int64_t step = 0;
  double epoch = 0.0;
  double valid = 0.0;
  std::optional<double> test;
  double seconds = 0.0;  // since the start of training
};

// The SVG document of the curve.
std::string PerplexitySvg(const std::vector<EpochPerplexity>& history);

// Writes the three files atomically; errors name the path.
absl::Status WritePerplexityReport(const std::vector<EpochPerplexity>& history,
                                   const std::string& prefix);

// What a resumed run's report needs from before its checkpoint, read back from the run's
// metrics.jsonl (training/run_log.h).
struct LoggedHistory {
  // The evaluations (records with "eval/perplexity", and "eval/test_perplexity" when present)
  // at steps up to the checkpoint's; `seconds` counts from the file's first record.
  std::vector<EpochPerplexity> rows;
  // From the first record to the last one at or before the checkpoint's step: the training
  // time before it, to which the resumed process's own times are added.
  double seconds = 0.0;
};
absl::StatusOr<LoggedHistory> ReadLoggedHistory(const std::string& metrics_path,
                                                int64_t through_step, double steps_per_epoch);

}  // namespace sf::tasks::wiki

#endif  // SCRATCHFORMER_TASKS_WIKI_PERPLEXITY_PLOT_H_
