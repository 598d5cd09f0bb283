// Runs a program the way a user's shell would, for end-to-end tests of the task binaries:
// arguments, environment, a timeout, and everything it printed.
//
//   sf::tasks::testing::CliResult r = sf::tasks::testing::RunCli(
//       BinaryPath("tasks/imdb/imdb"), {"--data_dir=/nonexistent"}, /*timeout_seconds=*/60);
//   EXPECT_NE(r.exit_code, 0);
//   EXPECT_THAT(r.stderr_text, HasSubstr("/nonexistent"));
#ifndef SCRATCHFORMER_TASKS_TESTING_CLI_RUNNER_H_
#define SCRATCHFORMER_TASKS_TESTING_CLI_RUNNER_H_

#include <string>
#include <utility>
#include <vector>

namespace sf::tasks::testing {

struct CliResult {
  int exit_code = -1;     // the exit status; -1 when killed by a signal or the timeout
  int signal = 0;         // the signal that ended it, 0 when it exited
  bool timed_out = false;
  double seconds = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// Starts `binary` with `args` in `working_dir` (empty: the current one) and standard input
// from /dev/null (or `stdin_text`), kills it after `timeout_seconds`. Extra environment
// variables are added to the inherited environment.
CliResult RunCli(const std::string& binary, const std::vector<std::string>& args,
                 double timeout_seconds,
                 const std::vector<std::pair<std::string, std::string>>& extra_env = {},
                 const std::string& stdin_text = "", const std::string& working_dir = "");

// The runfiles path of a binary the test depends on (`data = ["//tasks/imdb:imdb"]`), given as
// its workspace-relative path ("tasks/imdb/imdb").
// `command` run by /bin/sh -c (for pipes and redirections), its stderr merged into
// stdout_text in order.
CliResult RunShell(const std::string& command, double timeout_seconds);

std::string BinaryPath(const std::string& workspace_relative);

// The non-empty lines of `text`.
std::vector<std::string> NonEmptyLines(const std::string& text);

// What the project promises for bad input: a non-zero exit without a crash or a timeout, and
// an `error: ...` line with no stack trace, abort message or LibTorch exception dump. Returns
// an empty string when `r` keeps the promise, or what went wrong.
std::string CleanFailureProblem(const CliResult& r);

}  // namespace sf::tasks::testing

#endif  // SCRATCHFORMER_TASKS_TESTING_CLI_RUNNER_H_
