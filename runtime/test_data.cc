#include "runtime/test_data.h"

#include <cstdlib>
#include <filesystem>

namespace sf::runtime {
namespace {

namespace fs = std::filesystem;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string SharedDataRoot() {
  std::string explicit_root = Env("SF_SHARED_DATA");
  if (!explicit_root.empty()) return explicit_root;
  std::optional<std::string> ws = WorkspaceDirectory();
  if (!ws) return std::string();
  return (fs::path(*ws).parent_path() / "shared" / "data").string();
}

}  // namespace

std::optional<std::string> WorkspaceDirectory() {
  std::string bwd = Env("BUILD_WORKSPACE_DIRECTORY");
  if (!bwd.empty()) return bwd;
  std::string srcdir = Env("TEST_SRCDIR");
  std::string workspace = Env("TEST_WORKSPACE");
  std::error_code ec;
  if (!srcdir.empty() && !workspace.empty()) {
    fs::path marker = fs::canonical(fs::path(srcdir) / workspace / "WORKSPACE", ec);
    if (ec) return std::nullopt;
    return marker.parent_path().string();
  }
  // A binary started directly from bazel-out (no bazel run/test environment) still has its
  // runfiles tree beside it, holding the link to WORKSPACE.
  const fs::path runfiles = fs::read_symlink("/proc/self/exe", ec).string() + ".runfiles";
  if (ec || !fs::is_directory(runfiles, ec)) return std::nullopt;
  for (const fs::directory_entry& entry : fs::directory_iterator(runfiles, ec)) {
    fs::path marker = fs::canonical(entry.path() / "WORKSPACE", ec);
    if (!ec) return marker.parent_path().string();
  }
  return std::nullopt;
}

std::optional<std::string> SharedDataDir(const std::string& subdir) {
  std::string root = SharedDataRoot();
  if (root.empty()) return std::nullopt;
  fs::path dir = subdir.empty() ? fs::path(root) : fs::path(root) / subdir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  return dir.lexically_normal().string();
}

std::string SharedDataSkipReason(const std::string& subdir) {
  std::string root = SharedDataRoot();
  return "real data not available: no directory " +
         (root.empty() ? std::string("<workspace>/../shared/data") : root) +
         (subdir.empty() ? "" : "/" + subdir) +
         " (set SF_SHARED_DATA to a folder holding it to run this test)";
}

}  // namespace sf::runtime
