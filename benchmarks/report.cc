// The benchmarks report: runs every attention configuration of the preset in its own
// process (so its peak memory is its own), then the tokenizer and training-throughput
// benchmarks, and writes to --out:
//   report.md                   tables, fitted scaling exponents, derived recommendations
//   results.csv, results.json   every configuration with its raw repetition times
//   time_vs_L_*.svg, memory_vs_L_*.svg, gflops_vs_L_*.svg
//                               one chart per (pass, mask, batch, heads, d_model), one line per
//                               implementation
// and prints, per configuration, how our fused layer compares with torch::nn::MultiheadAttention:
//   forward/causal/B2/H4/D128/L512: Custom: 1.20 ms, LibTorch: 3.10 ms, Speedup: 2.58, Output similarity: 1.000000
//
//   bazel run //benchmarks:report -- --quick --out=report/
//   OMP_WAIT_POLICY=passive bazel-out/k8-opt/bin/benchmarks/report --out=/tmp/full_report
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "benchmarks/analysis/measurement.h"
#include "benchmarks/analysis/report_writer.h"
#include "benchmarks/analysis/scaling.h"
#include "benchmarks/attention_cases.h"
#include "runtime/environment.h"
#include "runtime/paths.h"
#include "runtime/test_data.h"
#include "tools/plot/svg_line_plot.h"
#include "training/file_io.h"
#include "training/progress.h"

ABSL_FLAG(std::string, out, "report", "Directory the report, plots and data are written to.");
ABSL_FLAG(bool, quick, false, "Small grid that finishes in a few minutes instead of the full one.");
ABSL_FLAG(int, repetitions, 0, "Repetitions per configuration (0: 6 quick, 10 full).");
ABSL_FLAG(double, min_time, 0,
          "Minimum seconds per repetition (0: 0.03 quick, 0.3 full); at least one call runs.");
ABSL_FLAG(double, max_dense_mib, 0,
          "Largest L x L footprint (MiB) a dense implementation may need (0: 1024 quick, 4096 "
          "full); bigger configurations are skipped and listed.");

