#include "vision/idx_fixtures.h"

#include <zlib.h>

#include <fstream>
#include <iterator>

#include <glog/logging.h>

namespace sf::vision {
namespace {

std::string BigEndian(uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
}

}  // namespace

std::string IdxBytes(uint32_t magic, const std::vector<uint32_t>& dims,
                     const std::vector<uint8_t>& payload) {
  std::string bytes = BigEndian(magic);
  for (uint32_t d : dims) bytes += BigEndian(d);
  bytes.append(payload.begin(), payload.end());
  return bytes;
}

void WritePlainFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  CHECK(out.good()) << "cannot write " << path;
}

void WriteGzipFile(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  CHECK(file != nullptr) << "cannot open " << path;
  CHECK_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
           static_cast<int>(bytes.size()))
      << path;
  CHECK_EQ(gzclose(file), Z_OK) << path;
}

std::string ReadPlainFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace sf::vision
