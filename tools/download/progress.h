// A one-line progress report for long transfers: bytes done, total, rate and ETA.
//
// On a terminal the line is rewritten in place with '\r'; when stderr is a file or a pipe (CI
// logs, `nohup`), a plain line is written every `plain_interval` so logs stay readable:
//
//   sf::download::ProgressLine progress("aclImdb_v1.tar.gz", &std::cerr, StderrIsTerminal());
//   progress.Update(done, total, absl::Now());   // as bytes arrive; cheap, rate-limited
//   progress.Finish(done, total, absl::Now());   // final line, ends with '\n'
//
//   aclImdb_v1.tar.gz: 12.0 MiB / 80.2 MiB (15%), 3.1 MiB/s, ETA 0:22
#ifndef SCRATCHFORMER_TOOLS_DOWNLOAD_PROGRESS_H_
#define SCRATCHFORMER_TOOLS_DOWNLOAD_PROGRESS_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/time/time.h"

namespace sf::download {

// "512 B", "1.5 KiB", "80.2 MiB", "1.20 GiB".
std::string FormatBytes(int64_t bytes);

// "0:07", "12:34", "1:02:03"; "--:--" for an infinite or negative duration.
std::string FormatEta(absl::Duration eta);

// The progress text without control characters. `total` < 0 means unknown (no percentage or
// ETA); `bytes_per_second` <= 0 means not measured yet.
std::string FormatProgress(const std::string& label, int64_t done, int64_t total,
                           double bytes_per_second);

// isatty(STDERR_FILENO).
bool StderrIsTerminal();

class ProgressLine {
 public:
  ProgressLine(std::string label, std::ostream* out, bool tty,
               absl::Duration plain_interval = absl::Seconds(10));

  // Reports `done` of `total` bytes (total < 0: unknown). The first call sets the baseline the
  // rate is measured from, so a resumed transfer's rate counts only this run's bytes. Writes at
  // most every 100 ms on a terminal and every `plain_interval` otherwise.
  void Update(int64_t done, int64_t total, absl::Time now);

  // Writes the final state and a newline (nothing when Update was never called).
  void Finish(int64_t done, int64_t total, absl::Time now);

  // Ends the line without a final report, for an attempt that failed before any byte arrived:
  // on a terminal the partial line is erased so that an error message starts on a clean line.
  void Abandon();

 private:
  void Write(int64_t done, int64_t total, absl::Time now, bool final);

  std::string label_;
  std::ostream* out_;
  bool tty_;
  absl::Duration plain_interval_;
  bool started_ = false;
  int64_t start_bytes_ = 0;
  absl::Time start_time_;
  absl::Time last_write_;
  size_t last_width_ = 0;
};

}  // namespace sf::download

#endif  // SCRATCHFORMER_TOOLS_DOWNLOAD_PROGRESS_H_
