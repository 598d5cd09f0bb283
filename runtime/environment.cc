#include "runtime/environment.h"

#include <link.h>
#include <sched.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(int, threads, sf::runtime::AvailableCores(),
          "Intra-op threads for LibTorch (default: the number of cores).");
ABSL_FLAG(uint64_t, seed, 0, "Seed for every random number generator of the run.");

namespace sf::runtime {
namespace {

uint64_t g_seed = 0;

int CollectBlas(struct dl_phdr_info* info, size_t, void* data) {
  const std::string name = info->dlpi_name == nullptr ? "" : info->dlpi_name;
  const std::string base = std::filesystem::path(name).filename().string();
  if (absl::StartsWith(base, "libblas") || absl::StrContains(base, "openblas") ||
      absl::StartsWith(base, "libblis") || absl::StartsWith(base, "libmkl_rt")) {
    auto* out = static_cast<std::string*>(data);
    std::error_code ec;
    std::filesystem::path resolved = std::filesystem::canonical(name, ec);
    *out = ec ? name : resolved.string();
    return 1;
  }
  return 0;
}

}  // namespace

int AvailableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}

RuntimeOptions RuntimeOptionsFromFlags() {
  RuntimeOptions options;
  options.threads = absl::GetFlag(FLAGS_threads);
  options.seed = absl::GetFlag(FLAGS_seed);
  return options;
}

absl::Status ConfigureRuntime(const RuntimeOptions& options) {
  if (options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads must be at least 1, got ", options.threads));
  }
  at::set_num_threads(options.threads);
  at::manual_seed(options.seed);
  g_seed = options.seed;
  return absl::OkStatus();
}

std::string LoadedBlasLibrary() {
  std::string path;
  dl_iterate_phdr(CollectBlas, &path);
  return path;
}

std::string DescribeBlas(const std::string& path) {
  if (path.empty()) return "none loaded";
  if (absl::StrContains(path, "openblas")) {
    if (absl::StrContains(path, "openmp")) return "OpenBLAS (OpenMP)";
    if (absl::StrContains(path, "pthread")) return "OpenBLAS (pthreads)";
    return "OpenBLAS";
  }
  if (absl::StrContains(path, "blis")) return "BLIS";
  if (absl::StrContains(path, "mkl")) return "MKL";
  if (absl::StrContains(path, "atlas")) return "ATLAS";
  return "reference BLAS (netlib, slow: install libopenblas0-openmp)";
}

std::string RuntimeBanner() {
  std::string blas = LoadedBlasLibrary();
  return absl::StrCat("LibTorch ", TORCH_VERSION, " | intra-op threads ", at::get_num_threads(),
                      " | BLAS ", DescribeBlas(blas), blas.empty() ? "" : " (", blas,
                      blas.empty() ? "" : ")", " | seed ", g_seed);
}

}  // namespace sf::runtime
