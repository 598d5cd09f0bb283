#include "training/event_reader.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "training/event_writer.h"
#include "training/file_io.h"

namespace sf::training {
namespace {

namespace fs = std::filesystem;

TEST(EventReaderTest, ReadsBackWhatTheWriterWrote) {
  const std::string dir = (fs::path(::testing::TempDir()) / "reader_events").string();
  fs::remove_all(dir);
  std::string path;
  {
    absl::StatusOr<std::unique_ptr<EventWriter>> w = EventWriter::Open(dir);
    ASSERT_TRUE(w.ok()) << w.status();
    path = (*w)->path();
    ASSERT_TRUE((*w)->AddScalars(10, {{"train/loss", 0.5}, {"train/lr", 3e-4}}).ok());
    ASSERT_TRUE((*w)->AddScalar(1LL << 40, "big", -2.0).ok());
  }
  absl::StatusOr<std::vector<ScalarEvent>> events = ReadScalarEvents(path);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].step, 10);
  EXPECT_EQ((*events)[0].tag, "train/loss");
  EXPECT_EQ((*events)[0].value, 0.5f);
  EXPECT_GT((*events)[0].wall_time, 1.6e9);
  EXPECT_EQ((*events)[1].tag, "train/lr");
  EXPECT_EQ((*events)[1].value, 3e-4f);
  EXPECT_EQ((*events)[2].step, 1LL << 40);
  EXPECT_EQ((*events)[2].value, -2.0f);
}

TEST(EventReaderTest, DecodesHandEncodedEvent) {
  const std::string event("\x09\x00\x00\x00\x00\x00\x00\xF0\x3F"  // wall_time = 1.0
                          "\x10\x05"                              // step = 5
                          "\x2A\x0A\x0A\x08\x0A\x01\x61\x15\x00\x00\x80\x3F",
                          23);
  absl::StatusOr<std::vector<ScalarEvent>> e = DecodeScalarEvent(event, "x");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->size(), 1u);
  EXPECT_EQ((*e)[0].wall_time, 1.0);
  EXPECT_EQ((*e)[0].step, 5);
  EXPECT_EQ((*e)[0].tag, "a");
  EXPECT_EQ((*e)[0].value, 1.0f);
}

TEST(EventReaderTest, EveryTruncationIsAnErrorNamingTheSource) {
  const std::string stream = FrameTfRecord(EncodeFileVersionEvent(1.0)) +
                             FrameTfRecord(EncodeScalarsEvent(2.0, 1, {{"x", 1.0f}}));
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    if (cut == FrameTfRecord(EncodeFileVersionEvent(1.0)).size()) continue;  // a whole record
    absl::StatusOr<std::vector<std::string>> r = SplitTfRecords(stream.substr(0, cut), "f.ev");
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_TRUE(absl::StrContains(r.status().message(), "f.ev")) << r.status();
  }
}

TEST(EventReaderTest, FlippedDataByteFailsTheCrc) {
  std::string record = FrameTfRecord(EncodeScalarsEvent(2.0, 1, {{"x", 1.0f}}));
  record[14] ^= 0x01;
  absl::StatusOr<std::vector<std::string>> r = SplitTfRecords(record, "f.ev");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "data CRC")) << r.status();
}

TEST(EventReaderTest, MalformedProtobufIsAnError) {
  // A length-delimited summary claiming 100 bytes, and a varint that never ends.
  for (const std::string& bad : {std::string("\x2A\x64\x0A", 3), std::string(11, '\xFF')}) {
    absl::StatusOr<std::vector<ScalarEvent>> e = DecodeScalarEvent(bad, "f.ev");
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(absl::StrContains(e.status().message(), "f.ev: bad Event")) << e.status();
  }
}

TEST(EventReaderTest, MissingFileNamesThePath) {
  absl::StatusOr<std::vector<ScalarEvent>> e = ReadScalarEvents("/nonexistent/events.out");
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(absl::StrContains(e.status().message(), "/nonexistent/events.out"));
}

}  // namespace
}  // namespace sf::training
