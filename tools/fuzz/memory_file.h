// The bytes of a fuzz input as a file path, for readers that take a path (IDX, PNG, checkpoint,
// text files). The file lives in memory (memfd) and is named through /proc/self/fd, so a fuzzer
// running thousands of inputs a second does not touch the disk.
//
//   sf::fuzz::MemoryFile file(data, size);
//   (void)sf::vision::ReadIdxImages(file.path());
#ifndef SCRATCHFORMER_TOOLS_FUZZ_MEMORY_FILE_H_
#define SCRATCHFORMER_TOOLS_FUZZ_MEMORY_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace sf::fuzz {

class MemoryFile {
 public:
  // `name` shows in error messages and decides extension-sensitive readers (".gz").
  MemoryFile(const uint8_t* data, size_t size, const char* name = "fuzz-input");
  ~MemoryFile();
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace sf::fuzz

#endif  // SCRATCHFORMER_TOOLS_FUZZ_MEMORY_FILE_H_