namespace sf::benchmarks {
namespace {

namespace fs = std::filesystem;
using analysis::FormatNumber;
using analysis::Measurement;

struct Settings {
  Preset preset = Preset::kQuick;
  int threads = 1;
  uint64_t seed = 0;
  int repetitions = 6;
  double min_time = 0.03;
  double max_dense_mib = 1024;
};

struct ChildResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` through the shell, capturing its output.
ChildResult RunChild(const std::string& command) {
  ChildResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string Quote(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "'\\''"}}), "'");
}

std::string LastLine(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.pop_back();
  const size_t pos = trimmed.rfind('\n');
  return pos == std::string::npos ? trimmed : trimmed.substr(pos + 1);
}

absl::StatusOr<nlohmann::json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no output file ", path));
  std::stringstream text;
  text << in.rdbuf();
  // Google Benchmark prints a NaN statistic (the coefficient of variation of a counter that is
  // 0 in every repetition) as a bare NaN, which is not JSON.
  const std::string cleaned = absl::StrReplaceAll(
      text.str(), {{": -nan", ": null"},
                    {": nan", ": null"},
                    {": NaN", ": null"},
                    {": -inf", ": null"},
                    {": inf", ": null"},
                    {": -Infinity", ": null"},
                    {": Infinity", ": null"}});
  nlohmann::json j = nlohmann::json::parse(cleaned, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::DataLossError(absl::StrCat("unparseable JSON in ", path));
  return j;
}

double JsonDouble(const nlohmann::json& entry, const char* key) {
  auto it = entry.find(key);
  return it != entry.end() && it->is_number() ? it->get<double>() : Measurement::kNaN;
}

Measurement FromCase(const AttentionCase& c) {
  Measurement m;
  m.implementation = c.implementation;
  m.pass = c.pass;
  m.mask = c.mask;
  m.batch = c.batch;
  m.heads = c.heads;
  m.d_model = c.d_model;
  m.length = c.length;
  m.dense_scores = MaterializesScores(c.implementation);
  m.flops = UsefulFlops(c);
  return m;
}

// One configuration in a fresh attention_benchmark process.
Measurement MeasureCase(const AttentionCase& c, const std::string& benchmark_binary,
                        const std::string& json_path, const Settings& s) {
  Measurement m = FromCase(c);
  const double dense = DenseScoresMib(c);
  if (dense > s.max_dense_mib) {
    m.status = absl::StrFormat("skipped: its L x L buffers need about %.0f MiB, over "
                               "--max_dense_mib=%.0f",
                               dense, s.max_dense_mib);
    return m;
  }
  std::error_code ec;
  fs::remove(json_path, ec);
  const std::string command = absl::StrCat(
      Quote(benchmark_binary), " --preset=", s.preset == Preset::kQuick ? "quick" : "full",
      " --threads=", s.threads, " --seed=", s.seed, " --max_dense_mib=", s.max_dense_mib,
      " --benchmark_filter=", Quote(absl::StrCat("^", c.Name(), "(/|$)")),
      " --benchmark_repetitions=", s.repetitions, " --benchmark_min_time=", s.min_time,
      " --benchmark_out_format=json --benchmark_out=", Quote(json_path));
  const ChildResult child = RunChild(command);
  absl::StatusOr<nlohmann::json> json = ReadJson(json_path);
  if (child.exit_code != 0) {
    m.status = absl::StrCat("failed: exit code ", child.exit_code, ": ", LastLine(child.output));
    return m;
  }
  if (!json.ok()) {
    m.status = absl::StrCat("failed: ", json.status().message());
    return m;
  }
  for (const nlohmann::json& entry : (*json)["benchmarks"]) {
    if (entry.value("run_type", "") != "iteration") continue;
    if (entry.value("error_occurred", false)) {
      m.status = absl::StrCat("unsupported: ", entry.value("error_message", "error"));
      m.times_ms.clear();
      break;
    }
    m.times_ms.push_back(JsonDouble(entry, "real_time"));
    // Each repetition reports the peak of its own run where the benchmark can reset the mark;
    // where it cannot, the process's peak so far, which only in the first repetition precedes
    // the untimed agreement check. The smallest is the configuration's own figure either way.
    m.peak_rss_mib = std::fmin(JsonDouble(entry, "peak_rss_mib"), m.peak_rss_mib);
    m.run_rss_mib = std::fmin(JsonDouble(entry, "run_rss_mib"), m.run_rss_mib);
    m.cosine_similarity = JsonDouble(entry, "cosine");
    m.max_abs_diff = JsonDouble(entry, "max_abs_diff");
  }
  if (m.ok() && m.times_ms.empty()) m.status = "failed: no repetitions in the benchmark output";
  analysis::Summarize(m);
  return m;
}

struct SummaryLine {
  std::string config;
  double custom_ms, libtorch_ms, similarity;

  std::string Text() const {
    return absl::StrFormat("%s: Custom: %.3f ms, LibTorch: %.3f ms, Speedup: %.2f, Output "
                           "similarity: %s",
                           config, custom_ms, libtorch_ms, libtorch_ms / custom_ms,
                           std::isfinite(similarity) ? absl::StrFormat("%.6f", similarity)
                                                     : std::string("n/a (baseline too large)"));
  }
};

// The other benchmarks of the project, embedded as child processes.
struct ExtraBenchmark {
  std::string title;
  std::string target;
  std::string markdown;  // the section body
};

std::string ParseGoogleBenchmarkJson(const nlohmann::json& json) {
  std::vector<std::vector<std::string>> rows;
  for (const nlohmann::json& entry : json["benchmarks"]) {
    if (entry.value("run_type", "") != "iteration") continue;
    if (entry.value("error_occurred", false)) {
      rows.push_back({entry.value("name", "?"), "error: " + entry.value("error_message", "")});
      continue;
    }
    rows.push_back({entry.value("name", "?"),
                    absl::StrCat(FormatNumber(JsonDouble(entry, "real_time"), 4), " ",
                                 entry.value("time_unit", "")),
                    absl::StrCat(entry.value("iterations", 0))});
  }
  return analysis::MarkdownTable({"benchmark", "real time", "iterations"}, rows);
}

ExtraBenchmark RunGoogleBenchmark(const std::string& title, const std::string& target,
                                  const std::string& binary, const std::string& json_path,
                                  const std::string& extra_flags, const Settings& s) {
  ExtraBenchmark result{title, target, ""};
  if (!fs::exists(binary)) {
    result.markdown = absl::StrCat("Not run: ", binary, " is missing (`bazel build ", target, "`).\n");
    return result;
  }
  std::error_code ec;
  fs::remove(json_path, ec);
  const std::string command =
      absl::StrCat(Quote(binary), " ", extra_flags, " --benchmark_min_time=",
                   s.preset == Preset::kQuick ? 0.1 : 1.0,
                   " --benchmark_out_format=json --benchmark_out=", Quote(json_path));
  const ChildResult child = RunChild(command);
  absl::StatusOr<nlohmann::json> json = ReadJson(json_path);
  if (child.exit_code != 0 || !json.ok()) {
    result.markdown = absl::StrCat("Failed (exit code ", child.exit_code, "): `",
                                   LastLine(child.output), "`\n");
    return result;
  }
  result.markdown = absl::StrCat("`", command.substr(0, command.find(" --benchmark_out_format")),
                                 "`\n\n", ParseGoogleBenchmarkJson(*json));
  return result;
}

