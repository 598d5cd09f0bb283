#include "tokenization/tokenizer_io.h"


#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "training/file_io.h"

namespace sf::tokenization {
namespace {

using Json = nlohmann::ordered_json;

absl::Status Problem(absl::string_view source, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", what));
}

absl::Status Prefixed(absl::string_view source, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(source, ": ", status.message()));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  // A directory opens as a stream that reads nothing, which would be reported as empty JSON.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, not a file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return absl::NotFoundError(absl::StrCat(path, ": cannot open (", std::strerror(err), ")"));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return contents.str();
}

absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view source) {
  // The parser keeps the last value of a repeated key; its callback sees every key, so that a
  // repeat is an error rather than a silent choice between two values.
  struct Object {
    std::string name;  // dotted path of keys from the top, empty inside arrays
    std::unordered_set<std::string> keys;
  };
  std::vector<Object> open;
  std::string key;
  bool after_key = false;
  std::string repeated;
  const auto check_keys = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      std::string name;
      if (after_key) {
        name = open.back().name.empty() ? key : absl::StrCat(open.back().name, ".", key);
      }
      open.push_back({std::move(name), {}});
    } else if (event == Json::parse_event_t::object_end) {
      open.pop_back();
    } else if (event == Json::parse_event_t::key) {
      key = parsed.get<std::string>();
      if (!open.back().keys.insert(key).second && repeated.empty()) {
        repeated = absl::StrCat("the key '", key, "' appears twice");
        if (!open.back().name.empty()) absl::StrAppend(&repeated, " in '", open.back().name, "'");
      }
    }
    after_key = event == Json::parse_event_t::key;
    return true;
  };
  try {
    Json doc = Json::parse(text.begin(), text.end(), check_keys);
    if (!repeated.empty()) return Problem(source, repeated);
    return doc;
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for numbers like 1e999
    return Problem(source, absl::StrCat("not valid JSON (", e.what(), ")"));
  }
}

// Typed access to the fields of a JSON object, with errors naming the file and the field.
class Fields {
 public:
  Fields(const Json& object, absl::string_view source, std::string context)
      : object_(object), source_(source), context_(std::move(context)) {}

