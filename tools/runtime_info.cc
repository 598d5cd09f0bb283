// Prints what this machine gives LibTorch: version, intra-op threads, which BLAS
// `libblas.so.3` resolves to, and a measured SGEMM rate, so a slow setup (reference BLAS, one
// thread) shows at once.
//
//   bazel run //tools:runtime_info -- --threads=2 --size=1024
#include <chrono>
#include <iostream>

#include <ATen/ATen.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "runtime/environment.h"

ABSL_FLAG(int, size, 1024, "Side of the square float32 matrices multiplied to measure SGEMM.");
ABSL_FLAG(int, repeats, 10, "Timed multiplications (after one warm-up).");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Prints LibTorch's version, thread count, BLAS library and SGEMM speed.");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = sf::runtime::ConfigureRuntime(sf::runtime::RuntimeOptionsFromFlags());
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  std::cout << sf::runtime::RuntimeBanner() << "\n";

  const int n = absl::GetFlag(FLAGS_size);
  const int repeats = absl::GetFlag(FLAGS_repeats);
  if (n < 1 || repeats < 1) {
    std::cerr << "error: --size and --repeats must be at least 1, got " << n << " and " << repeats
              << "\n";
    return 1;
  }
  // Three n x n float32 matrices; 16384 (3 GiB) is already more than a quick check needs.
  constexpr int kMaxSize = 16384;
  if (n > kMaxSize) {
    std::cerr << "error: --size must be at most " << kMaxSize << " (three " << kMaxSize << " x "
              << kMaxSize << " float32 matrices take 3 GiB), got " << n << "\n";
    return 1;
  }
  at::Tensor a = at::randn({n, n});
  at::Tensor b = at::randn({n, n});
  at::Tensor c = at::mm(a, b);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) at::mm_out(c, a, b);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double gflops = 2.0 * n * n * static_cast<double>(n) * repeats / seconds / 1e9;
  std::cout << "SGEMM " << n << "x" << n << ": " << gflops << " GFLOP/s\n";
  return 0;
}
