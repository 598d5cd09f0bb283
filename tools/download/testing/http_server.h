// A small threaded HTTP/1.1 server on 127.0.0.1 for tests of the downloader: serves bodies from
// an in-memory map, honours Range requests, answers 404 for unknown paths, and can misbehave on
// demand (drop the connection midway, answer with an error status, stall after the headers).
//
//   sf::download::testing::LocalHttpServer server;
//   ASSERT_TRUE(server.Start().ok());                 // binds port 0: a free port
//   server.SetFile("/data.tar.gz", bytes);
//   server.DropConnectionAfter("/data.tar.gz", 1000, /*times=*/1);
//   DownloadFile(server.Url("/data.tar.gz"), dest, options);
//   EXPECT_EQ(server.Requests()[1].range, "bytes=1000-");
//
// Every response closes its connection ("Connection: close"), which keeps the server simple and
// is valid HTTP/1.1.
#ifndef SCRATCHFORMER_TOOLS_DOWNLOAD_TESTING_HTTP_SERVER_H_
#define SCRATCHFORMER_TOOLS_DOWNLOAD_TESTING_HTTP_SERVER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace sf::download::testing {

class LocalHttpServer {
 public:
  struct Request {
    std::string method;
    std::string path;   // without the query string
    std::string range;  // the Range header's value, "" when absent
  };

  LocalHttpServer() = default;
  ~LocalHttpServer();
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  // Binds 127.0.0.1 on a free port and starts accepting connections.
  absl::Status Start();

  // Stops accepting, wakes stalled handlers and joins every thread. Idempotent.
  void Stop();

  int port() const { return port_; }

  // "http://127.0.0.1:<port><path>".
  std::string Url(const std::string& path) const;

  void SetFile(const std::string& path, std::string body);

  // The next `times` GETs of `path` announce the full Content-Length but send only the first
  // `bytes` bytes of the body, then close the connection.
  void DropConnectionAfter(const std::string& path, int64_t bytes, int times);

  // The next `times` requests for `path` are answered with `status` (e.g. 503) and a short body.
  void FailWith(const std::string& path, int status, int times);

  // The next `times` GETs of `path` send the headers and then no byte until the client gives up
  // or the server stops.
  void StallAfterHeaders(const std::string& path, int times);

  // When true, Range headers are ignored and the whole body is sent with 200, like servers
  // without range support.
  void set_ignore_range(bool ignore);

  // Every request received so far, in arrival order.
  std::vector<Request> Requests() const;

  // How many requests named `path`.
  int RequestCount(const std::string& path) const;

 private:
  struct Fault {
    int remaining = 0;
    int64_t drop_after = -1;  // bytes of body before the connection is dropped
    int status = 0;           // error status to answer with
    bool stall = false;
  };

  void AcceptLoop();
  void Handle(int fd);
  void WaitForClientOrStop(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;

  mutable std::mutex mu_;
  std::map<std::string, std::string> files_;
  std::map<std::string, std::vector<Fault>> faults_;
  bool ignore_range_ = false;
  std::vector<Request> requests_;
  std::vector<std::thread> handlers_;
};

// A port on 127.0.0.1 with nothing listening (bound, read back, closed), so connecting to it is
// refused. 0 when no socket could be bound.
int UnusedLocalPort();

}  // namespace sf::download::testing

#endif  // SCRATCHFORMER_TOOLS_DOWNLOAD_TESTING_HTTP_SERVER_H_
