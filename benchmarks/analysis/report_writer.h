// Writers for benchmark results: CSV and JSON for machines, Markdown tables for people.
//
//   std::string csv = sf::benchmarks::analysis::MeasurementsToCsv(measurements);
//   nlohmann::json j = sf::benchmarks::analysis::MeasurementsToJson(measurements);
//   std::string md = sf::benchmarks::analysis::MarkdownTable({"L", "ms"}, {{"64", "0.41"}});
//
// Missing figures (NaN) are empty CSV cells and JSON nulls.
#ifndef SCRATCHFORMER_BENCHMARKS_ANALYSIS_REPORT_WRITER_H_
#define SCRATCHFORMER_BENCHMARKS_ANALYSIS_REPORT_WRITER_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchmarks/analysis/measurement.h"

namespace sf::benchmarks::analysis {

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string CsvField(const std::string& text);

// Header line and one line per measurement; repetition times joined by ';' in one column.
std::string MeasurementsToCsv(const std::vector<Measurement>& measurements);

// An array of objects with the CSV's columns (times as an array of numbers).
nlohmann::json MeasurementsToJson(const std::vector<Measurement>& measurements);

// A GitHub-flavoured Markdown table; '|' in cells is escaped, short rows are padded.
std::string MarkdownTable(const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows);

// "%.3g"-style number for tables, "-" for NaN.
std::string FormatNumber(double value, int significant = 3);

}  // namespace sf::benchmarks::analysis

#endif  // SCRATCHFORMER_BENCHMARKS_ANALYSIS_REPORT_WRITER_H_
