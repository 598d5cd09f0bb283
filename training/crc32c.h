// CRC-32C (Castagnoli), the checksum of TFRecord files (TensorBoard event files) and of the
// checkpoint format of this package.
//
//   uint32_t crc = sf::training::Crc32c(data.data(), data.size());
//   crc = sf::training::Crc32cExtend(crc, more.data(), more.size());  // == Crc32c(data + more)
//   uint32_t stored = sf::training::MaskCrc32c(crc);                    // TFRecord's masking
//
// Table-driven (slicing-by-8): about 18x the speed of the bitwise definition, which the tests
// use as the independent reference (crc32c_test prints the ratio).
#ifndef SCRATCHFORMER_TRAINING_CRC32C_H_
#define SCRATCHFORMER_TRAINING_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace sf::training {

// CRC-32C of `size` bytes at `data`.
uint32_t Crc32c(const void* data, size_t size);

// The CRC-32C of the concatenation of the bytes `crc` was computed over and `data`.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

// TFRecord stores masked CRCs, because a CRC of data that itself contains CRCs is weak.
uint32_t MaskCrc32c(uint32_t crc);
uint32_t UnmaskCrc32c(uint32_t masked);

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_CRC32C_H_
