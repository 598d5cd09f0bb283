// TensorBoard event files written without TensorFlow: scalars appear in
// `tensorboard --logdir <run_dir>` as curves.
//
//   absl::StatusOr<std::unique_ptr<sf::training::EventWriter>> events =
//       sf::training::EventWriter::Open("/runs/imdb");
//   absl::Status s = (*events)->AddScalars(step, {{"train/loss", 0.69}, {"train/lr", 3e-4}});
//
// The file `events.out.tfevents.<seconds>.<host>.<pid>.<n>` is a TFRecord stream:
// each record is uint64 length, masked CRC-32C of the length bytes, the data, masked CRC-32C
// of the data (all little-endian). Each data is a serialized tensorflow.Event protobuf,
// encoded by hand here:
//   Event      { double wall_time = 1; int64 step = 2; string file_version = 3;
//                Summary summary = 5; SessionLog session_log = 6; }
//   Summary    { repeated Value value = 1; }
//   Value      { string tag = 1; float simple_value = 2; }
//   SessionLog { SessionStatus status = 1; }   (START = 1)
// The first record carries file_version "brain.Event:2", which TensorBoard expects.
#ifndef SCRATCHFORMER_TRAINING_EVENT_WRITER_H_
#define SCRATCHFORMER_TRAINING_EVENT_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sf::training {

// The serialized Event protobufs (exposed for tests and other writers).
std::string EncodeFileVersionEvent(double wall_time);
std::string EncodeScalarsEvent(double wall_time, int64_t step,
                               const std::vector<std::pair<std::string, float>>& values);
std::string EncodeSessionStartEvent(double wall_time, int64_t step);

// One TFRecord: length, masked CRC of the length, data, masked CRC of the data.
std::string FrameTfRecord(absl::string_view data);

// Seconds since the Unix epoch, with sub-second precision.
double WallTimeSeconds();

class EventWriter {
 public:
  // Creates `log_dir` if needed and a new event file in it. Errors name the path.
  static absl::StatusOr<std::unique_ptr<EventWriter>> Open(const std::string& log_dir);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // One Event holding every scalar; stamped with the current wall time. Flushed at once so
  // TensorBoard shows a live run.
  absl::Status AddScalars(int64_t step, const std::map<std::string, double>& scalars);
  absl::Status AddScalar(int64_t step, const std::string& tag, double value) {
    return AddScalars(step, {{tag, value}});
  }

  // A SessionLog START at `step`: TensorBoard then drops what the folder's earlier event
  // files hold at steps >= `step`, so a run resumed from step S (passing S + 1) shows its
  // curves once, not the abandoned tail of the run it continues as well.
  absl::Status AddSessionStart(int64_t step);

  const std::string& path() const { return path_; }

 private:
  EventWriter(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  absl::Status WriteRecord(const std::string& event);

  std::string path_;
  std::FILE* file_;
};

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_EVENT_WRITER_H_
