#include "tasks/testing/cli_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace sf::tasks::testing {

CliResult RunCli(const std::string& binary, const std::vector<std::string>& args,
                 double timeout_seconds,
                 const std::vector<std::pair<std::string, std::string>>& extra_env,
                 const std::string& stdin_text, const std::string& working_dir) {
  CliResult result;
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0 || pipe(in_pipe) != 0) {
    result.stderr_text = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], in_pipe[0], in_pipe[1]}) {
      close(fd);
    }
    setpgid(0, 0);  // its own group, so the timeout also ends any children
    if (!working_dir.empty() && chdir(working_dir.c_str()) != 0) _exit(127);
    for (const auto& [key, value] : extra_env) setenv(key.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(in_pipe[0]);
  if (!stdin_text.empty()) {
    (void)!write(in_pipe[1], stdin_text.data(), stdin_text.size());
  }
  close(in_pipe[1]);

  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.stdout_text, &result.stderr_text};
  int open_fds = 2;
  char buffer[4096];
  while (open_fds > 0) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed > timeout_seconds) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      }
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status) && !result.timed_out) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

CliResult RunShell(const std::string& command, double timeout_seconds) {
  return RunCli("/bin/sh", {"-c", "exec 2>&1; " + command}, timeout_seconds);
}

std::string BinaryPath(const std::string& workspace_relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return workspace_relative;
  return std::string(srcdir) + "/" + workspace + "/" + workspace_relative;
}

std::vector<std::string> NonEmptyLines(const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) lines.emplace_back(line);
  }
  return lines;
}

std::string CleanFailureProblem(const CliResult& r) {
  if (r.timed_out) return "timed out (a hang)";
  if (r.signal != 0) return "killed by signal " + std::to_string(r.signal) + " (a crash)";
  if (r.exit_code == 0) return "exited 0";
  if (r.exit_code == 127) return "could not start the binary";
  for (const char* crash_sign :
       {"terminate called", "Exception raised from", "Aborted", "Segmentation fault",
        "AddressSanitizer", "runtime error:", "frame #", "Check failed"}) {
    if (absl::StrContains(r.stderr_text, crash_sign) ||
        absl::StrContains(r.stdout_text, crash_sign)) {
      return std::string("printed a crash report (\"") + crash_sign + "\")";
    }
  }
  for (const std::string& line : NonEmptyLines(r.stderr_text)) {
    if (absl::StartsWith(line, "error: ")) return "";
  }
  return "printed no 'error: ...' line";
}

}  // namespace sf::tasks::testing
