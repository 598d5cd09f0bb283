// Fuzz target: the IDX reader (MNIST-format images and labels, gzip or plain) on arbitrary
// bytes must return a tensor or an error, never crash or read out of bounds.
#include <cstddef>
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "tools/fuzz/memory_file.h"
#include "vision/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const sf::fuzz::MemoryFile file(data, size, "idx");
  (void)sf::vision::ReadIdxImages(file.path());
  (void)sf::vision::ReadIdxLabels(file.path());
  return 0;
}
