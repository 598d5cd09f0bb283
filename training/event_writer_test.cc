#include "training/event_writer.h"

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "training/file_io.h"

namespace sf::training {
namespace {

namespace fs = std::filesystem;

// An independent CRC-32C: the bitwise definition.
uint32_t ReferenceCrc32c(const char* data, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<unsigned char>(data[i]);
    for (int k = 0; k < 8; ++k) crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

uint32_t ReferenceMask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }

uint64_t Le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Splits a TFRecord stream, checking both CRCs of every record.
std::vector<std::string> ReadRecords(const std::string& bytes) {
  std::vector<std::string> records;
  size_t pos = 0;
  while (pos < bytes.size()) {
    EXPECT_GE(bytes.size() - pos, 12u) << "truncated record header at " << pos;
    if (bytes.size() - pos < 12) break;
    const uint64_t length = Le(&bytes[pos], 8);
    EXPECT_EQ(Le(&bytes[pos + 8], 4), ReferenceMask(ReferenceCrc32c(&bytes[pos], 8)))
        << "length CRC of record at " << pos;
    EXPECT_GE(bytes.size() - pos - 12, length + 4) << "truncated record at " << pos;
    if (bytes.size() - pos - 12 < length + 4) break;
    const std::string data = bytes.substr(pos + 12, length);
    EXPECT_EQ(Le(&bytes[pos + 12 + length], 4), ReferenceMask(ReferenceCrc32c(data.data(), length)))
        << "data CRC of record at " << pos;
    records.push_back(data);
    pos += 12 + length + 4;
  }
  return records;
}

// A minimal protobuf reader: (field, wire type, varint / fixed value or bytes).
struct Field {
  int number;
  int wire_type;
  uint64_t value = 0;
  std::string bytes;
};

std::vector<Field> ParseMessage(const std::string& m) {
  std::vector<Field> fields;
  size_t pos = 0;
  auto varint = [&]() {
    uint64_t v = 0;
    for (int shift = 0; pos < m.size(); shift += 7) {
      const unsigned char b = m[pos++];
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) break;
    }
    return v;
  };
  while (pos < m.size()) {
    const uint64_t key = varint();
    Field f{static_cast<int>(key >> 3), static_cast<int>(key & 7)};
    if (f.wire_type == 0) {
      f.value = varint();
    } else if (f.wire_type == 1) {
      f.value = Le(&m[pos], 8);
      pos += 8;
    } else if (f.wire_type == 5) {
      f.value = Le(&m[pos], 4);
      pos += 4;
    } else if (f.wire_type == 2) {
      const uint64_t n = varint();
      f.bytes = m.substr(pos, n);
      pos += n;
    } else {
      ADD_FAILURE() << "unexpected wire type " << f.wire_type;
      break;
    }
    fields.push_back(f);
  }
  return fields;
}

double AsDouble(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

float AsFloat(uint64_t bits) {
  const uint32_t b = static_cast<uint32_t>(bits);
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

TEST(EventWriterTest, ScalarEventMatchesHandEncodedBytes) {
  const std::string got = EncodeScalarsEvent(1.0, 5, {{"a", 1.0f}});
  const std::string want("\x09\x00\x00\x00\x00\x00\x00\xF0\x3F"  // wall_time = 1.0
                         "\x10\x05"                              // step = 5
                         "\x2A\x0A"                              // summary, 10 bytes
                         "\x0A\x08"                              //   value, 8 bytes
                         "\x0A\x01\x61"                          //     tag = "a"
                         "\x15\x00\x00\x80\x3F",                 //     simple_value = 1.0f
                         23);
  EXPECT_EQ(got, want);
}

TEST(EventWriterTest, SessionStartEventMatchesHandEncodedBytes) {
  const std::string got = EncodeSessionStartEvent(1.0, 300);
  const std::string want("\x09\x00\x00\x00\x00\x00\x00\xF0\x3F"  // wall_time = 1.0
                         "\x10\xAC\x02"                          // step = 300
                         "\x32\x02"                              // session_log, 2 bytes
                         "\x08\x01",                             //   status = START
                         16);
  EXPECT_EQ(got, want);
}

TEST(EventWriterTest, FileHasValidRecordsAndDecodableEvents) {
  const std::string dir = (fs::path(::testing::TempDir()) / "events").string();
  fs::remove_all(dir);
  std::string path;
  {
    absl::StatusOr<std::unique_ptr<EventWriter>> w = EventWriter::Open(dir);
    ASSERT_TRUE(w.ok()) << w.status();
    path = (*w)->path();
    EXPECT_TRUE(absl::StrContains(fs::path(path).filename().string(), "events.out.tfevents."));
    ASSERT_TRUE((*w)->AddScalars(10, {{"train/loss", 0.5}, {"train/lr", 3e-4}}).ok());
    ASSERT_TRUE((*w)->AddScalar(20, "eval/accuracy", 0.875).ok());
    ASSERT_TRUE((*w)->AddScalar(1LL << 40, "big", -2.0).ok());
  }
  const std::string bytes = *ReadFileToString(path);
  std::vector<std::string> records = ReadRecords(bytes);
  ASSERT_EQ(records.size(), 4u);

  std::vector<Field> first = ParseMessage(records[0]);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].number, 1);
  EXPECT_EQ(first[0].wire_type, 1);
  EXPECT_GT(AsDouble(first[0].value), 1.6e9);  // a Unix time in seconds
  EXPECT_EQ(first[1].number, 3);
  EXPECT_EQ(first[1].bytes, "brain.Event:2");

  struct Scalar {
    int64_t step;
    std::string tag;
    float value;
  };
  std::vector<Scalar> scalars;
  for (size_t r = 1; r < records.size(); ++r) {
    int64_t step = -1;
    for (const Field& f : ParseMessage(records[r])) {
      if (f.number == 2 && f.wire_type == 0) step = static_cast<int64_t>(f.value);
      if (f.number != 5) continue;
      ASSERT_EQ(f.wire_type, 2);
      for (const Field& v : ParseMessage(f.bytes)) {
        ASSERT_EQ(v.number, 1);
        std::string tag;
        float value = 0;
        for (const Field& x : ParseMessage(v.bytes)) {
          if (x.number == 1) tag = x.bytes;
          if (x.number == 2 && x.wire_type == 5) value = AsFloat(x.value);
        }
        scalars.push_back({step, tag, value});
      }
    }
  }
  ASSERT_EQ(scalars.size(), 4u);
  EXPECT_EQ(scalars[0].step, 10);
  EXPECT_EQ(scalars[0].tag, "train/loss");
  EXPECT_EQ(scalars[0].value, 0.5f);
  EXPECT_EQ(scalars[1].tag, "train/lr");
  EXPECT_EQ(scalars[1].value, 3e-4f);
  EXPECT_EQ(scalars[2].step, 20);
  EXPECT_EQ(scalars[2].value, 0.875f);
  EXPECT_EQ(scalars[3].step, 1LL << 40);
  EXPECT_EQ(scalars[3].value, -2.0f);
}

TEST(EventWriterTest, CorruptedRecordFailsTheIndependentCheck) {
  std::string record = FrameTfRecord(EncodeScalarsEvent(2.0, 1, {{"x", 1.0f}}));
  record[14] ^= 0x01;  // a byte of the data
  EXPECT_NONFATAL_FAILURE(ReadRecords(record), "data CRC");
}

TEST(EventWriterTest, TwoWritersInOneDirectoryGetDistinctFiles) {
  const std::string dir = (fs::path(::testing::TempDir()) / "events2").string();
  auto a = EventWriter::Open(dir);
  auto b = EventWriter::Open(dir);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->path(), (*b)->path());
}

TEST(EventWriterTest, UnwritableDirectoryNamesThePath) {
  absl::StatusOr<std::unique_ptr<EventWriter>> w = EventWriter::Open("/proc/no/such/dir");
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(absl::StrContains(w.status().message(), "/proc/no/such/dir")) << w.status();
}

}  // namespace
}  // namespace sf::training
