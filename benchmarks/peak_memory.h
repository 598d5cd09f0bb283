// The peak resident set of this process, per measured section rather than since start-up.
//
// Linux keeps a high-water mark of the resident set (VmHWM in /proc/self/status, ru_maxrss of
// getrusage) that only ever grows, so after one allocation-heavy step every later reading in the
// same process reports that step. Writing "5" to /proc/self/clear_refs (Linux 4.0 and later)
// lowers the mark to the current resident set:
//
//   absl::Status reset = sf::benchmarks::ResetPeakRss();   // before the section
//   ... the section ...
//   double peak = sf::benchmarks::PeakRssMib();            // its own peak if reset.ok()
#ifndef SCRATCHFORMER_BENCHMARKS_PEAK_MEMORY_H_
#define SCRATCHFORMER_BENCHMARKS_PEAK_MEMORY_H_

#include "absl/status/status.h"

namespace sf::benchmarks {

// The high-water mark of the resident set in MiB: VmHWM, or getrusage's ru_maxrss when
// /proc/self/status cannot be read.
double PeakRssMib();

// The resident set now in MiB (VmRSS); NaN when /proc/self/status cannot be read.
double CurrentRssMib();

// Returns freed heap memory to the system (so memory an earlier section freed is not counted as
// resident), then resets the high-water mark to the current resident set. An error naming
// /proc/self/clear_refs when the kernel refuses; the mark then still covers the whole process.
absl::Status ResetPeakRss();

}  // namespace sf::benchmarks

#endif  // SCRATCHFORMER_BENCHMARKS_PEAK_MEMORY_H_