  absl::StatusOr<const Json*> Get(const char* key, Json::value_t type,
                                  const char* type_name) const {
    auto it = object_.find(key);
    if (it == object_.end()) return Problem(source_, absl::StrCat(Name(key), " is missing"));
    const bool ok = it->type() == type || (type == Json::value_t::number_integer &&
                                           it->type() == Json::value_t::number_unsigned);
    if (!ok) {
      return Problem(source_,
                     absl::StrCat(Name(key), " must be ", type_name, ", not ", it->type_name()));
    }
    return &*it;
  }
  absl::StatusOr<std::string> String(const char* key) const {
    absl::StatusOr<const Json*> v = Get(key, Json::value_t::string, "a string");
    if (!v.ok()) return v.status();
    return (*v)->get<std::string>();
  }
  absl::StatusOr<bool> Bool(const char* key) const {
    absl::StatusOr<const Json*> v = Get(key, Json::value_t::boolean, "true or false");
    if (!v.ok()) return v.status();
    return (*v)->get<bool>();
  }
  absl::StatusOr<std::vector<std::string>> Strings(const char* key) const {
    absl::StatusOr<const Json*> v = Get(key, Json::value_t::array, "an array of strings");
    if (!v.ok()) return v.status();
    std::vector<std::string> out;
    out.reserve((*v)->size());
    for (const Json& item : **v) {
      if (!item.is_string()) {
        return Problem(source_, absl::StrCat(Name(key), " must hold strings only; element ",
                                             out.size(), " is ", item.type_name()));
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  std::string Name(const char* key) const {
    return context_.empty() ? absl::StrCat("field '", key, "'")
                            : absl::StrCat("field '", context_, ".", key, "'");
  }

 private:
  const Json& object_;
  absl::string_view source_;
  std::string context_;
};

Json NormalizerToJson(const NormalizerOptions& o) {
  Json j = Json::object();
  j["lowercase"] = o.lowercase;
  j["strip_html"] = o.strip_html;
  j["remove_control"] = o.remove_control;
  j["fold_whitespace"] = o.fold_whitespace;
  j["invalid_utf8"] = InvalidUtf8PolicyName(o.invalid_utf8);
  return j;
}

absl::StatusOr<NormalizerOptions> NormalizerFromJson(const Fields& top, absl::string_view source) {
  absl::StatusOr<const Json*> obj = top.Get("normalizer", Json::value_t::object, "an object");
  if (!obj.ok()) return obj.status();
  const Fields f(**obj, source, "normalizer");
  NormalizerOptions o;
  const std::pair<const char*, bool*> flags[] = {{"lowercase", &o.lowercase},
                                                 {"strip_html", &o.strip_html},
                                                 {"remove_control", &o.remove_control},
                                                 {"fold_whitespace", &o.fold_whitespace}};
  for (const auto& [key, target] : flags) {
    absl::StatusOr<bool> v = f.Bool(key);
    if (!v.ok()) return v.status();
    *target = *v;
  }
  absl::StatusOr<std::string> policy = f.String("invalid_utf8");
  if (!policy.ok()) return policy.status();
  absl::StatusOr<InvalidUtf8Policy> parsed = ParseInvalidUtf8Policy(*policy);
  if (!parsed.ok())
    return Problem(source, absl::StrCat(f.Name("invalid_utf8"), ": ", parsed.status().message()));
  o.invalid_utf8 = *parsed;
  return o;
}

absl::StatusOr<PreTokenizerKind> PreTokenizerFromJson(const Fields& top, absl::string_view source) {
  absl::StatusOr<std::string> name = top.String("pre_tokenizer");
  if (!name.ok()) return name.status();
  absl::StatusOr<PreTokenizerKind> kind = ParsePreTokenizerKind(*name);
  if (!kind.ok()) return Prefixed(source, kind.status());
  return *kind;
}

absl::StatusOr<std::unique_ptr<Tokenizer>> FromDocument(const Json& doc, absl::string_view source) {
  if (!doc.is_object()) return Problem(source, "the top level must be a JSON object");
  const Fields top(doc, source, "");
  auto format = doc.find("format");
  if (format == doc.end() || !format->is_string() ||
      format->get<std::string>() != kTokenizerFormat) {
    return Problem(source,
                   absl::StrCat("not a tokenizer file of this library (expected \"format\": \"",
                                kTokenizerFormat, "\")"));
  }
  absl::StatusOr<const Json*> version =
      top.Get("version", Json::value_t::number_integer, "an integer");
  if (!version.ok()) return version.status();
  // Compared and shown as JSON: read as int64, 18446744073709551615 would be -1.
  if (**version != Json(kTokenizerFormatVersion)) {
    return Problem(source, absl::StrCat("format version ", (*version)->dump(),
                                        " is not supported (this build reads version ",
                                        kTokenizerFormatVersion, ")"));
  }
  absl::StatusOr<std::string> type = top.String("type");
  if (!type.ok()) return type.status();
  absl::StatusOr<NormalizerOptions> normalizer = NormalizerFromJson(top, source);
  if (!normalizer.ok()) return normalizer.status();

  absl::StatusOr<const Json*> specials_obj =
      top.Get("specials", Json::value_t::object, "an object");
  if (!specials_obj.ok()) return specials_obj.status();
  std::vector<Vocabulary::Special> specials;
  for (const auto& [role_name, text] : (*specials_obj)->items()) {
    absl::StatusOr<SpecialToken> role = ParseSpecialTokenName(role_name);
    if (!role.ok()) return Prefixed(source, role.status());
    if (!text.is_string()) {
      return Problem(source, absl::StrCat("field 'specials.", role_name, "' must be a string"));
    }
    specials.emplace_back(*role, text.get<std::string>());
  }
  absl::StatusOr<std::vector<std::string>> tokens = top.Strings("vocab");
  if (!tokens.ok()) return tokens.status();
  absl::StatusOr<Vocabulary> vocab = Vocabulary::FromTokens(*std::move(tokens), specials);
  if (!vocab.ok()) return Prefixed(source, vocab.status());

  absl::StatusOr<std::unique_ptr<Tokenizer>> result;
  if (*type == "word") {
    absl::StatusOr<PreTokenizerKind> kind = PreTokenizerFromJson(top, source);
    if (!kind.ok()) return kind.status();
    absl::StatusOr<std::unique_ptr<WordTokenizer>> t = WordTokenizer::Create(
        *std::move(vocab),
        WordTokenizerOptions().WithNormalizer(*normalizer).WithPreTokenizer(*kind));
    if (!t.ok()) return Prefixed(source, t.status());
    return std::unique_ptr<Tokenizer>(*std::move(t));
  }
  if (*type == "char") {
    absl::StatusOr<bool> fallback = top.Bool("byte_fallback");
    if (!fallback.ok()) return fallback.status();
    absl::StatusOr<std::unique_ptr<CharTokenizer>> t = CharTokenizer::Create(
        *std::move(vocab),
        CharTokenizerOptions().WithNormalizer(*normalizer).ByteFallback(*fallback));
    if (!t.ok()) return Prefixed(source, t.status());
    return std::unique_ptr<Tokenizer>(*std::move(t));
  }
  if (*type == "bpe") {
    absl::StatusOr<PreTokenizerKind> kind = PreTokenizerFromJson(top, source);
    if (!kind.ok()) return kind.status();
    absl::StatusOr<std::vector<std::string>> lines = top.Strings("merges");
    if (!lines.ok()) return lines.status();
    std::vector<BpeTokenizer::Merge> merges;
    merges.reserve(lines->size());
    for (size_t i = 0; i < lines->size(); ++i) {
      std::vector<std::string> parts = absl::StrSplit((*lines)[i], ' ');
      if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
        return Problem(source, absl::StrCat("merge ", i, " '", (*lines)[i],
                                            "' is not of the form 'left right'"));
      }
      merges.emplace_back(std::move(parts[0]), std::move(parts[1]));
    }
    absl::StatusOr<std::unique_ptr<BpeTokenizer>> t =
        BpeTokenizer::Create(*std::move(vocab), std::move(merges),
                             BpeOptions().WithNormalizer(*normalizer).WithPreTokenizer(*kind));
    if (!t.ok()) return Prefixed(source, t.status());
    return std::unique_ptr<Tokenizer>(*std::move(t));
  }
  return Problem(source, absl::StrCat("unknown tokenizer type '", *type,
                                      "' (expected 'word', 'char' or 'bpe')"));
}

template <typename T>
absl::StatusOr<std::unique_ptr<T>> LoadTyped(const std::string& path, const char* type) {
  absl::StatusOr<std::unique_ptr<Tokenizer>> tok = LoadTokenizer(path);
  if (!tok.ok()) return tok.status();
  if ((*tok)->type() != type) {
    return Problem(path, absl::StrCat("holds a '", (*tok)->type(), "' tokenizer, not the '", type,
                                      "' tokenizer asked for"));
  }
  return std::unique_ptr<T>(static_cast<T*>(tok->release()));
}

}  // namespace

absl::StatusOr<std::string> TokenizerToJson(const Tokenizer& tokenizer) {
  Json doc = Json::object();
  doc["format"] = kTokenizerFormat;
  doc["version"] = kTokenizerFormatVersion;
  doc["type"] = tokenizer.type();
  const auto* word = dynamic_cast<const WordTokenizer*>(&tokenizer);
  const auto* chars = dynamic_cast<const CharTokenizer*>(&tokenizer);
  const auto* bpe = dynamic_cast<const BpeTokenizer*>(&tokenizer);
  if (word != nullptr) {
    doc["normalizer"] = NormalizerToJson(word->options().normalizer);
    doc["pre_tokenizer"] = PreTokenizerKindName(word->options().pre_tokenizer);
  } else if (chars != nullptr) {
    doc["normalizer"] = NormalizerToJson(chars->options().normalizer);
    doc["byte_fallback"] = chars->options().byte_fallback;
  } else if (bpe != nullptr) {
    doc["normalizer"] = NormalizerToJson(bpe->options().normalizer);
    doc["pre_tokenizer"] = PreTokenizerKindName(bpe->options().pre_tokenizer);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot save a tokenizer of type '", tokenizer.type(), "'"));
  }
  Json specials = Json::object();
  for (const auto& [role, text] : tokenizer.vocabulary().specials()) {
    specials[SpecialTokenName(role)] = text;
  }
  doc["specials"] = std::move(specials);
  doc["vocab"] = tokenizer.vocabulary().tokens();
  if (bpe != nullptr) {
    Json merges = Json::array();
    for (const auto& [left, right] : bpe->merges())
      merges.push_back(absl::StrCat(left, " ", right));
    doc["merges"] = std::move(merges);
  }
  try {
    return doc.dump(1, ' ', false, Json::error_handler_t::strict);
  } catch (const Json::type_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write the tokenizer as JSON: ", e.what()));
  }
}

absl::StatusOr<std::unique_ptr<Tokenizer>> TokenizerFromJson(absl::string_view json,
                                                             absl::string_view source) {
  absl::StatusOr<Json> doc = ParseJson(json, source);
  if (!doc.ok()) return doc.status();
  return FromDocument(*doc, source);
}

absl::Status SaveTokenizer(const Tokenizer& tokenizer, const std::string& path) {
  absl::StatusOr<std::string> text = TokenizerToJson(tokenizer);
  if (!text.ok()) return Prefixed(path, text.status());
  return training::WriteFileAtomically(path, *text + "\n");
}

absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return TokenizerFromJson(*text, path);
}

