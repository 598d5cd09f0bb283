// HTTP(S) download of one URL to a file with libcurl: progress line on stderr, resume of a
// partial download, bounded retries with exponential backoff, connect and low-speed timeouts.
//
//   sf::download::DownloadOptions options;           // defaults suit a user's download
//   absl::Status s = sf::download::DownloadFile(
//       "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
//       "/home/me/.cache/scratchformer/.downloads/aclImdb_v1.tar.gz", options);
//
// Bytes go to `<dest>.part`, renamed to `<dest>` only once the transfer completes, so `<dest>`
// never holds a truncated file. An interrupted transfer is resumed with a Range request, both
// within a call (on retry) and across calls: a `.part` holding received bytes is kept after a
// transient failure (dropped connection, timeout, 5xx) so the next run continues it. A server
// that ignores Range, or a `.part` longer than the file, restarts the transfer from byte 0.
//
// Errors name the URL: HTTP status >= 400 gives NotFound (404, 410), PermissionDenied (401,
// 403) or Unavailable (other codes); network failures give Unavailable with curl's message
// ("Failed to connect to 127.0.0.1 port 9: Connection refused", "Could not resolve host").
#ifndef SCRATCHFORMER_TOOLS_DOWNLOAD_HTTP_DOWNLOAD_H_
#define SCRATCHFORMER_TOOLS_DOWNLOAD_HTTP_DOWNLOAD_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sf::download {

struct DownloadOptions {
  // Attempts per URL, the first included. Transient failures are retried; a 404 is not.
  int max_attempts = 4;
  // Wait before the second attempt; doubles for each later one, capped at max_backoff.
  absl::Duration initial_backoff = absl::Seconds(2);
  absl::Duration max_backoff = absl::Seconds(30);
  absl::Duration connect_timeout = absl::Seconds(30);
  // A transfer slower than low_speed_limit bytes/s for low_speed_time is abandoned (and
  // retried): a stalled connection does not hang the run.
  int64_t low_speed_limit = 1024;
  absl::Duration low_speed_time = absl::Seconds(60);
  bool show_progress = true;
  // Where the progress line goes; nullptr: stderr, rewritten in place when it is a terminal.
  std::ostream* progress_stream = nullptr;
  // Period of plain progress lines when the output is not a terminal.
  absl::Duration progress_interval = absl::Seconds(10);
};

// Downloads `url` (http or https; redirects followed) to `dest_path` through
// `dest_path + ".part"`. The parent directory of `dest_path` must exist.
absl::Status DownloadFile(const std::string& url, const std::string& dest_path,
                          const DownloadOptions& options = {});

// The `.part` file DownloadFile writes for `dest_path`.
std::string PartialPath(const std::string& dest_path);

}  // namespace sf::download

#endif  // SCRATCHFORMER_TOOLS_DOWNLOAD_HTTP_DOWNLOAD_H_
