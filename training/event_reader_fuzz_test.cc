// Fuzz target: an event file of arbitrary bytes through the TFRecord splitter and the Event
// decoder. A second pass frames the input as one record with correct CRCs, so the fuzzer
// reaches the protobuf decoder rather than stopping at the checksums.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "training/event_reader.h"
#include "training/event_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const std::string& stream : {std::string(bytes), sf::training::FrameTfRecord(bytes)}) {
    absl::StatusOr<std::vector<std::string>> records =
        sf::training::SplitTfRecords(stream, "fuzz.tfevents");
    if (!records.ok()) continue;
    for (const std::string& record : *records) {
      (void)sf::training::DecodeScalarEvent(record, "fuzz.tfevents");
    }
  }
  return 0;
}