ExtraBenchmark RunTokenizerBenchmark(const std::string& binary, const Settings& s) {
  ExtraBenchmark result{"Tokenizer throughput", "//benchmarks:tokenizer_benchmark", ""};
  std::optional<std::string> data = runtime::SharedDataDir("wikitext-2-raw");
  if (!data) {
    result.markdown = absl::StrCat("Skipped: ", runtime::SharedDataSkipReason("wikitext-2-raw"),
                                   ".\n");
    return result;
  }
  if (!fs::exists(binary)) {
    result.markdown = absl::StrCat("Not run: ", binary,
                                   " is missing (`bazel build //benchmarks:tokenizer_benchmark`).\n");
    return result;
  }
  std::string command = absl::StrCat(Quote(binary), " --threads=", s.threads, " --data=",
                                     Quote(*data + "/wiki.train.raw"));
  if (s.preset == Preset::kQuick) absl::StrAppend(&command, " --repeats=1 --bpe_vocab_size=2000");
  const ChildResult child = RunChild(command);
  if (child.exit_code != 0) {
    result.markdown = absl::StrCat("Failed (exit code ", child.exit_code, "): `",
                                   LastLine(child.output), "`\n");
    return result;
  }
  result.markdown = absl::StrCat("`", command, "`\n\n```\n", child.output, "```\n");
  return result;
}

std::string FileSafe(const std::string& group) { return absl::StrReplaceAll(group, {{"/", "_"}}); }

// Curves of one group: implementation -> measurements sorted by length.
using Curves = std::map<std::string, std::vector<const Measurement*>>;

std::map<std::string, Curves> GroupCurves(const std::vector<Measurement>& measurements) {
  std::map<std::string, Curves> groups;
  for (const Measurement& m : measurements) {
    groups[m.GroupName()][m.implementation].push_back(&m);
  }
  for (auto& [name, curves] : groups) {
    for (auto& [impl, points] : curves) {
      std::sort(points.begin(), points.end(),
                [](const Measurement* a, const Measurement* b) { return a->length < b->length; });
    }
  }
  return groups;
}

