#include "tools/download/testing/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace sf::download::testing {
namespace {

constexpr int kPollMillis = 20;
constexpr size_t kMaxHeaderBytes = 64 * 1024;

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 416: return "Range Not Satisfiable";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads up to the blank line ending the request head; nullopt when the client closes first,
// sends too much, or the server stops.
std::optional<std::string> ReadHead(int fd, const std::atomic<bool>& stopping) {
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > kMaxHeaderBytes || stopping.load()) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, kPollMillis);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return std::nullopt;
    if (ready == 0) continue;
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    head.append(buffer, static_cast<size_t>(n));
  }
  return head;
}

// Parses "bytes=a-b", "bytes=a-" and "bytes=-n" against a body of `size` bytes into
// [first, last]. nullopt: unparsable, served as a plain 200 like real servers do.
// first > last marks an unsatisfiable range.
std::optional<std::pair<int64_t, int64_t>> ParseRange(absl::string_view value, int64_t size) {
  if (!absl::ConsumePrefix(&value, "bytes=")) return std::nullopt;
  std::vector<absl::string_view> ends = absl::StrSplit(value, absl::MaxSplits('-', 1));
  if (ends.size() != 2) return std::nullopt;
  int64_t a = 0;
  int64_t b = 0;
  if (ends[0].empty()) {
    if (!absl::SimpleAtoi(ends[1], &b) || b <= 0) return std::nullopt;
    return std::make_pair(std::max<int64_t>(0, size - b), size - 1);
  }
  if (!absl::SimpleAtoi(ends[0], &a)) return std::nullopt;
  if (ends[1].empty()) {
    b = size - 1;
  } else if (!absl::SimpleAtoi(ends[1], &b) || b < a) {
    return std::nullopt;
  }
  if (a >= size) return std::make_pair(a, a - 1);
  return std::make_pair(a, std::min(b, size - 1));
}

}  // namespace

int UnusedLocalPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

LocalHttpServer::~LocalHttpServer() { Stop(); }

absl::Status LocalHttpServer::Start() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string error = std::strerror(errno);
    close(listen_fd_);
    listen_fd_ = -1;
    return absl::InternalError(absl::StrCat("cannot listen on 127.0.0.1: ", error));
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void LocalHttpServer::Stop() {
  if (listen_fd_ < 0) return;
  stopping_ = true;
  acceptor_.join();
  std::vector<std::thread> handlers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    handlers.swap(handlers_);
  }
  for (std::thread& t : handlers) t.join();
  close(listen_fd_);
  listen_fd_ = -1;
}

std::string LocalHttpServer::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

void LocalHttpServer::SetFile(const std::string& path, std::string body) {
  std::lock_guard<std::mutex> lock(mu_);
  files_[path] = std::move(body);
}

void LocalHttpServer::DropConnectionAfter(const std::string& path, int64_t bytes, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  Fault fault;
  fault.remaining = times;
  fault.drop_after = bytes;
  faults_[path].push_back(fault);
}

void LocalHttpServer::FailWith(const std::string& path, int status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  Fault fault;
  fault.remaining = times;
  fault.status = status;
  faults_[path].push_back(fault);
}

void LocalHttpServer::StallAfterHeaders(const std::string& path, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  Fault fault;
  fault.remaining = times;
  fault.stall = true;
  faults_[path].push_back(fault);
}

void LocalHttpServer::set_ignore_range(bool ignore) {
  std::lock_guard<std::mutex> lock(mu_);
  ignore_range_ = ignore;
}

std::vector<LocalHttpServer::Request> LocalHttpServer::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

int LocalHttpServer::RequestCount(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  int count = 0;
  for (const Request& r : requests_) count += r.path == path ? 1 : 0;
  return count;
}

void LocalHttpServer::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    int ready = poll(&p, 1, kPollMillis);
    if (ready <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    handlers_.emplace_back([this, fd] {
      Handle(fd);
      close(fd);
    });
  }
}

void LocalHttpServer::WaitForClientOrStop(int fd) {
  char buffer[256];
  while (!stopping_.load()) {
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, kPollMillis);
    if (ready < 0 && errno != EINTR) return;
    if (ready > 0) {
      ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) return;  // the client closed the connection
    }
  }
}

void LocalHttpServer::Handle(int fd) {
  std::optional<std::string> head = ReadHead(fd, stopping_);
  if (!head) return;
  std::vector<absl::string_view> lines =
      absl::StrSplit(absl::string_view(*head).substr(0, head->find("\r\n\r\n")), "\r\n");
  std::vector<absl::string_view> request_line = absl::StrSplit(lines[0], ' ');
  if (request_line.size() != 3) {
    SendAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  Request request;
  request.method = std::string(request_line[0]);
  request.path = std::string(request_line[1].substr(0, request_line[1].find('?')));
  for (size_t i = 1; i < lines.size(); ++i) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(lines[i], absl::MaxSplits(':', 1));
    if (absl::AsciiStrToLower(absl::StripAsciiWhitespace(kv.first)) == "range") {
      request.range = std::string(absl::StripAsciiWhitespace(kv.second));
    }
  }

  std::optional<std::string> body;
  Fault fault;
  bool ignore_range = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    auto file = files_.find(request.path);
    if (file != files_.end()) body = file->second;
    ignore_range = ignore_range_;
    auto faults = faults_.find(request.path);
    if (faults != faults_.end()) {
      for (Fault& f : faults->second) {
        if (f.remaining > 0) {
          --f.remaining;
          fault = f;
          break;
        }
      }
    }
  }

  const bool head_only = request.method == "HEAD";
  if (fault.status != 0 || !body) {
    const int status = fault.status != 0 ? fault.status : 404;
    const std::string text = absl::StrCat(status, " ", Reason(status), "\n");
    SendAll(fd, absl::StrCat("HTTP/1.1 ", status, " ", Reason(status),
                             "\r\nContent-Type: text/plain\r\nContent-Length: ", text.size(),
                             "\r\nConnection: close\r\n\r\n", head_only ? "" : text));
    return;
  }

  const int64_t size = static_cast<int64_t>(body->size());
  int64_t first = 0;
  int64_t last = size - 1;
  int status = 200;
  std::string extra_headers;
  if (!request.range.empty() && !ignore_range) {
    if (std::optional<std::pair<int64_t, int64_t>> range = ParseRange(request.range, size)) {
      if (range->first > range->second) {
        SendAll(fd, absl::StrCat("HTTP/1.1 416 ", Reason(416), "\r\nContent-Range: bytes */", size,
                                 "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        return;
      }
      first = range->first;
      last = range->second;
      status = 206;
      extra_headers = absl::StrCat("Content-Range: bytes ", first, "-", last, "/", size, "\r\n");
    }
  }
  const absl::string_view content = absl::string_view(*body).substr(
      static_cast<size_t>(first), static_cast<size_t>(last - first + 1));
  if (!SendAll(fd, absl::StrCat("HTTP/1.1 ", status, " ", Reason(status),
                                "\r\nContent-Type: application/octet-stream\r\nContent-Length: ",
                                content.size(), "\r\nAccept-Ranges: bytes\r\n", extra_headers,
                                "Connection: close\r\n\r\n"))) {
    return;
  }
  if (head_only) return;
  if (fault.stall) {
    WaitForClientOrStop(fd);
    return;
  }
  if (fault.drop_after >= 0) {
    SendAll(fd, content.substr(0, static_cast<size_t>(
                                      std::min<int64_t>(fault.drop_after, content.size()))));
    shutdown(fd, SHUT_RDWR);
    return;
  }
  SendAll(fd, content);
}

}  // namespace sf::download::testing
