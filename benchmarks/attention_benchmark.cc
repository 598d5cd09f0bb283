// Google Benchmark suite over every attention implementation of the project and of LibTorch,
// forward and forward + backward, over batch, sequence length, d_model, heads and masks (the
// grid of attention_cases.h). Each case also reports, as counters:
//   GFLOP/s        useful FLOPs (attention_cases.h) per second of real time
//   peak_rss_mib   peak resident set of the process while the case ran: setup, warm-up and
//                  timed calls (the mark is reset through /proc/self/clear_refs before each case
//                  and repetition; where the kernel refuses, a note says so and the figure is the
//                  process's peak so far, a case's own only for the first one of a process)
//   run_rss_mib    that peak minus the resident set when the case started: what the case itself
//                  needed, whatever earlier cases left resident (BLAS buffers, caches)
//   cosine, max_abs_diff
//                  output against torch::nn::MultiheadAttention on the same input and weights
//                  (forward, no grad), when its scores fit in --max_dense_mib
//
//   bazel run //benchmarks:attention_benchmark -- --preset=quick --threads=2
//       --benchmark_filter='attention/fused/forward/causal/.*'   (one command line)
//
// Dense implementations whose L x L buffers would exceed --max_dense_mib are not registered.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <benchmark/benchmark.h>
#include <c10/util/Exception.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchmarks/attention_cases.h"
#include "benchmarks/attention_workload.h"
#include "benchmarks/peak_memory.h"
#include "runtime/environment.h"

ABSL_FLAG(std::string, preset, "quick", "Grid of configurations: quick or full.");
ABSL_FLAG(double, max_dense_mib, 2048,
          "Largest L x L buffer footprint (MiB) a dense implementation may need; larger cases "
          "are not registered, and the agreement check is skipped beyond it.");

namespace sf::benchmarks {
namespace {

// Starts a case's memory figures afresh; returns the resident set run_rss_mib is counted from.
// Without the reset, every case after the first in a process (later repetitions included) would
// report the largest earlier peak, e.g. that of the agreement check's dense L x L forward.
double StartCaseMemory() {
  static bool warned = false;
  const absl::Status reset = ResetPeakRss();
  if (!reset.ok() && !warned) {
    warned = true;
    std::cerr << "note: " << reset.message()
              << "; peak_rss_mib and run_rss_mib include the process's peak so far, so only the "
                 "first case and repetition of a process has its own figures\n";
  }
  const double resident = CurrentRssMib();
  return std::isnan(resident) ? PeakRssMib() : resident;
}

// The first line of a LibTorch error, without its C++ stack trace.
std::string ShortError(const c10::Error& e) {
  const std::string text = e.what_without_backtrace();
  return text.substr(0, text.find('\n'));
}

void RunCase(benchmark::State& state, const AttentionCase& c, double max_dense_mib) {
  const bool forward_only = c.pass == "forward";
  const double start_rss_mib = StartCaseMemory();
  std::optional<AttentionWorkload> workload;
  try {
    workload.emplace(c);
    // One untimed call: allocator warm-up, and an unsupported configuration fails here.
    if (forward_only) {
      at::NoGradGuard no_grad;
      workload->Forward(c.implementation);
    } else {
      workload->ForwardBackward(c.implementation);
    }
  } catch (const c10::Error& e) {
    state.SkipWithError(ShortError(e).c_str());
    return;
  }
  if (forward_only) {
    at::NoGradGuard no_grad;
    for (auto _ : state) {
      at::Tensor out = workload->Forward(c.implementation);
      benchmark::DoNotOptimize(out.data_ptr<float>());
    }
  } else {
    for (auto _ : state) workload->ForwardBackward(c.implementation);
  }
  const double peak = PeakRssMib();
  state.counters["peak_rss_mib"] = peak;
  state.counters["run_rss_mib"] = peak - start_rss_mib;
  state.counters["GFLOP/s"] = benchmark::Counter(UsefulFlops(c) * state.iterations() / 1e9,
                                                 benchmark::Counter::kIsRate);
  // Agreement once per case and process: it is not timed, its memory comes after the peak above
  // was read, and the next case or repetition resets the peak before it starts.
  AttentionCase baseline_case = c;
  baseline_case.implementation = kBaselineImplementation;
  baseline_case.pass = "forward";
  if (DenseScoresMib(baseline_case) > max_dense_mib) return;
  static std::map<std::string, Agreement> agreements;
  auto it = agreements.find(c.Name());
  if (it == agreements.end()) {
    at::NoGradGuard no_grad;
    it = agreements
             .emplace(c.Name(), CompareOutputs(workload->Forward(c.implementation),
                                               workload->Forward(kBaselineImplementation)))
             .first;
  }
  state.counters["cosine"] = it->second.cosine_similarity;
  state.counters["max_abs_diff"] = it->second.max_abs_diff;
}

}  // namespace
}  // namespace sf::benchmarks

int main(int argc, char** argv) {
  using namespace sf::benchmarks;
  benchmark::Initialize(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  absl::Status status = sf::runtime::ConfigureRuntime(sf::runtime::RuntimeOptionsFromFlags());
  absl::StatusOr<Preset> preset = ParsePreset(absl::GetFlag(FLAGS_preset));
  if (status.ok()) status = preset.status();
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  std::cerr << sf::runtime::RuntimeBanner() << "\n";
  {
    // Loads the kernels and thread pool every case uses before the first case is measured.
    at::NoGradGuard no_grad;
    at::Tensor warm = at::softmax(at::mm(at::randn({64, 64}), at::randn({64, 64})), 1);
    benchmark::DoNotOptimize(warm.data_ptr<float>());
  }
  const double max_dense_mib = absl::GetFlag(FLAGS_max_dense_mib);
  for (const AttentionCase& c : AttentionGrid(*preset)) {
    if (DenseScoresMib(c) > max_dense_mib) continue;
    benchmark::RegisterBenchmark(c.Name().c_str(),
                                 [c, max_dense_mib](benchmark::State& state) {
                                   RunCase(state, c, max_dense_mib);
                                 })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
