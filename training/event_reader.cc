#include "training/event_reader.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "training/crc32c.h"
#include "training/file_io.h"

namespace sf::training {
namespace {

uint64_t ReadLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// One protobuf field: number, wire type, and its value (varint/fixed) or bytes.
struct Field {
  uint64_t number = 0;
  int wire_type = 0;
  uint64_t value = 0;
  absl::string_view bytes;
};

// A bounds-checked reader of protobuf wire format.
class WireReader {
 public:
  WireReader(absl::string_view message, absl::string_view source, absl::string_view what)
      : m_(message), source_(source), what_(what) {}

  bool done() const { return pos_ >= m_.size(); }

  absl::StatusOr<Field> Next() {
    absl::StatusOr<uint64_t> key = Varint();
    if (!key.ok()) return key.status();
    Field f;
    f.number = *key >> 3;
    f.wire_type = static_cast<int>(*key & 7);
    switch (f.wire_type) {
      case 0: {
        absl::StatusOr<uint64_t> v = Varint();
        if (!v.ok()) return v.status();
        f.value = *v;
        return f;
      }
      case 1:
      case 5: {
        const size_t n = f.wire_type == 1 ? 8 : 4;
        if (m_.size() - pos_ < n) return Error("a fixed-width field runs past the end");
        f.value = ReadLe(m_.data() + pos_, static_cast<int>(n));
        pos_ += n;
        return f;
      }
      case 2: {
        absl::StatusOr<uint64_t> n = Varint();
        if (!n.ok()) return n.status();
        if (*n > m_.size() - pos_) return Error("a length-delimited field runs past the end");
        f.bytes = m_.substr(pos_, *n);
        pos_ += *n;
        return f;
      }
      default:
        return Error(absl::StrCat("unsupported wire type ", f.wire_type));
    }
  }

 private:
  absl::StatusOr<uint64_t> Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= m_.size()) return Error("a varint runs past the end");
      const unsigned char b = static_cast<unsigned char>(m_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    return Error("a varint longer than 10 bytes");
  }

  absl::Status Error(absl::string_view why) const {
    return absl::DataLossError(
        absl::StrCat(source_, ": bad ", what_, " at byte ", pos_, ": ", why));
  }

  absl::string_view m_;
  size_t pos_ = 0;
  absl::string_view source_;
  absl::string_view what_;
};

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitTfRecords(absl::string_view bytes,
                                                        absl::string_view source) {
  std::vector<std::string> records;
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 12) {
      return absl::DataLossError(
          absl::StrCat(source, ": truncated record header at byte ", pos));
    }
    const uint64_t length = ReadLe(bytes.data() + pos, 8);
    if (ReadLe(bytes.data() + pos + 8, 4) != MaskCrc32c(Crc32c(bytes.data() + pos, 8))) {
      return absl::DataLossError(
          absl::StrCat(source, ": length CRC mismatch in the record at byte ", pos));
    }
    if (length > bytes.size() - pos - 12 || bytes.size() - pos - 12 - length < 4) {
      return absl::DataLossError(absl::StrCat(source, ": the record at byte ", pos, " of ",
                                              length, " bytes runs past the end of the file"));
    }
    const absl::string_view data = bytes.substr(pos + 12, length);
    if (ReadLe(bytes.data() + pos + 12 + length, 4) !=
        MaskCrc32c(Crc32c(data.data(), data.size()))) {
      return absl::DataLossError(
          absl::StrCat(source, ": data CRC mismatch in the record at byte ", pos));
    }
    records.emplace_back(data);
    pos += 12 + length + 4;
  }
  return records;
}

absl::StatusOr<std::vector<ScalarEvent>> DecodeScalarEvent(absl::string_view event,
                                                           absl::string_view source) {
  ScalarEvent base;
  std::vector<absl::string_view> summaries;
  WireReader reader(event, source, "Event");
  while (!reader.done()) {
    absl::StatusOr<Field> f = reader.Next();
    if (!f.ok()) return f.status();
    if (f->number == 1 && f->wire_type == 1) {
      std::memcpy(&base.wall_time, &f->value, 8);
    } else if (f->number == 2 && f->wire_type == 0) {
      base.step = static_cast<int64_t>(f->value);
    } else if (f->number == 5 && f->wire_type == 2) {
      summaries.push_back(f->bytes);
    }
  }
  std::vector<ScalarEvent> out;
  for (absl::string_view summary : summaries) {
    WireReader values(summary, source, "Summary");
    while (!values.done()) {
      absl::StatusOr<Field> value = values.Next();
      if (!value.ok()) return value.status();
      if (value->number != 1 || value->wire_type != 2) continue;
      ScalarEvent e = base;
      bool has_value = false;
      WireReader fields(value->bytes, source, "Summary.Value");
      while (!fields.done()) {
        absl::StatusOr<Field> x = fields.Next();
        if (!x.ok()) return x.status();
        if (x->number == 1 && x->wire_type == 2) e.tag = std::string(x->bytes);
        if (x->number == 2 && x->wire_type == 5) {
          const uint32_t bits = static_cast<uint32_t>(x->value);
          std::memcpy(&e.value, &bits, 4);
          has_value = true;
        }
      }
      if (has_value) out.push_back(std::move(e));
    }
  }
  return out;
}

absl::StatusOr<std::vector<ScalarEvent>> ReadScalarEvents(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<std::vector<std::string>> records = SplitTfRecords(*bytes, path);
  if (!records.ok()) return records.status();
  std::vector<ScalarEvent> all;
  for (const std::string& record : *records) {
    absl::StatusOr<std::vector<ScalarEvent>> events = DecodeScalarEvent(record, path);
    if (!events.ok()) return events.status();
    all.insert(all.end(), events->begin(), events->end());
  }
  return all;
}

}  // namespace sf::training
