// The files a training run leaves in its run directory:
//   metrics.jsonl             one JSON object per logged step, appended (resumed runs continue it
//                             from their checkpoint's step; a fresh run starts it anew)
//   events.out.tfevents.*     the same scalars for TensorBoard
//   final_metrics.json        the run's summary, written atomically at the end
//
//   absl::StatusOr<std::unique_ptr<sf::training::RunLogger>> log =
//       sf::training::RunLogger::Open("/runs/imdb-lr3e-4");
//   absl::Status s = (*log)->Log(step, {{"train/loss", loss}, {"train/lr", lr}});
//   s = (*log)->WriteFinal({{"best_accuracy", 0.91}});
//
// JSON has no NaN or infinity: such values are written as null in JSON (TensorBoard keeps them).
#ifndef SCRATCHFORMER_TRAINING_RUN_LOG_H_
#define SCRATCHFORMER_TRAINING_RUN_LOG_H_

#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "training/event_writer.h"

namespace sf::training {

// Appends one JSON object per line, flushed per line so a crash loses at most the last one.
class JsonLinesWriter {
 public:
  static absl::StatusOr<std::unique_ptr<JsonLinesWriter>> Open(const std::string& path);
  ~JsonLinesWriter();
  JsonLinesWriter(const JsonLinesWriter&) = delete;
  JsonLinesWriter& operator=(const JsonLinesWriter&) = delete;

  absl::Status Write(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  JsonLinesWriter(std::string path, std::FILE* file);
  std::string path_;
  std::FILE* file_;
};

// The records of a metrics.jsonl file written by RunLogger, in file order: the objects with an
// integer "step". Other lines (one cut short by a crash) are skipped. An error names the path.
absl::StatusOr<std::vector<nlohmann::json>> ReadRunLogRecords(const std::string& path);

// `value` pretty-printed to `path`, atomically.
absl::Status WriteJsonFile(const std::string& path, const nlohmann::json& value);

class RunLogger {
 public:
  // Creates `run_dir` if needed, opens metrics.jsonl for appending and a new event file.
  // Records of metrics.jsonl past `keep_through_step` are dropped first: a run resumed from
  // step S passes S (the steps after it are logged again), a fresh run -1 (it replaces an
  // earlier run's log in the same folder). The new event file then starts with a SessionLog
  // START at step keep_through_step + 1, so TensorBoard drops those steps of the older event
  // files too. The default keeps every record and writes no START.
  static absl::StatusOr<std::unique_ptr<RunLogger>> Open(
      const std::string& run_dir,
      int64_t keep_through_step = std::numeric_limits<int64_t>::max());

  // {"step": step, "wall_time": seconds, <name>: value...} to metrics.jsonl and TensorBoard.
  absl::Status Log(int64_t step, const std::map<std::string, double>& scalars);
  absl::Status WriteFinal(const nlohmann::json& summary);

  const std::string& run_dir() const { return run_dir_; }
  std::string metrics_path() const { return jsonl_->path(); }
  std::string events_path() const { return events_->path(); }
  std::string final_path() const { return run_dir_ + "/final_metrics.json"; }

 private:
  RunLogger(std::string run_dir, std::unique_ptr<JsonLinesWriter> jsonl,
            std::unique_ptr<EventWriter> events);
  std::string run_dir_;
  std::unique_ptr<JsonLinesWriter> jsonl_;
  std::unique_ptr<EventWriter> events_;
};

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_RUN_LOG_H_
