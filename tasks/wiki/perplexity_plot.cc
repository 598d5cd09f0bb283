#include "tasks/wiki/perplexity_plot.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "training/file_io.h"
#include "training/run_log.h"

namespace sf::tasks::wiki {
namespace {

constexpr double kWidth = 640, kHeight = 400, kLeft = 70, kRight = 20, kTop = 30, kBottom = 50;

std::string Polyline(const std::vector<std::pair<double, double>>& points, double x_max,
                     double log_lo, double log_hi, const std::string& colour) {
  std::string out = absl::StrCat("<polyline fill=\"none\" stroke=\"", colour,
                                 "\" stroke-width=\"2\" points=\"");
  for (const auto& [x, y] : points) {
    const double px = kLeft + (kWidth - kLeft - kRight) * x / x_max;
    const double py =
        kTop + (kHeight - kTop - kBottom) * (log_hi - std::log(y)) / (log_hi - log_lo);
    absl::StrAppendFormat(&out, "%.1f,%.1f ", px, py);
  }
  absl::StrAppend(&out, "\"/>\n");
  return out;
}

}  // namespace

std::string PerplexitySvg(const std::vector<EpochPerplexity>& history) {
  std::vector<std::pair<double, double>> valid, test;
  double x_max = 1e-9, y_lo = INFINITY, y_hi = 0;
  for (const EpochPerplexity& row : history) {
    valid.emplace_back(row.epoch, row.valid);
    if (row.test) test.emplace_back(row.epoch, *row.test);
    x_max = std::max(x_max, row.epoch);
    for (double y : {row.valid, row.test.value_or(row.valid)}) {
      y_lo = std::min(y_lo, y);
      y_hi = std::max(y_hi, y);
    }
  }
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
      "fill=\"white\"/>\n<text x=\"%.0f\" y=\"18\">perplexity per epoch (log scale): "
      "valid (blue)%s</text>\n",
      kWidth, kHeight, kLeft, test.empty() ? "" : ", test (orange)");
  if (history.empty()) return svg + "</svg>\n";
  const double log_lo = std::log(y_lo) - 0.05, log_hi = std::log(y_hi) + 0.05;
  absl::StrAppendFormat(&svg,
                        "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n"
                        "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n",
                        kLeft, kHeight - kBottom, kWidth - kRight, kHeight - kBottom, kLeft, kTop,
                        kLeft, kHeight - kBottom);
  for (int i = 0; i <= 4; ++i) {
    const double log_y = log_lo + (log_hi - log_lo) * i / 4;
    const double py = kTop + (kHeight - kTop - kBottom) * (log_hi - log_y) / (log_hi - log_lo);
    absl::StrAppendFormat(&svg, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n",
                          kLeft - 6, py + 4, std::exp(log_y));
    const double x = x_max * i / 4;
    absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.2f</text>\n",
                          kLeft + (kWidth - kLeft - kRight) * i / 4, kHeight - kBottom + 18, x);
  }
  absl::StrAppendFormat(&svg, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">epoch</text>\n",
                        (kWidth + kLeft) / 2, kHeight - 10);
  svg += Polyline(valid, x_max, log_lo, log_hi, "#1f77b4");
  if (!test.empty()) svg += Polyline(test, x_max, log_lo, log_hi, "#ff7f0e");
  return svg + "</svg>\n";
}

absl::Status WritePerplexityReport(const std::vector<EpochPerplexity>& history,
                                   const std::string& prefix) {
  std::string csv = "step,epoch,valid_perplexity,test_perplexity,seconds\n";
  nlohmann::json json = nlohmann::json::array();
  for (const EpochPerplexity& row : history) {
    absl::StrAppendFormat(&csv, "%d,%.4f,%.4f,%s,%.1f\n", row.step, row.epoch, row.valid,
                          row.test ? absl::StrFormat("%.4f", *row.test) : "", row.seconds);
    nlohmann::json entry = {{"step", row.step},
                            {"epoch", row.epoch},
                            {"valid_perplexity", row.valid},
                            {"seconds", row.seconds}};
    if (row.test) entry["test_perplexity"] = *row.test;
    json.push_back(entry);
  }
  const std::string dir = prefix.substr(0, prefix.find_last_of('/'));
  if (dir != prefix) {
    absl::Status s = training::CreateDirectories(dir);
    if (!s.ok()) return s;
  }
  for (const auto& [suffix, contents] :
       std::vector<std::pair<std::string, std::string>>{
           {".csv", csv}, {".json", json.dump(2) + "\n"}, {".svg", PerplexitySvg(history)}}) {
    absl::Status s = training::WriteFileAtomically(prefix + suffix, contents);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<LoggedHistory> ReadLoggedHistory(const std::string& metrics_path,
                                                int64_t through_step, double steps_per_epoch) {
  absl::StatusOr<std::vector<nlohmann::json>> records =
      training::ReadRunLogRecords(metrics_path);
  if (!records.ok()) return records.status();
  LoggedHistory history;
  std::optional<double> first_time;
  for (const nlohmann::json& record : *records) {
    if (!record.contains("wall_time") || !record["wall_time"].is_number()) continue;
    const int64_t step = record["step"].get<int64_t>();
    const double time = record["wall_time"].get<double>();
    if (!first_time) first_time = time;
    if (step > through_step) continue;
    history.seconds = std::max(history.seconds, time - *first_time);
    if (!record.contains("eval/perplexity") || !record["eval/perplexity"].is_number()) continue;
    EpochPerplexity row;
    row.step = step;
    row.epoch = static_cast<double>(step) / steps_per_epoch;
    row.valid = record["eval/perplexity"].get<double>();
    if (record.contains("eval/test_perplexity") && record["eval/test_perplexity"].is_number()) {
      row.test = record["eval/test_perplexity"].get<double>();
    }
    row.seconds = time - *first_time;
    history.rows.push_back(row);
  }
  return history;
}

}  // namespace sf::tasks::wiki
