// Fuzz target: the PNG reader on arbitrary bytes, in every channel mode, must return an image
// or an error (libpng's longjmp errors included), never crash. Every input is tried as it is
// and with each chunk's CRC recomputed: libpng rejects a chunk with a wrong CRC, so without the
// second pass almost no mutation would reach the decoder.
#include <cstddef>
#include <cstdint>
#include <string>

#include <zlib.h>

#include <ATen/core/Tensor.h>

#include "tools/fuzz/memory_file.h"
#include "vision/png_io.h"

namespace {

uint32_t BigEndian(const std::string& s, size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) | uint32_t{static_cast<uint8_t>(s[at + 3])};
}

// The 8-byte signature, then chunks of length, type, data and CRC-32 of type + data.
std::string WithFixedCrcs(std::string png) {
  size_t pos = 8;
  while (pos + 12 <= png.size()) {
    const uint32_t length = BigEndian(png, pos);
    if (length > png.size() - pos - 12) break;
    const uint32_t crc = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(png.data() + pos + 4), length + 4));
    for (int i = 0; i < 4; ++i) png[pos + 8 + length + i] = static_cast<char>(crc >> (24 - 8 * i));
    pos += 12 + length;
  }
  return png;
}

void ReadAllWays(const uint8_t* data, size_t size) {
  const sf::fuzz::MemoryFile file(data, size, "image.png");
  for (sf::vision::PngChannels channels :
       {sf::vision::PngChannels::kAsStored, sf::vision::PngChannels::kGray,
        sf::vision::PngChannels::kRgb}) {
    (void)sf::vision::ReadPng(file.path(), channels);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ReadAllWays(data, size);
  const std::string fixed =
      WithFixedCrcs(std::string(reinterpret_cast<const char*>(data), size));
  ReadAllWays(reinterpret_cast<const uint8_t*>(fixed.data()), fixed.size());
  return 0;
}
