// SHA-256 of bytes, streams and files (OpenSSL libcrypto's EVP interface), as lowercase hex.
//
// Downloads and extracted data sets are verified against published hashes:
//
//   absl::StatusOr<std::string> hex = sf::download::Sha256OfFile("/data/input.txt");
//   if (hex.ok() && *hex != expected) { ... }
//
//   sf::download::Sha256 hasher;        // incremental, for data arriving in pieces
//   hasher.Update(chunk1);
//   hasher.Update(chunk2);
//   std::string digest = hasher.HexDigest();
#ifndef SCRATCHFORMER_TOOLS_DOWNLOAD_SHA256_H_
#define SCRATCHFORMER_TOOLS_DOWNLOAD_SHA256_H_

#include <cstddef>
#include <istream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace sf::download {

// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(absl::string_view data) { Update(data.data(), data.size()); }

  // The digest of everything passed to Update since construction or the previous HexDigest,
  // as 64 lowercase hex digits. Starts a new hash afterwards.
  std::string HexDigest();

 private:
  EVP_MD_CTX* ctx_;
};

// SHA-256 of `data` as lowercase hex.
std::string Sha256Hex(absl::string_view data);

// SHA-256 of everything `in` yields until end of stream. DataLoss when the stream fails
// before its end.
absl::StatusOr<std::string> Sha256OfStream(std::istream& in);

// SHA-256 of the file at `path`. NotFound / PermissionDenied / DataLoss name the path.
absl::StatusOr<std::string> Sha256OfFile(const std::string& path);

// True when `hex` is 64 lowercase hex digits, the form the functions above return.
bool IsSha256Hex(absl::string_view hex);

}  // namespace sf::download

#endif  // SCRATCHFORMER_TOOLS_DOWNLOAD_SHA256_H_
