// Process-wide settings every binary shares: intra-op threads, the random seed, and a banner
// saying what the process runs on (LibTorch version, thread count, which BLAS).
//
// LibTorch on Debian starts with one intra-op thread, and its matmul speed depends entirely on
// which library `libblas.so.3` resolves to, so binaries set the first and report the second:
//
//   int main(int argc, char** argv) {
//     absl::ParseCommandLine(argc, argv);
//     absl::Status s = sf::runtime::ConfigureRuntime(sf::runtime::RuntimeOptionsFromFlags());
//     if (!s.ok()) { std::cerr << s << "\n"; return 1; }
//     std::cerr << sf::runtime::RuntimeBanner() << "\n";
//     ...
//   }
//
// Flags defined here: --threads (default: the number of cores), --seed (default 0).
#ifndef SCRATCHFORMER_RUNTIME_ENVIRONMENT_H_
#define SCRATCHFORMER_RUNTIME_ENVIRONMENT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace sf::runtime {

struct RuntimeOptions {
  int threads = 1;      // intra-op threads for LibTorch (at::set_num_threads)
  uint64_t seed = 0;    // seeds LibTorch's default generator
};

// Reads --threads and --seed.
RuntimeOptions RuntimeOptionsFromFlags();

// Applies `options`; InvalidArgument (naming the value) when threads < 1.
absl::Status ConfigureRuntime(const RuntimeOptions& options);

// The number of cores this process may run on (sched affinity), at least 1.
int AvailableCores();

// The resolved path of the BLAS library loaded into this process, or "" when none is.
std::string LoadedBlasLibrary();

// A human name for a BLAS path: "OpenBLAS", "BLIS", "reference BLAS (netlib, slow)", ...
std::string DescribeBlas(const std::string& path);

// One line: LibTorch version, intra-op threads, BLAS name and path, seed of the last
// ConfigureRuntime call.
std::string RuntimeBanner();

}  // namespace sf::runtime

#endif  // SCRATCHFORMER_RUNTIME_ENVIRONMENT_H_
