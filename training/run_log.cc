#include "training/run_log.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <limits>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "training/file_io.h"

namespace sf::training {
namespace {

std::string ErrnoText() { return std::error_code(errno, std::generic_category()).message(); }

// Rewrites the run log at `path`, if there is one, without the records past
// `keep_through_step` and without lines that are not records (a line cut short by a crash,
// which the next record would otherwise continue).
absl::Status DropRecordsAfter(const std::string& path, int64_t keep_through_step) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return absl::OkStatus();
  absl::StatusOr<std::vector<nlohmann::json>> records = ReadRunLogRecords(path);
  if (!records.ok()) return records.status();
  std::string kept;
  for (const nlohmann::json& record : *records) {
    if (record["step"].get<int64_t>() <= keep_through_step) {
      absl::StrAppend(&kept, record.dump(), "\n");
    }
  }
  return WriteFileAtomically(path, kept);
}

}  // namespace

JsonLinesWriter::JsonLinesWriter(std::string path, std::FILE* file)
    : path_(std::move(path)), file_(file) {}

JsonLinesWriter::~JsonLinesWriter() { std::fclose(file_); }

absl::StatusOr<std::unique_ptr<JsonLinesWriter>> JsonLinesWriter::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "ae");
  if (file == nullptr) {
    return absl::InternalError(absl::StrCat("cannot open ", path, " for appending: ", ErrnoText()));
  }
  return std::unique_ptr<JsonLinesWriter>(new JsonLinesWriter(path, file));
}

absl::Status JsonLinesWriter::Write(const nlohmann::json& record) {
  const std::string line = record.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path_, ": ", ErrnoText()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<nlohmann::json>> ReadRunLogRecords(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  std::vector<nlohmann::json> records;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_object() && record.contains("step") && record["step"].is_number_integer()) {
      records.push_back(std::move(record));
    }
  }
  return records;
}

absl::Status WriteJsonFile(const std::string& path, const nlohmann::json& value) {
  return WriteFileAtomically(path, value.dump(2) + "\n");
}

RunLogger::RunLogger(std::string run_dir, std::unique_ptr<JsonLinesWriter> jsonl,
                     std::unique_ptr<EventWriter> events)
    : run_dir_(std::move(run_dir)), jsonl_(std::move(jsonl)), events_(std::move(events)) {}

absl::StatusOr<std::unique_ptr<RunLogger>> RunLogger::Open(const std::string& run_dir,
                                                           int64_t keep_through_step) {
  absl::Status s = CreateDirectories(run_dir);
  if (!s.ok()) return s;
  const std::string metrics_path = run_dir + "/metrics.jsonl";
  s = DropRecordsAfter(metrics_path, keep_through_step);
  if (!s.ok()) return s;
  absl::StatusOr<std::unique_ptr<JsonLinesWriter>> jsonl = JsonLinesWriter::Open(metrics_path);
  if (!jsonl.ok()) return jsonl.status();
  absl::StatusOr<std::unique_ptr<EventWriter>> events = EventWriter::Open(run_dir);
  if (!events.ok()) return events.status();
  if (keep_through_step != std::numeric_limits<int64_t>::max()) {
    // TensorBoard drops the earlier event files' steps that metrics.jsonl dropped.
    s = (*events)->AddSessionStart(std::max<int64_t>(keep_through_step + 1, 0));
    if (!s.ok()) return s;
  }
  return std::unique_ptr<RunLogger>(
      new RunLogger(run_dir, *std::move(jsonl), *std::move(events)));
}

absl::Status RunLogger::Log(int64_t step, const std::map<std::string, double>& scalars) {
  nlohmann::json record = {{"step", step}, {"wall_time", WallTimeSeconds()}};
  for (const auto& [name, value] : scalars) record[name] = value;
  absl::Status s = jsonl_->Write(record);
  if (!s.ok()) return s;
  return events_->AddScalars(step, scalars);
}

absl::Status RunLogger::WriteFinal(const nlohmann::json& summary) {
  return WriteJsonFile(final_path(), summary);
}

}  // namespace sf::training
