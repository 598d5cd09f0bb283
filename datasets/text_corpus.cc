#include "datasets/text_corpus.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tokenization/unicode.h"

namespace sf::datasets {

absl::StatusOr<std::string> WikiTextFile(const std::string& dir, WikiTextVariant variant,
                                         const std::string& split) {
  const std::string name =
      absl::StrCat("wiki.", split, variant == WikiTextVariant::kTokens ? ".tokens" : ".raw");
  const std::filesystem::path path = std::filesystem::path(dir) / name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(absl::StrCat("WikiText file not found: ", path.string()));
  }
  return path.string();
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return absl::NotFoundError(absl::StrCat("file not found: ", path));
  }
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("expected a file, found a directory: ", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(absl::StrCat("cannot read file: ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("error while reading file: ", path));
  std::string text = buffer.str();
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat("file is empty: ", path));
  if (const size_t bad = tokenization::FindInvalidUtf8(text); bad != text.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("file is not valid UTF-8 (byte ", bad, "): ", path));
  }
  return text;
}

absl::StatusOr<std::vector<std::string>> ReadWordsWithEos(const std::string& path) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  std::vector<std::string> words;
  size_t pos = 0;
  const std::string& s = *text;
  while (pos < s.size()) {
    size_t eol = s.find('\n', pos);
    if (eol == std::string::npos) eol = s.size();
    size_t i = pos;
    while (i < eol) {
      while (i < eol && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
      size_t start = i;
      while (i < eol && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') ++i;
      if (i > start) words.emplace_back(s, start, i - start);
    }
    words.emplace_back("<eos>");
    pos = eol + 1;
  }
  return words;
}

}  // namespace sf::datasets
