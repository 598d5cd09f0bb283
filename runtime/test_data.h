// Locates the real data sets kept beside the workspace in `../shared/data` (IMDB, WikiText-2,
// tiny-shakespeare), for tests that exercise readers and trainers on real files.
//
// A user's clone has no such folder, so a test must skip when it is absent:
//
//   std::optional<std::string> dir = sf::runtime::SharedDataDir("wikitext-2");
//   if (!dir) GTEST_SKIP() << sf::runtime::SharedDataSkipReason("wikitext-2");
#ifndef SCRATCHFORMER_RUNTIME_TEST_DATA_H_
#define SCRATCHFORMER_RUNTIME_TEST_DATA_H_

#include <optional>
#include <string>

namespace sf::runtime {

// The workspace's source directory (found through the runfiles link to WORKSPACE, under
// `bazel test` or beside a binary started from bazel-out, or $BUILD_WORKSPACE_DIRECTORY under
// `bazel run`), or nullopt.
std::optional<std::string> WorkspaceDirectory();

// `<$SF_SHARED_DATA or <workspace>/../shared/data>/<subdir>` when that directory exists.
std::optional<std::string> SharedDataDir(const std::string& subdir = "");

// A printable reason for skipping, naming where the data was looked for.
std::string SharedDataSkipReason(const std::string& subdir);

}  // namespace sf::runtime

#endif  // SCRATCHFORMER_RUNTIME_TEST_DATA_H_
