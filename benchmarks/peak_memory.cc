#include "benchmarks/peak_memory.h"

#include <sys/resource.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

namespace sf::benchmarks {
namespace {

constexpr char kClearRefs[] = "/proc/self/clear_refs";

// A "Name:   1234 kB" line of /proc/self/status in MiB; NaN when missing.
double StatusFieldMib(const std::string& name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  const std::string prefix = name + ":";
  while (std::getline(status, line)) {
    if (line.compare(0, prefix.size(), prefix) != 0) continue;
    return std::strtod(line.c_str() + prefix.size(), nullptr) / 1024.0;  // kB
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

double PeakRssMib() {
  const double hwm = StatusFieldMib("VmHWM");
  if (!std::isnan(hwm)) return hwm;
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // KiB on Linux
}

double CurrentRssMib() { return StatusFieldMib("VmRSS"); }

absl::Status ResetPeakRss() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  std::FILE* file = std::fopen(kClearRefs, "w");
  if (file == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", kClearRefs, ": ", std::strerror(errno)));
  }
  // Unbuffered, so a kernel that does not know "5" (before Linux 4.0) fails the write itself.
  std::setvbuf(file, nullptr, _IONBF, 0);
  const bool written = std::fputs("5", file) >= 0;
  const int write_error = errno;
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    return absl::UnavailableError(absl::StrCat("cannot reset the peak resident set through ",
                                               kClearRefs, ": ",
                                               std::strerror(written ? errno : write_error)));
  }
  return absl::OkStatus();
}

}  // namespace sf::benchmarks