// Writes the three charts of a group; returns their file names.
absl::StatusOr<std::vector<std::string>> WritePlots(const std::string& dir,
                                                    const std::string& group,
                                                    const Curves& curves) {
  struct Chart {
    const char* prefix;
    const char* y_label;
    double Measurement::*value;
  };
  const Chart charts[] = {{"time_vs_L", "median time per call (ms)", &Measurement::median_ms},
                          {"memory_vs_L", "peak RSS increase (MiB)", &Measurement::run_rss_mib},
                          {"gflops_vs_L", "useful GFLOP/s", &Measurement::gflops}};
  std::vector<std::string> files;
  for (const Chart& chart : charts) {
    std::vector<plot::Series> series;
    for (const auto& [impl, points] : curves) {
      plot::Series line{impl, {}, {}};
      for (const Measurement* m : points) {
        line.x.push_back(static_cast<double>(m->length));
        line.y.push_back(m->ok() ? m->*chart.value : Measurement::kNaN);
      }
      series.push_back(line);
    }
    plot::LinePlotOptions options;
    options.title = absl::StrCat(chart.prefix, ": ", group);
    options.x_label = "sequence length L";
    options.y_label = chart.y_label;
    options.log_x = true;
    options.log_y = true;
    const std::string name = absl::StrCat(chart.prefix, "_", FileSafe(group), ".svg");
    absl::Status s = training::WriteFileAtomically(dir + "/" + name,
                                                   plot::RenderLinePlot(series, options));
    if (!s.ok()) return s;
    files.push_back(name);
  }
  return files;
}

std::string CellWithInterval(const Measurement& m) {
  if (!m.ok()) return m.status.substr(0, m.status.find(':'));
  return absl::StrCat(FormatNumber(m.median_ms), " [", FormatNumber(m.ci_low_ms), ", ",
                      FormatNumber(m.ci_high_ms), "]");
}

std::string QuantityName(analysis::Quantity q) {
  return q == analysis::Quantity::kTime ? "time" : "memory";
}

struct RunInfo {
  std::string banner;
  std::string preset;
  double load_before[3] = {0, 0, 0};
  double load_after[3] = {0, 0, 0};
  double attention_seconds = 0;
  double total_seconds = 0;
  std::string omp_wait_policy;
};

std::string LoadText(const double load[3]) {
  return absl::StrFormat("%.2f, %.2f, %.2f", load[0], load[1], load[2]);
}

