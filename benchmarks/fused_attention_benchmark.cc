// Speed and memory of the fused attention kernel against LibTorch and the project's reference,
// all measured in one run on 2 intra-op threads, eval mode, no attention weights returned.
//
//   bazel build //benchmarks:fused_attention_benchmark
//   bazel-bin/benchmarks/fused_attention_benchmark              # every case, then a summary
//   bazel-bin/benchmarks/fused_attention_benchmark --benchmark_filter=layer/
//   bazel-bin/benchmarks/fused_attention_benchmark --benchmark_repetitions=1   # quicker
//
// Each case runs 3 times by default, in random order among the other cases' runs, and the
// summary uses each case's median time (--benchmark_repetitions, --benchmark_enable_random_
// interleaving and --benchmark_display_aggregates_only override that).
//
// Batch 8, heads 8, d_model 256 and 512. Cases (D = d_model, L = sequence length):
//   sgemm/2048                   a large float32 matmul: the BLAS ceiling of this machine
//   layer/<impl>/dD/LL           a whole self-attention layer forward, projections included:
//                                fused = our MultiHeadAttention on the fused backend,
//                                reference = the same module on the reference backend,
//                                torch_mha = torch::nn::MultiheadAttention,
//                                native_mha = at::_native_multi_head_attention (the fast path
//                                Python's nn.MultiheadAttention takes in inference),
//                                projections = the layer's two matmuls alone (bias
//                                included, inputs of the layer's shapes), a floor for any
//                                implementation (the summary prints the resulting ceiling on
//                                speedups)
//   core/<kind>/dD/LL            the attention core alone on [8, 8, L, D/8] heads: fused (no
//                                mask), fused_causal, fused_window256 (keys within +-128),
//                                reference; fused_packed is the fused core as the layer runs
//                                it, on the packed [8, L, 3 * D] result of one QKV projection
//   train/<impl>/dD/L512         forward + backward, of the core, of the whole layer and of
//                                the projections alone
// After the runs a summary prints every ratio the kernel is judged by, with its target, the
// core's GFLOP/s (4 * B * L^2 * d_model per forward) against the SGEMM of the same run, what
// the layer costs beyond its projections and core, the FLOP bound on each layer ratio (the
// baseline's time over the layer's multiply-adds run at the SGEMM's rate: a layer whose
// matrix products run no faster than the BLAS's largest one cannot do better, whatever it does
// about the softmax and memory traffic), and the peak resident memory of a layer
// forward at batch 1, heads 8, d_model 256, L = 4096 and 8192, each measured in a fresh child
// process (this binary re-run with --peak_rss_child).
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/modules/activation.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "attention/fused_attention.h"
#include "attention/masks.h"
#include "attention/multi_head_attention.h"
#include "attention/scaled_dot_product_attention.h"
#include "runtime/environment.h"

