#include "tools/download/http_download.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/download/testing/http_server.h"

namespace sf::download {
namespace {

namespace fs = std::filesystem;
using ::sf::download::testing::LocalHttpServer;
using ::sf::download::testing::UnusedLocalPort;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Payload(size_t n) {
  std::string data(n, '\0');
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>((i * 7919) >> 3);
  return data;
}

class DownloadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(std::getenv("TEST_TMPDIR")) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    dest_ = (dir_ / "file.bin").string();
    ASSERT_TRUE(server_.Start().ok());
    server_.SetFile("/file.bin", data_);
    options_.initial_backoff = absl::Milliseconds(10);
    options_.max_attempts = 3;
    options_.progress_stream = &progress_;
    options_.progress_interval = absl::ZeroDuration();
  }

  bool DirIsEmpty() const { return fs::is_empty(dir_); }

  const std::string data_ = Payload(200000);
  fs::path dir_;
  std::string dest_;
  LocalHttpServer server_;
  DownloadOptions options_;
  std::ostringstream progress_;
};

TEST_F(DownloadFileTest, DownloadsTheWholeFileAndReportsProgress) {
  absl::Status s = DownloadFile(server_.Url("/file.bin"), dest_, options_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ReadFile(dest_), data_);
  EXPECT_FALSE(fs::exists(PartialPath(dest_)));
  EXPECT_TRUE(absl::StrContains(progress_.str(), "file.bin: 195.3 KiB / 195.3 KiB (100%)"))
      << progress_.str();
}

TEST_F(DownloadFileTest, NotFoundNamesUrlAndStatusWithoutRetryOrLeftovers) {
  const std::string url = server_.Url("/missing.tar.gz");
  absl::Status s = DownloadFile(url, dest_, options_);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), url)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "HTTP status 404")) << s;
  EXPECT_EQ(server_.RequestCount("/missing.tar.gz"), 1);
  EXPECT_TRUE(DirIsEmpty());
}

TEST_F(DownloadFileTest, RefusedConnectionNamesUrlAndCurlErrorAfterBoundedRetries) {
  const std::string url = absl::StrCat("http://127.0.0.1:", UnusedLocalPort(), "/file.bin");
  options_.max_attempts = 2;
  absl::Status s = DownloadFile(url, dest_, options_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), url)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "Connection refused")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "curl error 7")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "gave up after 2 attempts")) << s;
  EXPECT_TRUE(absl::StrContains(progress_.str(), "retrying in 10ms (attempt 2 of 2)"))
      << progress_.str();
  EXPECT_TRUE(DirIsEmpty());
}

TEST_F(DownloadFileTest, ResumesAfterADroppedConnectionWithinOneCall) {
  server_.DropConnectionAfter("/file.bin", 70000, 1);
  absl::Status s = DownloadFile(server_.Url("/file.bin"), dest_, options_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ReadFile(dest_), data_);
  std::vector<LocalHttpServer::Request> requests = server_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].range, "");
  EXPECT_EQ(requests[1].range, "bytes=70000-");
}

TEST_F(DownloadFileTest, KeepsThePartialFileAndResumesItOnTheNextCall) {
  server_.DropConnectionAfter("/file.bin", 123457, 1);
  options_.max_attempts = 1;
  absl::Status first = DownloadFile(server_.Url("/file.bin"), dest_, options_);
  EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable) << first;
  EXPECT_TRUE(absl::StrContains(first.message(), "gave up after 1 attempts")) << first;
  EXPECT_FALSE(fs::exists(dest_));
  EXPECT_EQ(ReadFile(PartialPath(dest_)), data_.substr(0, 123457));

  absl::Status second = DownloadFile(server_.Url("/file.bin"), dest_, options_);
  ASSERT_TRUE(second.ok()) << second;
  EXPECT_EQ(ReadFile(dest_), data_);
  EXPECT_EQ(server_.Requests().back().range, "bytes=123457-");
  EXPECT_FALSE(fs::exists(PartialPath(dest_)));
}

TEST_F(DownloadFileTest, RetriesTransientServerErrors) {
  server_.FailWith("/file.bin", 503, 2);
  absl::Status s = DownloadFile(server_.Url("/file.bin"), dest_, options_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ReadFile(dest_), data_);
  EXPECT_EQ(server_.RequestCount("/file.bin"), 3);
}

TEST_F(DownloadFileTest, GivesUpOnPersistentServerErrors) {
  server_.FailWith("/file.bin", 503, 10);
  options_.max_attempts = 2;
  const std::string url = server_.Url("/file.bin");
  absl::Status s = DownloadFile(url, dest_, options_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), absl::StrCat("HTTP status 503 from ", url))) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "gave up after 2 attempts")) << s;
  EXPECT_EQ(server_.RequestCount("/file.bin"), 2);
  EXPECT_TRUE(DirIsEmpty());
}

TEST_F(DownloadFileTest, RestartsWhenTheServerIgnoresRange) {
  std::ofstream(PartialPath(dest_), std::ios::binary) << "stale bytes from another file";
  server_.set_ignore_range(true);
  options_.max_attempts = 1;
  absl::Status s = DownloadFile(server_.Url("/file.bin"), dest_, options_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ReadFile(dest_), data_);
  std::vector<LocalHttpServer::Request> requests = server_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].range, "bytes=29-");
  EXPECT_EQ(requests[1].range, "");
}

TEST_F(DownloadFileTest, RestartsWhenThePartialFileIsLongerThanTheFile) {
  std::ofstream(PartialPath(dest_), std::ios::binary) << Payload(300000);
  options_.max_attempts = 1;
  absl::Status s = DownloadFile(server_.Url("/file.bin"), dest_, options_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ReadFile(dest_), data_);
  EXPECT_EQ(server_.Requests()[0].range, "bytes=300000-");
}

TEST_F(DownloadFileTest, StalledTransferHitsTheLowSpeedTimeout) {
  server_.StallAfterHeaders("/file.bin", 1);
  options_.max_attempts = 1;
  options_.low_speed_time = absl::Seconds(1);
  absl::Status s = DownloadFile(server_.Url("/file.bin"), dest_, options_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "curl error 28")) << s;
  EXPECT_TRUE(DirIsEmpty());
}

TEST_F(DownloadFileTest, RejectsNonHttpUrlsAndBadAttemptCounts) {
  absl::Status file_url = DownloadFile("file:///etc/passwd", dest_, options_);
  EXPECT_EQ(file_url.code(), absl::StatusCode::kInvalidArgument) << file_url;
  EXPECT_TRUE(absl::StrContains(file_url.message(), "file:///etc/passwd")) << file_url;
  options_.max_attempts = 0;
  absl::Status zero = DownloadFile(server_.Url("/file.bin"), dest_, options_);
  EXPECT_EQ(zero.code(), absl::StatusCode::kInvalidArgument) << zero;
  EXPECT_TRUE(absl::StrContains(zero.message(), "got 0")) << zero;
  EXPECT_TRUE(DirIsEmpty());
}

TEST_F(DownloadFileTest, UnwritableDestinationNamesThePath) {
  const std::string dest = (dir_ / "no_such_dir" / "file.bin").string();
  absl::Status s = DownloadFile(server_.Url("/file.bin"), dest, options_);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), PartialPath(dest))) << s;
}

}  // namespace
}  // namespace sf::download
