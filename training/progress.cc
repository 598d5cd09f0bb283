#include "training/progress.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sf::training {

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return absl::StrFormat("%ds", s);
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  return absl::StrFormat("%dd%02dh", s / 86400, (s % 86400) / 3600);
}

ProgressLine::ProgressLine(std::ostream& out, ProgressOptions options, Clock clock)
    : out_(out), options_(std::move(options)), clock_(std::move(clock)) {
  if (!clock_) {
    clock_ = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
}

std::string ProgressLine::Format(int64_t step, int64_t total_steps, double loss,
                                 double steps_per_second, double items_per_second,
                                 const std::string& unit) {
  std::string line = absl::StrFormat("step %d/%d", step, total_steps);
  if (total_steps > 0) {
    absl::StrAppendFormat(&line, " (%.1f%%)", 100.0 * static_cast<double>(step) /
                                                  static_cast<double>(total_steps));
  }
  absl::StrAppendFormat(&line, " | loss %.4f | %.2f step/s", loss, steps_per_second);
  if (items_per_second > 0) absl::StrAppendFormat(&line, " | %.0f %s/s", items_per_second, unit);
  if (total_steps > step) {
    const double eta = steps_per_second > 0
                           ? static_cast<double>(total_steps - step) / steps_per_second
                           : NAN;
    absl::StrAppend(&line, " | ETA ", FormatDuration(eta));
  }
  return line;
}

void ProgressLine::Update(int64_t step, double loss, int64_t items) {
  const double now = clock_();
  if (!started_) {
    started_ = true;
    // The first call only starts the clock: how long its step took is unknown, so rates
    // count the steps and items after it.
    start_time_ = now;
    start_step_ = step;
    last_print_time_ = now;
  } else {
    items_ += items;
  }
  loss_sum_ += loss;
  ++loss_count_;
  const bool last = step >= options_.total_steps;
  bool due;
  if (options_.tty) {
    due = last || now - last_print_time_ >= options_.tty_interval_seconds;
  } else {
    due = last || (options_.every_steps > 0 && step % options_.every_steps == 0) ||
          now - last_print_time_ >= options_.max_silence_seconds;
  }
  if (!due) return;
  const double elapsed = now - start_time_;
  const double steps_per_second =
      elapsed > 0 ? static_cast<double>(step - start_step_) / elapsed : 0.0;
  const double items_per_second = elapsed > 0 ? static_cast<double>(items_) / elapsed : 0.0;
  const std::string line =
      Format(step, options_.total_steps, loss_sum_ / static_cast<double>(loss_count_),
             steps_per_second, items_per_second, options_.unit);
  if (options_.tty) {
    out_ << '\r' << line << "\x1b[K" << std::flush;
    line_open_ = true;
  } else {
    out_ << line << '\n' << std::flush;
  }
  last_print_time_ = now;
  loss_sum_ = 0.0;
  loss_count_ = 0;
}

void ProgressLine::Finish() {
  if (line_open_) out_ << '\n' << std::flush;
  line_open_ = false;
}

}  // namespace sf::training
