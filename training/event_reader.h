// Reads back the TensorBoard event files EventWriter writes (and any TFRecord file of Events
// with simple scalar values): for plotting a run's curves without TensorBoard, and for tests.
//
//   absl::StatusOr<std::vector<sf::training::ScalarEvent>> events =
//       sf::training::ReadScalarEvents("/runs/imdb/events.out.tfevents.1700000000.host.1.0");
//   for (const auto& e : *events) std::cout << e.step << " " << e.tag << " " << e.value << "\n";
//
// Every length, CRC and protobuf field is checked against the bytes actually present: a
// truncated or corrupted file gives DataLoss naming the file and the offset.
#ifndef SCRATCHFORMER_TRAINING_EVENT_READER_H_
#define SCRATCHFORMER_TRAINING_EVENT_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sf::training {

struct ScalarEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string tag;
  float value = 0;
};

// The data of every record of a TFRecord stream, both CRCs verified.
absl::StatusOr<std::vector<std::string>> SplitTfRecords(absl::string_view bytes,
                                                        absl::string_view source);

// The scalar values of one serialized Event (none for the file-version event).
absl::StatusOr<std::vector<ScalarEvent>> DecodeScalarEvent(absl::string_view event,
                                                           absl::string_view source);

// Every scalar of an event file, in file order.
absl::StatusOr<std::vector<ScalarEvent>> ReadScalarEvents(const std::string& path);

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_EVENT_READER_H_
