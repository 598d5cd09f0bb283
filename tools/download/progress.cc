#include "tools/download/progress.h"

#include <unistd.h>

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sf::download {
namespace {

constexpr absl::Duration kTtyInterval = absl::Milliseconds(100);

}  // namespace

std::string FormatBytes(int64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  int unit = 0;
  while (value >= 1024.0 && unit < 3) {
    value /= 1024.0;
    ++unit;
  }
  return absl::StrFormat(unit >= 1 ? "%.2f %s" : "%.1f %s", value, kUnits[unit]);
}

std::string FormatEta(absl::Duration eta) {
  if (eta < absl::ZeroDuration() || eta == absl::InfiniteDuration()) return "--:--";
  const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(eta, absl::Seconds(1)));
  const int64_t h = seconds / 3600;
  const int64_t m = (seconds / 60) % 60;
  const int64_t s = seconds % 60;
  if (h > 0) return absl::StrFormat("%d:%02d:%02d", h, m, s);
  return absl::StrFormat("%d:%02d", m, s);
}

std::string FormatProgress(const std::string& label, int64_t done, int64_t total,
                           double bytes_per_second) {
  std::string line = absl::StrCat(label, ": ", FormatBytes(done));
  if (total >= 0) {
    const int percent = total == 0 ? 100 : static_cast<int>(100.0 * done / total);
    absl::StrAppend(&line, " / ", FormatBytes(total), " (", percent, "%)");
  }
  if (bytes_per_second > 0) {
    absl::StrAppend(&line, ", ",
                    FormatBytes(static_cast<int64_t>(std::llround(bytes_per_second))), "/s");
    if (total >= 0) {
      const double remaining = static_cast<double>(total > done ? total - done : 0);
      absl::StrAppend(&line, ", ETA ", FormatEta(absl::Seconds(remaining / bytes_per_second)));
    }
  } else if (total >= 0) {
    absl::StrAppend(&line, ", ETA ", FormatEta(absl::InfiniteDuration()));
  }
  return line;
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

ProgressLine::ProgressLine(std::string label, std::ostream* out, bool tty,
                           absl::Duration plain_interval)
    : label_(std::move(label)), out_(out), tty_(tty), plain_interval_(plain_interval) {}

void ProgressLine::Update(int64_t done, int64_t total, absl::Time now) {
  if (!started_) {
    started_ = true;
    start_bytes_ = done;
    start_time_ = now;
    last_write_ = now;
    if (tty_) Write(done, total, now, /*final=*/false);
    return;
  }
  if (now - last_write_ < (tty_ ? kTtyInterval : plain_interval_)) return;
  Write(done, total, now, /*final=*/false);
}

void ProgressLine::Finish(int64_t done, int64_t total, absl::Time now) {
  if (!started_) return;
  Write(done, total, now, /*final=*/true);
  started_ = false;
}

void ProgressLine::Abandon() {
  if (tty_ && last_width_ > 0) {
    *out_ << '\r' << std::string(last_width_, ' ') << '\r';
    out_->flush();
  }
  last_width_ = 0;
  started_ = false;
}

void ProgressLine::Write(int64_t done, int64_t total, absl::Time now, bool final) {
  last_write_ = now;
  const double seconds = absl::ToDoubleSeconds(now - start_time_);
  const double rate = seconds > 0 ? static_cast<double>(done - start_bytes_) / seconds : 0.0;
  std::string line = FormatProgress(label_, done, total, rate);
  if (tty_) {
    // Spaces erase the tail of a longer previous line without relying on ANSI escapes.
    const size_t width = line.size();
    if (width < last_width_) line.append(last_width_ - width, ' ');
    last_width_ = width;
    *out_ << '\r' << line;
    if (final) {
      *out_ << '\n';
      last_width_ = 0;
    }
  } else {
    *out_ << line << '\n';
  }
  out_->flush();
}

}  // namespace sf::download
