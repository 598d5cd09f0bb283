// The progress line of a training run: step, loss, rate and ETA.
//
//   sf::training::ProgressLine progress(std::cerr, {.total_steps = 5000,
//                                                   .tty = sf::training::StderrIsTerminal()});
//   for (...) { ...; progress.Update(step, loss, batch_size); }
//   progress.Finish();
//
//   step 1200/5000 (24.0%) | loss 2.3145 | 4.81 step/s | 1231 ex/s | ETA 13m10s
//
// On a terminal the line is redrawn in place ("\r", clear to end of line) at most every
// `tty_interval_seconds`. Elsewhere (a log file, CI) it is printed as plain lines every
// `every_steps` steps, or after `max_silence_seconds` without a line, and at the last step.
// The loss shown is the mean over the steps since the previous line; rates and ETA count from
// the first Update (so a resumed run measures only itself, not the steps it skipped).
#ifndef SCRATCHFORMER_TRAINING_PROGRESS_H_
#define SCRATCHFORMER_TRAINING_PROGRESS_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace sf::training {

// isatty(2).
bool StderrIsTerminal();

// "45s", "13m10s", "2h03m", "3d04h".
std::string FormatDuration(double seconds);

struct ProgressOptions {
  int64_t total_steps = 0;
  bool tty = false;
  // "ex" (examples) or "tok" (tokens): what Update's `items` count.
  std::string unit = "ex";
  double tty_interval_seconds = 0.2;
  int64_t every_steps = 100;
  double max_silence_seconds = 60.0;
};

class ProgressLine {
 public:
  // Seconds on a monotonic clock; the default is std::chrono::steady_clock.
  using Clock = std::function<double()>;
  ProgressLine(std::ostream& out, ProgressOptions options, Clock clock = {});

  // After update number `step` (1-based, up to total_steps), with that step's loss and the
  // examples or tokens it consumed.
  void Update(int64_t step, double loss, int64_t items);

  // Ends a redrawn line with a newline so following output starts on a fresh line.
  void Finish();

  // The text of one line.
  static std::string Format(int64_t step, int64_t total_steps, double loss,
                            double steps_per_second, double items_per_second,
                            const std::string& unit);

 private:
  std::ostream& out_;
  ProgressOptions options_;
  Clock clock_;
  bool started_ = false;
  double start_time_ = 0.0;
  int64_t start_step_ = 0;
  int64_t items_ = 0;
  double last_print_time_ = 0.0;
  double loss_sum_ = 0.0;
  int64_t loss_count_ = 0;
  bool line_open_ = false;
};

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_PROGRESS_H_