std::string RenderMarkdown(const RunInfo& info, const Settings& s,
                           const std::vector<Measurement>& measurements,
                           const std::vector<SummaryLine>& summary,
                           const std::vector<analysis::ScalingFit>& fits,
                           const std::vector<analysis::Recommendation>& recommendations,
                           const std::map<std::string, std::vector<std::string>>& plots,
                           const std::vector<ExtraBenchmark>& extras) {
  std::string md = "# Attention benchmarks report\n\n";
  absl::StrAppend(&md, "- Runtime: `", info.banner, "`\n");
  absl::StrAppendFormat(&md,
                        "- Preset: %s; %d repetitions per configuration, each at least %.3g s; "
                        "dense L x L budget %.0f MiB\n",
                        info.preset, s.repetitions, s.min_time, s.max_dense_mib);
  absl::StrAppend(&md, "- Load average (1, 5, 15 min) before: ", LoadText(info.load_before),
                  "; after: ", LoadText(info.load_after), " on ", runtime::AvailableCores(),
                  " cores; OMP_WAIT_POLICY=", info.omp_wait_policy, "\n");
  absl::StrAppendFormat(&md, "- Wall time: attention suite %s, whole report %s\n\n",
                        training::FormatDuration(info.attention_seconds),
                        training::FormatDuration(info.total_seconds));
  absl::StrAppend(
      &md,
      "Every configuration ran in its own `attention_benchmark` process (Google Benchmark, real "
      "time). Times are the median over repetitions with a distribution-free confidence interval "
      "for the median from order statistics (its exact coverage is in results.csv; with 6 "
      "repetitions it is [min, max] at 96.9%). GFLOP/s counts useful work only: the projections "
      "(8 B L d^2) plus 4 d per allowed (query, key) pair, times 3 for forward + backward, so "
      "implementations that compute masked-out scores get no credit for them. Memory is the "
      "child's peak resident set while the configuration ran (VmHWM, reset before each "
      "repetition) minus its resident set when the repetition started, the smallest over "
      "repetitions. Output similarity is the cosine similarity (and max |diff|) of "
      "the layer output against `torch::nn::MultiheadAttention` with the same weights and input.\n\n",
      "Implementations (whole self-attention layer, same weights): `reference`, `fused`, `sdpa` "
      "are our `MultiHeadAttention` on its reference, fused and LibTorch "
      "(`at::_scaled_dot_product_attention`) backends; `torch_mha` is "
      "`torch::nn::MultiheadAttention`; `native_mha` is `at::_native_multi_head_attention` "
      "(forward only: it has no autograd formula).\n\n");

  absl::StrAppend(&md, "## Fused vs LibTorch per configuration\n\n");
  std::vector<std::vector<std::string>> rows;
  for (const SummaryLine& line : summary) {
    rows.push_back({line.config, FormatNumber(line.custom_ms), FormatNumber(line.libtorch_ms),
                    FormatNumber(line.libtorch_ms / line.custom_ms),
                    std::isfinite(line.similarity) ? absl::StrFormat("%.6f", line.similarity)
                                                   : "n/a"});
  }
  absl::StrAppend(&md,
                  analysis::MarkdownTable({"configuration", "Custom (fused) ms",
                                           "LibTorch (torch_mha) ms", "Speedup",
                                           "Output similarity"},
                                          rows),
                  "\n");

  absl::StrAppend(&md, "## Recommendations (derived from the measurements)\n\n",
                  "The fused kernel exposes no tile-size parameter (`attention/fused_attention.h`), "
                  "so the choice is between backends. For each shape and mask, the fastest "
                  "implementation by median over each range of L; *clear* counts the lengths where "
                  "its interval lies entirely below the runner-up's.\n\n");
  rows.clear();
  for (const analysis::Recommendation& r : recommendations) {
    rows.push_back({r.group,
                    r.from_length == r.to_length ? absl::StrCat(r.from_length)
                                                 : absl::StrCat(r.from_length, "-", r.to_length),
                    r.winner, r.runner_up, absl::StrFormat("%.2fx", r.min_speedup),
                    absl::StrCat(r.clear_wins, "/", r.lengths)});
  }
  absl::StrAppend(&md,
                  analysis::MarkdownTable({"group", "L", "use", "runner-up", "min speedup",
                                           "clear"},
                                          rows),
                  "\n");

  absl::StrAppend(&md, "## Scaling with L (log-log fit over the upper half of the lengths)\n\n");
  rows.clear();
  for (const analysis::ScalingFit& f : fits) {
    rows.push_back({f.group, f.implementation, QuantityName(f.quantity),
                    f.fit ? absl::StrFormat("%.2f", f.fit->exponent) : "-",
                    absl::StrFormat("%.0f", f.theoretical),
                    f.fit ? absl::StrFormat("%.3f", f.fit->r_squared) : "-",
                    absl::StrCat(f.min_length, "-", f.max_length)});
  }
  absl::StrAppend(&md,
                  analysis::MarkdownTable({"group", "implementation", "quantity", "fitted exponent",
                                           "theoretical", "R^2", "L range"},
                                          rows),
                  "\nTheoretical: time ~ L^2 except a streaming kernel under a fixed window "
                  "(L^1); memory ~ L^2 when the scores are materialised, L^1 otherwise. Fits over "
                  "short ranges, or where fixed per-call costs still dominate, come out below the "
                  "asymptotic exponent.\n\n");

  absl::StrAppend(&md, "## Results by group\n\n");
  for (const auto& [group, curves] : GroupCurves(measurements)) {
    absl::StrAppend(&md, "### ", group, "\n\n");
    std::set<int64_t> lengths;
    std::vector<std::string> header = {"L"};
    for (const auto& [impl, points] : curves) {
      header.push_back(impl);
      for (const Measurement* m : points) lengths.insert(m->length);
    }
    for (const char* what : {"median ms [95% CI]", "GFLOP/s", "peak RSS increase MiB"}) {
      absl::StrAppend(&md, "**", what, "**\n\n");
      rows.clear();
      for (int64_t len : lengths) {
        std::vector<std::string> row = {absl::StrCat(len)};
        for (const auto& [impl, points] : curves) {
          std::string cell = "";
          for (const Measurement* m : points) {
            if (m->length != len) continue;
            if (std::string(what) == "GFLOP/s") {
              cell = m->ok() ? FormatNumber(m->gflops) : "-";
            } else if (std::string(what) == "peak RSS increase MiB") {
              cell = m->ok() ? FormatNumber(m->run_rss_mib) : "-";
            } else {
              cell = CellWithInterval(*m);
            }
          }
          row.push_back(cell);
        }
        rows.push_back(row);
      }
      absl::StrAppend(&md, analysis::MarkdownTable(header, rows), "\n");
    }
    auto it = plots.find(group);
    if (it != plots.end()) {
      for (const std::string& file : it->second) absl::StrAppend(&md, "![", file, "](", file, ") ");
      absl::StrAppend(&md, "\n\n");
    }
  }

  std::vector<std::vector<std::string>> not_run;
  for (const Measurement& m : measurements) {
    if (!m.ok()) not_run.push_back({absl::StrCat(m.ConfigName(), " ", m.implementation), m.status});
  }
  if (!not_run.empty()) {
    absl::StrAppend(&md, "## Configurations without figures\n\n",
                    analysis::MarkdownTable({"configuration", "reason"}, not_run), "\n");
  }

  absl::StrAppend(&md, "## Other benchmarks\n\n");
  for (const ExtraBenchmark& e : extras) {
    absl::StrAppend(&md, "### ", e.title, " (`", e.target, "`)\n\n", e.markdown, "\n");
  }
  absl::StrAppend(&md, "## Files\n\n`results.csv`, `results.json` (every configuration with its "
                       "repetition times), and the charts above.\n");
  return md;
}

