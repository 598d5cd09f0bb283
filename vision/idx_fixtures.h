// Test helpers: small IDX files written on the fly, so reader tests need no checked-in data.
//
//   std::string bytes = sf::vision::IdxBytes(sf::vision::kIdxLabelsMagic, {3}, {1, 2, 3});
//   sf::vision::WriteGzipFile(::testing::TempDir() + "/labels.gz", bytes);
#ifndef SCRATCHFORMER_VISION_IDX_FIXTURES_H_
#define SCRATCHFORMER_VISION_IDX_FIXTURES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace sf::vision {

// An IDX file's bytes: big-endian magic and dimensions, then `payload`.
std::string IdxBytes(uint32_t magic, const std::vector<uint32_t>& dims,
                     const std::vector<uint8_t>& payload);

// Write `bytes` to `path` as is / gzip-compressed; abort the test binary on I/O failure.
void WritePlainFile(const std::string& path, const std::string& bytes);
void WriteGzipFile(const std::string& path, const std::string& bytes);

// The raw bytes of `path` ("" when unreadable).
std::string ReadPlainFile(const std::string& path);

}  // namespace sf::vision

#endif  // SCRATCHFORMER_VISION_IDX_FIXTURES_H_
