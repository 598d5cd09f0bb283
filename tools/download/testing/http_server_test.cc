#include "tools/download/testing/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sf::download::testing {
namespace {

// Sends `request` to the server and returns everything it answers until it closes.
std::string Exchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
  close(fd);
  return response;
}

std::string Get(int port, const std::string& path, const std::string& range = "") {
  std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!range.empty()) absl::StrAppend(&request, "Range: ", range, "\r\n");
  return Exchange(port, request + "\r\n");
}

std::string Body(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

class LocalHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    server_.SetFile("/f.bin", "0123456789");
  }
  LocalHttpServer server_;
};

TEST_F(LocalHttpServerTest, ServesWholeFile) {
  EXPECT_GT(server_.port(), 0);
  EXPECT_EQ(server_.Url("/f.bin"), absl::StrCat("http://127.0.0.1:", server_.port(), "/f.bin"));
  std::string response = Get(server_.port(), "/f.bin?x=1");
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200 OK\r\n")) << response;
  EXPECT_TRUE(absl::StrContains(response, "Content-Length: 10\r\n")) << response;
  EXPECT_EQ(Body(response), "0123456789");
  ASSERT_EQ(server_.Requests().size(), 1u);
  EXPECT_EQ(server_.Requests()[0].method, "GET");
  EXPECT_EQ(server_.Requests()[0].path, "/f.bin");
}

TEST_F(LocalHttpServerTest, RangeRequests) {
  std::string open_ended = Get(server_.port(), "/f.bin", "bytes=4-");
  EXPECT_TRUE(absl::StartsWith(open_ended, "HTTP/1.1 206 Partial Content\r\n")) << open_ended;
  EXPECT_TRUE(absl::StrContains(open_ended, "Content-Range: bytes 4-9/10\r\n")) << open_ended;
  EXPECT_EQ(Body(open_ended), "456789");
  EXPECT_EQ(Body(Get(server_.port(), "/f.bin", "bytes=2-3")), "23");
  EXPECT_EQ(Body(Get(server_.port(), "/f.bin", "bytes=-3")), "789");
  std::string beyond = Get(server_.port(), "/f.bin", "bytes=10-");
  EXPECT_TRUE(absl::StartsWith(beyond, "HTTP/1.1 416 ")) << beyond;
  EXPECT_TRUE(absl::StrContains(beyond, "Content-Range: bytes */10\r\n")) << beyond;
  EXPECT_EQ(server_.Requests()[0].range, "bytes=4-");

  server_.set_ignore_range(true);
  std::string ignored = Get(server_.port(), "/f.bin", "bytes=4-");
  EXPECT_TRUE(absl::StartsWith(ignored, "HTTP/1.1 200 OK\r\n")) << ignored;
  EXPECT_EQ(Body(ignored), "0123456789");
}

TEST_F(LocalHttpServerTest, UnknownPathIs404) {
  std::string response = Get(server_.port(), "/missing");
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 404 Not Found\r\n")) << response;
  EXPECT_EQ(server_.RequestCount("/missing"), 1);
}

TEST_F(LocalHttpServerTest, HeadSendsHeadersOnly) {
  std::string response = Exchange(server_.port(), "HEAD /f.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(absl::StrContains(response, "Content-Length: 10\r\n")) << response;
  EXPECT_EQ(Body(response), "");
}

TEST_F(LocalHttpServerTest, FaultsApplyTheGivenNumberOfTimesInOrder) {
  server_.FailWith("/f.bin", 503, 1);
  server_.DropConnectionAfter("/f.bin", 3, 1);
  std::string failed = Get(server_.port(), "/f.bin");
  EXPECT_TRUE(absl::StartsWith(failed, "HTTP/1.1 503 Service Unavailable\r\n")) << failed;
  std::string dropped = Get(server_.port(), "/f.bin");
  EXPECT_TRUE(absl::StrContains(dropped, "Content-Length: 10\r\n")) << dropped;
  EXPECT_EQ(Body(dropped), "012");
  EXPECT_EQ(Body(Get(server_.port(), "/f.bin")), "0123456789");
  EXPECT_EQ(server_.RequestCount("/f.bin"), 3);
}

TEST_F(LocalHttpServerTest, StallEndsWhenTheServerStops) {
  server_.StallAfterHeaders("/f.bin", 1);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(server_.port()));
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string request = "GET /f.bin HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  char buffer[1024];
  ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
  ASSERT_GT(n, 0);
  EXPECT_TRUE(absl::EndsWith(std::string(buffer, n), "\r\n\r\n"));
  server_.Stop();  // must not hang on the stalled handler
  EXPECT_EQ(recv(fd, buffer, sizeof(buffer), 0), 0);
  close(fd);
}

TEST(UnusedLocalPortTest, ConnectingIsRefused) {
  const int port = UnusedLocalPort();
  ASSERT_GT(port, 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_NE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(errno, ECONNREFUSED);
  close(fd);
}

}  // namespace
}  // namespace sf::download::testing