nlohmann::json FitsToJson(const std::vector<analysis::ScalingFit>& fits) {
  nlohmann::json out = nlohmann::json::array();
  for (const analysis::ScalingFit& f : fits) {
    out.push_back({{"group", f.group},
                   {"implementation", f.implementation},
                   {"quantity", QuantityName(f.quantity)},
                   {"theoretical_exponent", f.theoretical},
                   {"fitted_exponent", f.fit ? nlohmann::json(f.fit->exponent) : nullptr},
                   {"r_squared", f.fit ? nlohmann::json(f.fit->r_squared) : nullptr},
                   {"min_length", f.min_length},
                   {"max_length", f.max_length}});
  }
  return out;
}

nlohmann::json RecommendationsToJson(const std::vector<analysis::Recommendation>& recs) {
  nlohmann::json out = nlohmann::json::array();
  for (const analysis::Recommendation& r : recs) {
    out.push_back({{"group", r.group},
                   {"from_length", r.from_length},
                   {"to_length", r.to_length},
                   {"winner", r.winner},
                   {"runner_up", r.runner_up},
                   {"min_speedup", r.min_speedup},
                   {"clear_wins", r.clear_wins},
                   {"lengths", r.lengths}});
  }
  return out;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

absl::Status Run() {
  const auto start = std::chrono::steady_clock::now();
  const runtime::RuntimeOptions runtime_options = runtime::RuntimeOptionsFromFlags();
  absl::Status status = runtime::ConfigureRuntime(runtime_options);
  if (!status.ok()) return status;
  Settings s;
  s.preset = absl::GetFlag(FLAGS_quick) ? Preset::kQuick : Preset::kFull;
  const bool quick = s.preset == Preset::kQuick;
  s.threads = runtime_options.threads;
  s.seed = runtime_options.seed;
  s.repetitions = absl::GetFlag(FLAGS_repetitions) > 0 ? absl::GetFlag(FLAGS_repetitions)
                                                       : (quick ? 6 : 10);
  s.min_time = absl::GetFlag(FLAGS_min_time) > 0 ? absl::GetFlag(FLAGS_min_time)
                                                 : (quick ? 0.03 : 0.3);
  s.max_dense_mib = absl::GetFlag(FLAGS_max_dense_mib) > 0 ? absl::GetFlag(FLAGS_max_dense_mib)
                                                           : (quick ? 1024 : 4096);
  if (absl::GetFlag(FLAGS_repetitions) < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--repetitions=", absl::GetFlag(FLAGS_repetitions), " must be >= 0"));
  }
  for (const auto& [name, value] : {std::pair<const char*, double>{"min_time",
                                                                   absl::GetFlag(FLAGS_min_time)},
                                    {"max_dense_mib", absl::GetFlag(FLAGS_max_dense_mib)}}) {
    if (!(std::isfinite(value) && value >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, "=", value, " must be >= 0 (0: the preset's value)"));
    }
  }

  const std::string out_flag = absl::GetFlag(FLAGS_out);
  if (out_flag.empty()) return absl::InvalidArgumentError("--out must name a directory");
  const std::string out_dir = runtime::ResolveUserPath(out_flag);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create --out=", out_dir, ": ", ec ? ec.message() : "not a directory"));
  }
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot resolve /proc/self/exe: ", ec.message()));
  const fs::path bin_root = exe.parent_path().parent_path();
  const std::string attention_binary = (exe.parent_path() / "attention_benchmark").string();
  if (!fs::exists(attention_binary)) {
    return absl::NotFoundError(absl::StrCat(attention_binary,
                                            " is missing: bazel build //benchmarks:attention_benchmark"));
  }
  // The benchmarks' JSON outputs pass through a folder of --out: a run that is interrupted
  // leaves it there (not in /tmp), and the next run starts by clearing it.
  const fs::path scratch = fs::path(out_dir) / ".scratch";
  fs::remove_all(scratch, ec);
  fs::create_directories(scratch, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot create ", scratch.string(), ": ",
                                            ec.message()));
  }

  RunInfo info;
  info.banner = runtime::RuntimeBanner();
  info.preset = quick ? "quick" : "full";
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  info.omp_wait_policy = policy == nullptr ? "(unset)" : policy;
  getloadavg(info.load_before, 3);
  std::cout << info.banner << "\n";
  std::cout << absl::StrFormat("load average %s; OMP_WAIT_POLICY=%s; preset %s\n",
                               LoadText(info.load_before), info.omp_wait_policy, info.preset);

  const std::vector<AttentionCase> grid = AttentionGrid(s.preset);
  std::vector<Measurement> measurements;
  std::vector<SummaryLine> summary;
  std::map<std::string, const Measurement*> baselines;  // config name -> torch_mha
  measurements.reserve(grid.size());
  const auto attention_start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < grid.size(); ++i) {
    measurements.push_back(
        MeasureCase(grid[i], attention_binary, (scratch / "case.json").string(), s));
    const Measurement& m = measurements.back();
    const double elapsed = Seconds(attention_start);
    std::cerr << absl::StrFormat(
        "[%d/%d] %s %s | elapsed %s | ETA %s\n", i + 1, grid.size(), grid[i].Name(),
        m.ok() ? absl::StrFormat("%.3f ms", m.median_ms) : m.status,
        training::FormatDuration(elapsed),
        training::FormatDuration(elapsed / (i + 1) * (grid.size() - i - 1)));
    if (m.implementation == kBaselineImplementation) baselines[m.ConfigName()] = &m;
    if (m.implementation != "fused") continue;
    auto it = baselines.find(m.ConfigName());
    if (!m.ok() || it == baselines.end() || !it->second->ok()) continue;
    summary.push_back({m.ConfigName(), m.median_ms, it->second->median_ms, m.cosine_similarity});
    std::cout << summary.back().Text() << std::endl;
  }
  info.attention_seconds = Seconds(attention_start);

  std::cerr << "running the tokenizer and training-throughput benchmarks\n";
  std::vector<ExtraBenchmark> extras;
  extras.push_back(RunTokenizerBenchmark((exe.parent_path() / "tokenizer_benchmark").string(), s));
  extras.push_back(RunGoogleBenchmark(
      "Training loop overhead", "//training:train_loop_benchmark",
      (bin_root / "training" / "train_loop_benchmark").string(), (scratch / "extra.json").string(),
      "", s));
  extras.push_back(RunGoogleBenchmark(
      "Transformer encoder layer", "//layers:transformer_layer_benchmark",
      (bin_root / "layers" / "transformer_layer_benchmark").string(),
      (scratch / "extra.json").string(), "", s));
  fs::remove_all(scratch, ec);

  const std::vector<analysis::ScalingFit> fits = analysis::FitScaling(measurements);
  const std::vector<analysis::Recommendation> recommendations = analysis::Recommend(measurements);
  std::map<std::string, std::vector<std::string>> plots;
  for (const auto& [group, curves] : GroupCurves(measurements)) {
    std::set<int64_t> lengths;
    for (const auto& [impl, points] : curves) {
      for (const Measurement* m : points) lengths.insert(m->length);
    }
    if (lengths.size() < 2) continue;
    absl::StatusOr<std::vector<std::string>> files = WritePlots(out_dir, group, curves);
    if (!files.ok()) return files.status();
    plots[group] = *files;
  }
  getloadavg(info.load_after, 3);
  info.total_seconds = Seconds(start);

  nlohmann::json json = {
      {"runtime", info.banner},
      {"preset", info.preset},
      {"threads", s.threads},
      {"repetitions", s.repetitions},
      {"min_time_seconds", s.min_time},
      {"max_dense_mib", s.max_dense_mib},
      {"load_average_before", {info.load_before[0], info.load_before[1], info.load_before[2]}},
      {"load_average_after", {info.load_after[0], info.load_after[1], info.load_after[2]}},
      {"omp_wait_policy", info.omp_wait_policy},
      {"wall_seconds", info.total_seconds},
      {"measurements", analysis::MeasurementsToJson(measurements)},
      {"scaling_fits", FitsToJson(fits)},
      {"recommendations", RecommendationsToJson(recommendations)}};
  nlohmann::json extra_json = nlohmann::json::array();
  for (const ExtraBenchmark& e : extras) {
    extra_json.push_back({{"title", e.title}, {"target", e.target}, {"markdown", e.markdown}});
  }
  json["other_benchmarks"] = extra_json;

  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"results.csv", analysis::MeasurementsToCsv(measurements)},
           {"results.json", json.dump(2) + "\n"},
           {"report.md", RenderMarkdown(info, s, measurements, summary, fits, recommendations,
                                        plots, extras)}}) {
    status = training::WriteFileAtomically(out_dir + "/" + name, text);
    if (!status.ok()) return status;
  }
  std::cout << absl::StrFormat("wrote %s/report.md, results.csv, results.json and %d SVG charts "
                               "in %s (load average now %s)\n",
                               out_dir, 3 * plots.size(), training::FormatDuration(info.total_seconds),
                               LoadText(info.load_after));
  return absl::OkStatus();
}

}  // namespace
}  // namespace sf::benchmarks

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const absl::Status status = sf::benchmarks::Run();
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
