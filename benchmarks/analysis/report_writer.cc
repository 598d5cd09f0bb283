#include "benchmarks/analysis/report_writer.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace sf::benchmarks::analysis {
namespace {

// Round-trip precision for CSV numbers, empty for NaN.
std::string CsvNumber(double v) { return std::isfinite(v) ? absl::StrFormat("%.9g", v) : ""; }

nlohmann::json JsonNumber(double v) { return std::isfinite(v) ? nlohmann::json(v) : nullptr; }

}  // namespace

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string MeasurementsToCsv(const std::vector<Measurement>& measurements) {
  std::string out =
      "implementation,pass,mask,batch,heads,d_model,length,status,repetitions,median_ms,"
      "ci_low_ms,ci_high_ms,ci_coverage,gflops,peak_rss_mib,run_rss_mib,cosine_similarity,"
      "max_abs_diff,times_ms\n";
  for (const Measurement& m : measurements) {
    std::vector<std::string> times;
    for (double t : m.times_ms) times.push_back(CsvNumber(t));
    absl::StrAppend(&out,
                    absl::StrJoin({CsvField(m.implementation), CsvField(m.pass), CsvField(m.mask),
                                   absl::StrCat(m.batch), absl::StrCat(m.heads),
                                   absl::StrCat(m.d_model), absl::StrCat(m.length),
                                   CsvField(m.status), absl::StrCat(m.times_ms.size()),
                                   CsvNumber(m.median_ms), CsvNumber(m.ci_low_ms),
                                   CsvNumber(m.ci_high_ms), CsvNumber(m.ci_coverage),
                                   CsvNumber(m.gflops), CsvNumber(m.peak_rss_mib),
                                   CsvNumber(m.run_rss_mib), CsvNumber(m.cosine_similarity),
                                   CsvNumber(m.max_abs_diff), absl::StrJoin(times, ";")},
                                  ","),
                    "\n");
  }
  return out;
}

nlohmann::json MeasurementsToJson(const std::vector<Measurement>& measurements) {
  nlohmann::json out = nlohmann::json::array();
  for (const Measurement& m : measurements) {
    nlohmann::json times = nlohmann::json::array();
    for (double t : m.times_ms) times.push_back(JsonNumber(t));
    out.push_back({{"implementation", m.implementation},
                   {"pass", m.pass},
                   {"mask", m.mask},
                   {"batch", m.batch},
                   {"heads", m.heads},
                   {"d_model", m.d_model},
                   {"length", m.length},
                   {"status", m.status},
                   {"repetitions", m.times_ms.size()},
                   {"median_ms", JsonNumber(m.median_ms)},
                   {"ci_low_ms", JsonNumber(m.ci_low_ms)},
                   {"ci_high_ms", JsonNumber(m.ci_high_ms)},
                   {"ci_coverage", JsonNumber(m.ci_coverage)},
                   {"gflops", JsonNumber(m.gflops)},
                   {"peak_rss_mib", JsonNumber(m.peak_rss_mib)},
                   {"run_rss_mib", JsonNumber(m.run_rss_mib)},
                   {"cosine_similarity", JsonNumber(m.cosine_similarity)},
                   {"max_abs_diff", JsonNumber(m.max_abs_diff)},
                   {"times_ms", times}});
  }
  return out;
}

std::string MarkdownTable(const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows) {
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (size_t i = 0; i < header.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      absl::StrAppend(&out, " ", absl::StrReplaceAll(cell, {{"|", "\\|"}, {"\n", " "}}), " |");
    }
    return out + "\n";
  };
  std::string out = line(header) + "|";
  for (size_t i = 0; i < header.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string FormatNumber(double value, int significant) {
  if (!std::isfinite(value)) return "-";
  if (std::abs(value) >= std::pow(10.0, significant)) return absl::StrFormat("%.0f", value);
  return absl::StrFormat("%.*g", significant, value);
}

}  // namespace sf::benchmarks::analysis
