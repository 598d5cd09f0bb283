#include "runtime/paths.h"

#include <cstdlib>
#include <filesystem>

namespace sf::runtime {

std::string UserWorkingDirectory() {
  const char* bwd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (bwd != nullptr && bwd[0] != '\0') return bwd;
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  return ec ? std::string(".") : cwd.string();
}

std::string ResolveUserPath(std::string_view path) {
  if (path.empty()) return std::string();
  if (path == "~" || path.substr(0, 2) == "~/") {
    const char* home = std::getenv("HOME");
    if (home != nullptr && home[0] != '\0') {
      return (std::filesystem::path(home) / std::string(path.substr(std::min<size_t>(2, path.size()))))
          .lexically_normal()
          .string();
    }
  }
  std::filesystem::path p{std::string(path)};
  if (p.is_absolute()) return p.string();
  const char* bwd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (bwd == nullptr || bwd[0] == '\0') return p.string();
  return (std::filesystem::path(bwd) / p).lexically_normal().string();
}

}  // namespace sf::runtime
