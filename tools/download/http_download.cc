#include "tools/download/http_download.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "tools/download/progress.h"

namespace sf::download {
namespace {

namespace fs = std::filesystem;

// How one attempt ended.
enum class Outcome {
  kDone,
  kTransient,  // worth retrying after a pause: timeouts, dropped connections, 5xx
  kPermanent,  // retrying cannot help: 404, bad URL, unknown host, disk errors
  kRestart,    // the server cannot continue our `.part`: start again from byte 0
};

struct AttemptResult {
  Outcome outcome;
  absl::Status status;
};

struct Transfer {
  std::FILE* file = nullptr;
  int64_t offset = 0;   // bytes already in the `.part` before this attempt
  int64_t written = 0;  // bytes written by this attempt
  int write_errno = 0;
  ProgressLine* progress = nullptr;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (std::fwrite(data, 1, n, t->file) != n) {
    t->write_errno = errno != 0 ? errno : EIO;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  t->written += static_cast<int64_t>(n);
  return n;
}

int ReportProgress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  t->progress->Update(t->offset + dlnow, dltotal > 0 ? t->offset + dltotal : -1, absl::Now());
  return 0;
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool IsTransientHttpStatus(long status) {
  return status == 408 || status == 425 || status == 429 || status >= 500;
}

bool IsTransientCurlError(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

absl::Status HttpError(const std::string& url, long status) {
  std::string message = absl::StrCat("HTTP status ", status, " from ", url);
  if (status == 404 || status == 410) return absl::NotFoundError(message);
  if (status == 401 || status == 403) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

AttemptResult Attempt(const std::string& url, const std::string& part,
                      const DownloadOptions& options, ProgressLine* progress) {
  Transfer transfer;
  transfer.offset = FileSize(part);
  transfer.progress = progress;
  transfer.file = std::fopen(part.c_str(), "ab");
  if (transfer.file == nullptr) {
    return {Outcome::kPermanent,
            absl::FailedPreconditionError(absl::StrCat("cannot write ", part, " (downloading ",
                                                       url, "): ", std::strerror(errno)))};
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    std::fclose(transfer.file);
    return {Outcome::kPermanent, absl::InternalError("curl_easy_init failed")};
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "scratchformer-fetch/1 (libcurl)");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(options.low_speed_limit));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(std::max<int64_t>(
                       1, absl::ToInt64Seconds(absl::Ceil(options.low_speed_time,
                                                          absl::Seconds(1))))));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (transfer.offset > 0) {
    curl_easy_setopt(curl, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(transfer.offset));
  }
  if (progress != nullptr) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, ReportProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }

  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t length = -1;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  long os_errno = 0;
  curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
  curl_easy_cleanup(curl);
  const bool closed = std::fclose(transfer.file) == 0;
  if (progress != nullptr) {
    const int64_t done = transfer.offset + transfer.written;
    if (rc == CURLE_OK || transfer.written > 0) {
      progress->Finish(done, length >= 0 ? transfer.offset + length : -1, absl::Now());
    } else {
      progress->Abandon();
    }
  }

  if (transfer.write_errno != 0 || !closed) {
    return {Outcome::kPermanent,
            absl::DataLossError(absl::StrCat(
                "cannot write ", part, " (downloading ", url,
                "): ", std::strerror(transfer.write_errno != 0 ? transfer.write_errno : errno)))};
  }
  if (rc == CURLE_OK) return {Outcome::kDone, absl::OkStatus()};
  if (rc == CURLE_HTTP_RETURNED_ERROR) {
    if (status == 416 && transfer.offset > 0) {
      return {Outcome::kRestart, HttpError(url, status)};
    }
    return {IsTransientHttpStatus(status) ? Outcome::kTransient : Outcome::kPermanent,
            HttpError(url, status)};
  }
  if (rc == CURLE_RANGE_ERROR && transfer.offset > 0) {
    return {Outcome::kRestart,
            absl::UnavailableError(absl::StrCat(url, " does not support resuming"))};
  }
  // curl's own text says "Couldn't connect to server" for every connect failure; the system
  // error tells a refused connection from an unreachable network.
  std::string message = absl::StrCat("cannot download ", url, ": ",
                                     error[0] != '\0' ? error : curl_easy_strerror(rc));
  if (os_errno != 0) absl::StrAppend(&message, ": ", std::strerror(static_cast<int>(os_errno)));
  absl::StrAppend(&message, " (curl error ", static_cast<int>(rc), ")");
  if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
    return {Outcome::kPermanent, absl::InvalidArgumentError(message)};
  }
  return {IsTransientCurlError(rc) ? Outcome::kTransient : Outcome::kPermanent,
          absl::UnavailableError(message)};
}

void RemoveIfEmpty(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && st.st_size == 0) std::remove(path.c_str());
}

}  // namespace

std::string PartialPath(const std::string& dest_path) { return dest_path + ".part"; }

absl::Status DownloadFile(const std::string& url, const std::string& dest_path,
                          const DownloadOptions& options) {
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_attempts must be at least 1, got ", options.max_attempts));
  }
  InitCurlOnce();
  const std::string part = PartialPath(dest_path);
  std::ostream* out = options.progress_stream != nullptr ? options.progress_stream : &std::cerr;
  const bool tty = options.progress_stream == nullptr && StderrIsTerminal();
  std::optional<ProgressLine> progress;
  if (options.show_progress) {
    progress.emplace(fs::path(dest_path).filename().string(), out, tty, options.progress_interval);
  }

  absl::Status last;
  bool restarted = false;
  absl::Duration backoff = options.initial_backoff;
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    AttemptResult result = Attempt(url, part, options, progress ? &*progress : nullptr);
    switch (result.outcome) {
      case Outcome::kDone:
        if (std::rename(part.c_str(), dest_path.c_str()) != 0) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cannot rename ", part, " to ", dest_path, ": ", std::strerror(errno)));
        }
        return absl::OkStatus();
      case Outcome::kRestart:
        std::remove(part.c_str());
        if (!restarted) {
          // Starting over is not a failed attempt, but happens at most once per call.
          restarted = true;
          --attempt;
          continue;
        }
        last = result.status;
        break;
      case Outcome::kPermanent:
        std::remove(part.c_str());
        return result.status;
      case Outcome::kTransient:
        last = result.status;
        break;
    }
    if (attempt < options.max_attempts) {
      if (options.show_progress) {
        *out << "retrying in " << absl::FormatDuration(backoff) << " (attempt " << attempt + 1
             << " of " << options.max_attempts << "): " << last.message() << "\n";
        out->flush();
      }
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, options.max_backoff);
    }
  }
  // Received bytes stay in the `.part` so that the next run resumes instead of starting over.
  RemoveIfEmpty(part);
  return absl::Status(last.code(), absl::StrCat(last.message(), " (gave up after ",
                                                options.max_attempts, " attempts)"));
}

}  // namespace sf::download
