#include "tools/fuzz/memory_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace sf::fuzz {

MemoryFile::MemoryFile(const uint8_t* data, size_t size, const char* name) {
  fd_ = memfd_create(name, 0);
  if (fd_ < 0) {
    std::perror("memfd_create");
    std::abort();
  }
  size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fd_, data + written, size - written);
    if (n <= 0) {
      std::perror("write to memfd");
      std::abort();
    }
    written += static_cast<size_t>(n);
  }
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

MemoryFile::~MemoryFile() { close(fd_); }

}  // namespace sf::fuzz