namespace sf::benchmarks {
namespace {

using attention::AttentionBackend;
using attention::MaskSpec;

constexpr int64_t kBatch = 8;
constexpr int64_t kHeads = 8;
constexpr int kThreads = 2;
constexpr int64_t kSgemmSize = 2048;
constexpr int kRepetitions = 3;
constexpr char kRssChildFlag[] = "--peak_rss_child=";

double CoreFlops(int64_t batch, int64_t len, int64_t d_model) {
  return 4.0 * batch * static_cast<double>(len) * len * d_model;
}

// Multiply-add FLOPs of a self-attention layer forward: the QKV and output projections
// (2 * B * L * 4 * d^2) and the core's two L x L products.
double LayerFlops(int64_t batch, int64_t len, int64_t d_model) {
  return 8.0 * batch * len * static_cast<double>(d_model) * d_model +
         CoreFlops(batch, len, d_model);
}

// The same for forward + backward: the projections three times (forward, input and weight
// gradients) and the core's products seven times (two forward; the backward recomputes the
// scores and forms dV, dP, dQ and dK).
double LayerTrainFlops(int64_t batch, int64_t len, int64_t d_model) {
  return 24.0 * batch * len * static_cast<double>(d_model) * d_model +
         3.5 * CoreFlops(batch, len, d_model);
}

void Register(const std::string& name, std::function<void(benchmark::State&)> fn) {
  benchmark::RegisterBenchmark(name.c_str(), [fn](benchmark::State& state) { fn(state); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

// The four layer implementations with one set of weights.
struct Layers {
  explicit Layers(int64_t d_model)
      : ours(attention::MultiHeadAttentionOptions(d_model, kHeads)
                 .backend(AttentionBackend::kFused)),
        torch_mha(torch::nn::MultiheadAttentionOptions(d_model, kHeads)) {
    at::NoGradGuard no_grad;
    ours->eval();
    torch_mha->eval();
    // Non-zero biases so the comparison covers them.
    ours->in_proj_bias.uniform_(-0.1, 0.1);
    ours->out_proj->bias.uniform_(-0.1, 0.1);
    torch_mha->in_proj_weight.copy_(ours->in_proj_weight);
    torch_mha->in_proj_bias.copy_(ours->in_proj_bias);
    torch_mha->out_proj->weight.copy_(ours->out_proj->weight);
    torch_mha->out_proj->bias.copy_(ours->out_proj->bias);
  }

  // x is batch-first [B, L, d_model]; torch_mha takes x_seq_first [L, B, d_model].
  at::Tensor Run(const std::string& impl, const at::Tensor& x, const at::Tensor& x_seq_first) {
    if (impl == "fused" || impl == "reference") {
      ours->set_backend(impl == "fused" ? AttentionBackend::kFused : AttentionBackend::kReference);
      return ours->forward(x, x, x).output;
    }
    if (impl == "torch_mha") {
      return std::get<0>(torch_mha->forward(x_seq_first, x_seq_first, x_seq_first, {},
                                            /*need_weights=*/false));
    }
    const int64_t d_model = x.size(2);
    if (impl == "projections") {
      // The layer's two matmuls alone, each on an input of the shape and layout the layer
      // gives it (x stands in for the merged heads): no attention implementation can go below.
      const at::Tensor qkv = at::linear(x, ours->in_proj_weight, ours->in_proj_bias);
      benchmark::DoNotOptimize(qkv.data_ptr<float>());
      return at::linear(x, ours->out_proj->weight, ours->out_proj->bias);
    }
    return std::get<0>(at::_native_multi_head_attention(
        x, x, x, d_model, kHeads, ours->in_proj_weight, ours->in_proj_bias,
        ours->out_proj->weight, ours->out_proj->bias, {}, /*need_weights=*/false));
  }

  attention::MultiHeadAttention ours;
  torch::nn::MultiheadAttention torch_mha;
};

void RegisterSgemm() {
  Register(absl::StrCat("sgemm/", kSgemmSize), [](benchmark::State& state) {
    const int64_t n = kSgemmSize;
    const at::Tensor a = at::randn({n, n});
    const at::Tensor b = at::randn({n, n});
    at::Tensor c = at::empty({n, n});
    for (auto _ : state) {
      at::mm_out(c, a, b);
      benchmark::DoNotOptimize(c.data_ptr<float>());
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n * state.iterations() / 1e9,
                                                   benchmark::Counter::kIsRate);
  });
}

void RegisterLayer(const std::string& impl, int64_t d_model, int64_t len) {
  Register(absl::StrCat("layer/", impl, "/d", d_model, "/L", len),
           [=](benchmark::State& state) {
             at::NoGradGuard no_grad;
             Layers layers(d_model);
             const at::Tensor x = at::randn({kBatch, len, d_model});
             const at::Tensor x_seq_first = x.transpose(0, 1).contiguous();
             for (auto _ : state) {
               at::Tensor out = layers.Run(impl, x, x_seq_first);
               benchmark::DoNotOptimize(out.data_ptr<float>());
             }
           });
}

struct Heads {
  at::Tensor q, k, v;
};

Heads RandomHeads(int64_t batch, int64_t len, int64_t d_model) {
  const int64_t dim = d_model / kHeads;
  return {at::randn({batch, kHeads, len, dim}), at::randn({batch, kHeads, len, dim}),
          at::randn({batch, kHeads, len, dim})};
}

MaskSpec CoreMask(const std::string& kind) {
  if (kind == "fused_causal") return MaskSpec::Causal();
  if (kind == "fused_window256") return MaskSpec().WithSlidingWindow(128, 128);
  return MaskSpec();
}

void RegisterCore(const std::string& kind, int64_t d_model, int64_t len) {
  Register(absl::StrCat("core/", kind, "/d", d_model, "/L", len), [=](benchmark::State& state) {
    at::NoGradGuard no_grad;
    const Heads h = RandomHeads(kBatch, len, d_model);
    const MaskSpec mask = CoreMask(kind);
    const at::Tensor qkv =
        kind == "fused_packed" ? at::randn({kBatch, len, 3 * d_model}) : at::Tensor();
    for (auto _ : state) {
      at::Tensor out =
          kind == "reference"      ? attention::ScaledDotProductAttention(h.q, h.k, h.v).output
          : kind == "fused_packed" ? attention::FusedSelfAttention(qkv, kHeads, mask)
                                   : attention::FusedAttention(h.q, h.k, h.v, mask);
      benchmark::DoNotOptimize(out.data_ptr<float>());
    }
    state.counters["GFLOP/s"] = benchmark::Counter(
        CoreFlops(kBatch, len, d_model) * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  });
}

// Forward + backward of the core ("core_fused", "core_reference"), of the whole layer
// ("layer_fused", "layer_reference") or of the layer's projections alone ("projections",
// what the layer's matmuls cost both ways, each on an input of the layer's shapes).
void RegisterTrain(const std::string& impl, int64_t d_model, int64_t len) {
  Register(absl::StrCat("train/", impl, "/d", d_model, "/L", len), [=](benchmark::State& state) {
    const bool fused = absl::EndsWith(impl, "fused");
    if (absl::StartsWith(impl, "core")) {
      Heads h = RandomHeads(kBatch, len, d_model);
      for (at::Tensor* t : {&h.q, &h.k, &h.v}) t->requires_grad_(true);
      const at::Tensor grad_out = at::randn_like(h.q);
      for (auto _ : state) {
        at::Tensor out = fused ? attention::FusedAttention(h.q, h.k, h.v)
                               : attention::ScaledDotProductAttention(h.q, h.k, h.v).output;
        out.backward(grad_out);
        benchmark::DoNotOptimize(h.q.grad().data_ptr<float>());
        for (at::Tensor* t : {&h.q, &h.k, &h.v}) t->mutable_grad().reset();
      }
      return;
    }
    Layers layers(d_model);
    layers.ours->set_backend(fused ? AttentionBackend::kFused : AttentionBackend::kReference);
    const at::Tensor x = at::randn({kBatch, len, d_model}).requires_grad_(true);
    const at::Tensor grad_out = at::randn({kBatch, len, d_model});
    if (impl == "projections") {
      const at::Tensor merged = at::randn({kBatch, len, d_model}).requires_grad_(true);
      const at::Tensor grad_qkv = at::randn({kBatch, len, 3 * d_model});
      for (auto _ : state) {
        layers.ours->zero_grad();
        const at::Tensor qkv = at::linear(x, layers.ours->in_proj_weight,
                                          layers.ours->in_proj_bias);
        const at::Tensor out = layers.ours->out_proj->forward(merged);
        torch::autograd::backward({qkv, out}, {grad_qkv, grad_out});
        benchmark::DoNotOptimize(x.grad().data_ptr<float>());
        x.mutable_grad().reset();
        merged.mutable_grad().reset();
      }
      return;
    }
    for (auto _ : state) {
      layers.ours->zero_grad();
      at::Tensor out = layers.ours->forward(x, x, x).output;
      out.backward(grad_out);
      benchmark::DoNotOptimize(x.grad().data_ptr<float>());
      x.mutable_grad().reset();
    }
  });
}

// Records each run's real time per iteration (ms) for the summary: the median of a case's
// repetitions, so that on a shared machine one slow run does not decide a ratio.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const double ms = 1e3 * run.real_accumulated_time / static_cast<double>(run.iterations);
      if (run.run_type == Run::RT_Iteration) {
        times_[run.run_name.function_name].push_back(ms);
      } else if (run.aggregate_name == "median") {
        // --benchmark_display_aggregates_only: the repetitions themselves are not shown.
        medians_[run.run_name.function_name] = ms;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  // Median milliseconds per iteration over the case's runs, or nullopt when it did not run.
  std::optional<double> Ms(const std::string& name) const {
    if (auto median = medians_.find(name); median != medians_.end()) return median->second;
    auto it = times_.find(name);
    if (it == times_.end() || it->second.empty()) return std::nullopt;
    std::vector<double> ms = it->second;
    std::sort(ms.begin(), ms.end());
    const size_t n = ms.size();
    return n % 2 == 1 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  }

 private:
  std::map<std::string, std::vector<double>> times_;
  std::map<std::string, double> medians_;
};

// Largest difference between the fused layer and each other implementation on one input:
// printed so the timings are known to compare equal computations.
void PrintAgreement(int64_t d_model, int64_t len) {
  at::NoGradGuard no_grad;
  Layers layers(d_model);
  const at::Tensor x = at::randn({kBatch, len, d_model});
  const at::Tensor x_seq_first = x.transpose(0, 1).contiguous();
  const at::Tensor fused = layers.Run("fused", x, x_seq_first);
  std::string line = absl::StrFormat("Agreement at d_model %d, L %d (max |fused - other|):",
                                     d_model, len);
  for (const char* impl : {"reference", "torch_mha", "native_mha"}) {
    at::Tensor other = layers.Run(impl, x, x_seq_first);
    if (std::string(impl) == "torch_mha") other = other.transpose(0, 1);
    absl::StrAppendFormat(&line, " %s %.2e", impl, (fused - other).abs().max().item<double>());
  }
  std::cout << line << "\n";
}

// Under load, OpenMP threads that spin at barriers (libgomp's default) lose whole scheduler
// slices whenever a peer is descheduled; code with many parallel regions (LibTorch's layers)
// slows down far more than code with few, and the ratios stop meaning anything.
void WarnIfLoaded() {
  double load[1];
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const bool passive = policy != nullptr && std::string(policy) == "passive";
  if (getloadavg(load, 1) == 1 && load[0] > 0.5 && !passive) {
    std::cout << absl::StrFormat(
        "WARNING: load average %.2f before the run; other processes share the cores, which "
        "distorts OpenMP-heavy baselines. Rerun on a quiet machine, or with "
        "OMP_WAIT_POLICY=passive for numbers that hold up under load.\n",
        load[0]);
  }
}

// Child mode: one layer forward at batch 1, heads 8, d_model 256; prints the peak resident set
// before and after it (KiB).
int PeakRssChild(const std::string& spec) {
  const std::vector<std::string> parts = absl::StrSplit(spec, ':');
  int64_t len = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &len) || len <= 0) {
    std::cerr << "bad " << kRssChildFlag << spec << " (expected <impl>:<length>)\n";
    return 2;
  }
  at::set_num_threads(kThreads);
  at::NoGradGuard no_grad;
  const int64_t d_model = 256;
  Layers layers(d_model);
  const at::Tensor x = at::randn({1, len, d_model});
  const at::Tensor x_seq_first = x.transpose(0, 1).contiguous();
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  const long before = usage.ru_maxrss;
  at::Tensor out = layers.Run(parts[0], x, x_seq_first);
  benchmark::DoNotOptimize(out.data_ptr<float>());
  getrusage(RUSAGE_SELF, &usage);
  std::printf("%ld %ld\n", before, usage.ru_maxrss);
  return 0;
}

// {peak before the forward, peak after it} in MiB, from a child process.
std::optional<std::pair<double, double>> MeasurePeakRss(const std::string& impl, int64_t len) {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return std::nullopt;
  self[n] = '\0';
  const std::string command = absl::StrCat("'", self, "' ", kRssChildFlag, impl, ":", len);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (pipe == nullptr) return std::nullopt;
  long before = 0;
  long after = 0;
  if (std::fscanf(pipe.get(), "%ld %ld", &before, &after) != 2) return std::nullopt;
  return std::make_pair(before / 1024.0, after / 1024.0);
}

class Summary {
 public:
  explicit Summary(const RecordingReporter& reporter) : reporter_(reporter) {}

  // A row "what: ours vs baseline = ratio (target >= t)", when both cases ran.
  void Ratio(const std::string& what, const std::string& ours, const std::string& baseline,
             double target) {
    const std::optional<double> a = reporter_.Ms(ours);
    const std::optional<double> b = reporter_.Ms(baseline);
    if (!a || !b) return;
    const double ratio = *b / *a;
    Row(what, absl::StrFormat("%9.2f ms vs %9.2f ms", *a, *b), ratio, target, "x");
  }

  // An informational row: how much faster than `baseline` any layer could be, given that it
  // must still run the projections (`floor`).
  void Bound(const std::string& what, const std::string& floor, const std::string& baseline) {
    const std::optional<double> a = reporter_.Ms(floor);
    const std::optional<double> b = reporter_.Ms(baseline);
    if (!a || !b) return;
    rows_.push_back(absl::StrFormat("%-44s %-44s %8.2fx  (projections alone: %.2f ms)", what, "",
                                    *b / *a, *a));
    std::cout << rows_.back() << "\n";
  }

  // An informational row: how much faster than `baseline` any layer could be that ran `flops`
  // multiply-add FLOPs at the rate of this run's SGEMM, with nothing else to do (no softmax,
  // no memory traffic).
  void FlopBound(const std::string& what, double flops, const std::string& baseline) {
    const std::optional<double> b = reporter_.Ms(baseline);
    const std::optional<double> gflops = SgemmGflops();
    if (!b || !gflops) return;
    const double ms = flops / (*gflops * 1e6);
    rows_.push_back(absl::StrFormat("%-44s %-44s %8.2fx  (%.2f GFLOP at SGEMM's rate: %.2f ms)",
                                    what, "", *b / ms, flops * 1e-9, ms));
    std::cout << rows_.back() << "\n";
  }

  // An informational row: baseline time / our time, without a target.
  void Compare(const std::string& what, const std::string& ours, const std::string& baseline) {
    const std::optional<double> a = reporter_.Ms(ours);
    const std::optional<double> b = reporter_.Ms(baseline);
    if (!a || !b) return;
    rows_.push_back(absl::StrFormat("%-44s %-44s %8.2fx", what,
                                    absl::StrFormat("%9.2f ms vs %9.2f ms", *a, *b), *b / *a));
    std::cout << rows_.back() << "\n";
  }

  // An informational row: what the layer costs beyond its projections and its core.
  void Overhead(const std::string& what, const std::string& layer,
                const std::string& projections, const std::string& core) {
    const std::optional<double> l = reporter_.Ms(layer);
    const std::optional<double> p = reporter_.Ms(projections);
    const std::optional<double> c = reporter_.Ms(core);
    if (!l || !p || !c) return;
    rows_.push_back(absl::StrFormat(
        "%-44s %-44s %8.2f ms (%.1f%% of the layer)", what,
        absl::StrFormat("%.2f - %.2f - %.2f ms", *l, *p, *c), *l - *p - *c,
        100.0 * (*l - *p - *c) / *l));
    std::cout << rows_.back() << "\n";
  }

  void Gflops(int64_t d_model, int64_t len) {
    const std::string name = absl::StrCat("core/fused/d", d_model, "/L", len);
    const std::optional<double> ms = reporter_.Ms(name);
    const std::optional<double> sgemm_gflops = SgemmGflops();
    if (!ms) return;
    const double gflops = CoreFlops(kBatch, len, d_model) / (*ms * 1e6);
    std::string detail = absl::StrFormat("%9.2f ms", *ms);
    if (sgemm_gflops) {
      detail += absl::StrFormat(", %.2f of SGEMM's %.1f GFLOP/s", gflops / *sgemm_gflops,
                                *sgemm_gflops);
    }
    Row(absl::StrFormat("core GFLOP/s d%d L%d", d_model, len), detail, gflops, 50.0, "");
  }

  void Memory() {
    const auto small = MeasurePeakRss("fused", 4096);
    const auto large = MeasurePeakRss("fused", 8192);
    const auto torch_small = MeasurePeakRss("torch_mha", 4096);
    if (!small || !large) {
      std::cout << "peak RSS: child processes failed\n";
      return;
    }
    Row("peak RSS MiB fused L8192 (B1 H8 d256)",
        absl::StrFormat("before forward %.0f MiB", large->first), large->second, 1024.0, "",
        /*at_most=*/true);
    std::cout << absl::StrFormat("  peak RSS fused L4096 %.0f MiB (forward adds %.0f MiB), "
                                 "L8192 %.0f MiB (adds %.0f MiB): growth x%.2f for x2 length\n",
                                 small->second, small->second - small->first, large->second,
                                 large->second - large->first,
                                 (large->second - large->first) /
                                     std::max(1.0, small->second - small->first));
    if (torch_small) {
      std::cout << absl::StrFormat("  for comparison torch_mha L4096: %.0f MiB (adds %.0f MiB)\n",
                                   torch_small->second, torch_small->second - torch_small->first);
    }
  }

  void Print() const {
    std::cout << "\n== Summary: ratios within this run (time of the baseline / time of ours) ==\n";
    for (const std::string& row : rows_) std::cout << row << "\n";
  }

 private:
  std::optional<double> SgemmGflops() const {
    const std::optional<double> ms = reporter_.Ms(absl::StrCat("sgemm/", kSgemmSize));
    if (!ms) return std::nullopt;
    return 2.0 * kSgemmSize * kSgemmSize * kSgemmSize / (*ms * 1e6);
  }

  void Row(const std::string& what, const std::string& detail, double value, double target,
           const char* unit, bool at_most = false) {
    const bool ok = at_most ? value <= target : value >= target;
    rows_.push_back(absl::StrFormat("%-44s %-44s %8.2f%s  (target %s %.1f%s)  %s", what, detail,
                                    value, unit, at_most ? "<=" : ">=", target, unit,
                                    ok ? "PASS" : "FAIL"));
    std::cout << rows_.back() << "\n";
  }

  const RecordingReporter& reporter_;
  std::vector<std::string> rows_;
};

void RegisterAll() {
  RegisterSgemm();
  for (int64_t d : {256, 512}) {
    for (int64_t len : {128, 512, 2048}) {
      for (const char* impl : {"fused", "torch_mha", "native_mha", "reference", "projections"}) {
        RegisterLayer(impl, d, len);
      }
    }
    for (int64_t len : {128, 512, 2048}) {
      RegisterCore("fused", d, len);
      RegisterCore("fused_packed", d, len);
    }
    RegisterCore("reference", d, 512);
    RegisterCore("fused_causal", d, 2048);
    RegisterCore("fused", d, 8192);
    RegisterCore("fused_window256", d, 8192);
    for (const char* impl :
         {"core_fused", "core_reference", "layer_fused", "layer_reference", "projections"}) {
      RegisterTrain(impl, d, 512);
    }
  }
}

void Summarise(const RecordingReporter& reporter) {
  Summary summary(reporter);
  std::cout << "\n== Targets ==\n";
  for (int64_t d : {256, 512}) {
    const std::string ds = absl::StrCat("/d", d);
    for (int64_t len : {128, 512, 2048}) {
      const std::string suffix = absl::StrCat(ds, "/L", len);
      summary.Ratio(absl::StrCat("layer vs torch::nn::MHA", suffix), "layer/fused" + suffix,
                    "layer/torch_mha" + suffix, len == 128 ? 1.5 : 3.0);
      if (len >= 512) {
        summary.Ratio(absl::StrCat("layer vs _native_multi_head_attention", suffix),
                      "layer/fused" + suffix, "layer/native_mha" + suffix, 2.0);
      }
      summary.Ratio(absl::StrCat("layer vs our reference", suffix), "layer/fused" + suffix,
                    "layer/reference" + suffix, 1.0);
      summary.Bound(absl::StrCat("  ceiling vs torch::nn::MHA", suffix),
                    "layer/projections" + suffix, "layer/torch_mha" + suffix);
      summary.FlopBound(absl::StrCat("  FLOP bound vs torch::nn::MHA", suffix),
                        LayerFlops(kBatch, len, d), "layer/torch_mha" + suffix);
      if (len >= 512) {
        summary.FlopBound(absl::StrCat("  FLOP bound vs native MHA", suffix),
                          LayerFlops(kBatch, len, d), "layer/native_mha" + suffix);
      }
    }
    for (int64_t len : {128, 512, 2048}) {
      // The layer runs the core on its packed projection (fused_packed).
      const std::string suffix = absl::StrCat(ds, "/L", len);
      summary.Overhead(absl::StrCat("  layer - projections - core", suffix),
                       "layer/fused" + suffix, "layer/projections" + suffix,
                       "core/fused_packed" + suffix);
      summary.Compare(absl::StrCat("  core on packed QKV vs on heads", suffix),
                      "core/fused_packed" + suffix, "core/fused" + suffix);
    }
    for (int64_t len : {512, 2048}) summary.Gflops(d, len);
    summary.Ratio(absl::StrCat("causal vs full", ds, "/L2048"),
                  absl::StrCat("core/fused_causal", ds, "/L2048"),
                  absl::StrCat("core/fused", ds, "/L2048"), 1.7);
    summary.Ratio(absl::StrCat("window 256 vs full", ds, "/L8192"),
                  absl::StrCat("core/fused_window256", ds, "/L8192"),
                  absl::StrCat("core/fused", ds, "/L8192"), 10.0);
    summary.Ratio(absl::StrCat("core fwd+bwd vs reference", ds, "/L512"),
                  absl::StrCat("train/core_fused", ds, "/L512"),
                  absl::StrCat("train/core_reference", ds, "/L512"), 2.0);
    summary.Ratio(absl::StrCat("layer fwd+bwd vs reference", ds, "/L512"),
                  absl::StrCat("train/layer_fused", ds, "/L512"),
                  absl::StrCat("train/layer_reference", ds, "/L512"), 2.0);
    summary.Overhead(absl::StrCat("  fwd+bwd layer - projections - core", ds, "/L512"),
                     absl::StrCat("train/layer_fused", ds, "/L512"),
                     absl::StrCat("train/projections", ds, "/L512"),
                     absl::StrCat("train/core_fused", ds, "/L512"));
    summary.Bound(absl::StrCat("  ceiling fwd+bwd vs reference", ds, "/L512"),
                  absl::StrCat("train/projections", ds, "/L512"),
                  absl::StrCat("train/layer_reference", ds, "/L512"));
    summary.FlopBound(absl::StrCat("  FLOP bound fwd+bwd vs reference", ds, "/L512"),
                      LayerTrainFlops(kBatch, 512, d),
                      absl::StrCat("train/layer_reference", ds, "/L512"));
  }
  summary.Memory();
  summary.Print();
}

}  // namespace
}  // namespace sf::benchmarks

int main(int argc, char** argv) {
  using namespace sf::benchmarks;
  if (argc == 2 && std::strncmp(argv[1], kRssChildFlag, std::strlen(kRssChildFlag)) == 0) {
    return PeakRssChild(argv[1] + std::strlen(kRssChildFlag));
  }
  at::set_num_threads(kThreads);
  at::manual_seed(0);
  std::cout << sf::runtime::RuntimeBanner() << "\n";
  WarnIfLoaded();
  PrintAgreement(256, 128);
  RegisterAll();
  // Every case runs kRepetitions times, the cases' runs interleaved in random order, and the
  // summary takes each case's median: on a shared machine a slow spell then hits both sides of
  // a ratio alike instead of whichever case happened to run during it. Flags given on the
  // command line come after these defaults and override them.
  std::vector<char*> args(argv, argv + argc);
  std::string repetitions = absl::StrCat("--benchmark_repetitions=", kRepetitions);
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  std::string aggregates = "--benchmark_display_aggregates_only=true";
  args.insert(args.begin() + 1, {repetitions.data(), interleave.data(), aggregates.data()});
  int args_count = static_cast<int>(args.size());
  benchmark::Initialize(&args_count, args.data());
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  Summarise(reporter);
  benchmark::Shutdown();
  return 0;
}