absl::StatusOr<std::unique_ptr<WordTokenizer>> LoadWordTokenizer(const std::string& path) {
  return LoadTyped<WordTokenizer>(path, "word");
}

absl::StatusOr<std::unique_ptr<CharTokenizer>> LoadCharTokenizer(const std::string& path) {
  return LoadTyped<CharTokenizer>(path, "char");
}

absl::StatusOr<std::unique_ptr<BpeTokenizer>> LoadBpeTokenizer(const std::string& path) {
  return LoadTyped<BpeTokenizer>(path, "bpe");
}

std::vector<Vocabulary::Special> Gpt2Specials() {
  return {{SpecialToken::kBos, "<|endoftext|>"}, {SpecialToken::kEos, "<|endoftext|>"}};
}

absl::StatusOr<std::unique_ptr<BpeTokenizer>> LoadGpt2Tokenizer(
    const std::string& vocab_json, const std::string& merges_txt,
    const std::vector<Vocabulary::Special>& specials, const BpeOptions& options) {
  absl::StatusOr<std::string> vocab_text = ReadFile(vocab_json);
  if (!vocab_text.ok()) return vocab_text.status();
  absl::StatusOr<Json> doc = ParseJson(*vocab_text, vocab_json);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) return Problem(vocab_json, "must be a JSON object mapping token -> id");
  std::vector<std::string> tokens(doc->size());
  std::vector<bool> taken(doc->size(), false);
  for (const auto& [token, id] : doc->items()) {
    if (!id.is_number_integer()) {
      return Problem(vocab_json, absl::StrCat("the id of '", token, "' is not an integer"));
    }
    // An id above INT64_MAX would read as negative: it is checked as written.
    const bool in_range = id.is_number_unsigned()
                              ? id.get<uint64_t>() < tokens.size()
                              : id.get<int64_t>() >= 0 &&
                                    id.get<int64_t>() < static_cast<int64_t>(tokens.size());
    const int64_t i = in_range ? id.get<int64_t>() : -1;
    if (!in_range || taken[i]) {
      return Problem(vocab_json,
                     absl::StrCat("id ", id.dump(), " of '", token, "' is repeated or outside 0..",
                                  tokens.size() - 1, " (ids must number the tokens densely)"));
    }
    taken[i] = true;
    tokens[i] = token;
  }
  absl::StatusOr<Vocabulary> vocab = Vocabulary::FromTokens(std::move(tokens), specials);
  if (!vocab.ok()) return Prefixed(vocab_json, vocab.status());

  absl::StatusOr<std::string> merges_text = ReadFile(merges_txt);
  if (!merges_text.ok()) return merges_text.status();
  std::vector<BpeTokenizer::Merge> merges;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(*merges_text, '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    if (line.empty() || (line_number == 1 && absl::StartsWith(line, "#version"))) continue;
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      return Problem(merges_txt, absl::StrCat("line ", line_number, " '", line,
                                              "' is not of the form 'left right'"));
    }
    merges.emplace_back(std::move(parts[0]), std::move(parts[1]));
  }
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> tok =
      BpeTokenizer::Create(*std::move(vocab), std::move(merges), options);
  if (!tok.ok()) return Prefixed(absl::StrCat(vocab_json, " with ", merges_txt), tok.status());
  return tok;
}

}  // namespace sf::tokenization
