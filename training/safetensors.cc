#include "training/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>

#include <ATen/ops/empty.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "training/file_io.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; this code copies tensor bytes as they are");

namespace sf::training {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kMetadataKey[] = "__metadata__";
// The reference implementation refuses headers above 100 MB; so do we, before allocating.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DtypeInfo {
  const char* name;
  at::ScalarType type;
};

constexpr DtypeInfo kDtypes[] = {
    {"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf},  {"BF16", at::kBFloat16},
    {"I64", at::kLong},   {"I32", at::kInt},   {"I16", at::kShort}, {"I8", at::kChar},
    {"U8", at::kByte},    {"BOOL", at::kBool},
};

const DtypeInfo* FindDtype(const std::string& name) {
  for (const DtypeInfo& d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

std::string ShapeString(at::IntArrayRef shape) { return absl::StrCat("[", absl::StrJoin(shape, ", "), "]"); }

absl::Status Corrupt(const std::string& source, const std::string& why) {
  return absl::DataLossError(absl::StrCat(source, " is not a valid safetensors file: ", why));
}

struct Entry {
  std::string name;
  const DtypeInfo* dtype;
  std::vector<int64_t> shape;
  uint64_t begin;
  uint64_t end;
};

// nlohmann keeps the last of duplicate keys silently; the format forbids them.
absl::StatusOr<Json> ParseHeader(absl::string_view text, const std::string& source) {
  std::set<std::string> top_level_keys;
  std::string duplicate;
  Json::parser_callback_t watch = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth == 1 && event == Json::parse_event_t::key && parsed.is_string()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!top_level_keys.insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  Json header = Json::parse(text.begin(), text.end(), watch, /*allow_exceptions=*/false);
  if (header.is_discarded()) return Corrupt(source, "the header is not valid JSON");
  if (!duplicate.empty()) {
    return Corrupt(source, absl::StrCat("the header names '", duplicate, "' twice"));
  }
  if (!header.is_object()) return Corrupt(source, "the header is not a JSON object");
  return header;
}

absl::StatusOr<Entry> ParseEntry(const std::string& name, const Json& info, uint64_t data_size,
                                 const std::string& source) {
  auto bad = [&](const std::string& why) {
    return Corrupt(source, absl::StrCat("tensor '", name, "': ", why));
  };
  if (name.empty()) return Corrupt(source, "a tensor has an empty name");
  if (!info.is_object()) return bad("its entry is not a JSON object");
  for (const auto& item : info.items()) {
    if (item.key() != "dtype" && item.key() != "shape" && item.key() != "data_offsets") {
      return bad(absl::StrCat("unknown field '", item.key(), "'"));
    }
  }
  if (!info.contains("dtype") || !info["dtype"].is_string()) return bad("no string 'dtype'");
  Entry e;
  e.name = name;
  const std::string dtype = info["dtype"].get<std::string>();
  e.dtype = FindDtype(dtype);
  if (e.dtype == nullptr) {
    return bad(absl::StrCat("unsupported dtype '", dtype,
                            "' (known: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)"));
  }
  if (!info.contains("shape") || !info["shape"].is_array()) return bad("no 'shape' array");
  uint64_t numel = 1;
  bool overflow = false;
  for (const Json& d : info["shape"]) {
    if (!d.is_number_unsigned()) return bad("'shape' holds something else than sizes >= 0");
    const uint64_t size = d.get<uint64_t>();
    if (size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) overflow = true;
    e.shape.push_back(static_cast<int64_t>(size));
    if (size != 0 && numel > std::numeric_limits<uint64_t>::max() / size) overflow = true;
    numel *= size;
  }
  const Json* offsets = info.contains("data_offsets") ? &info["data_offsets"] : nullptr;
  if (offsets == nullptr || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
    return bad("'data_offsets' is not [begin, end] with integers >= 0");
  }
  e.begin = (*offsets)[0].get<uint64_t>();
  e.end = (*offsets)[1].get<uint64_t>();
  if (e.begin > e.end || e.end > data_size) {
    return bad(absl::StrCat("data_offsets [", e.begin, ", ", e.end,
                            "] are not inside the data section of ", data_size, " bytes"));
  }
  const uint64_t element = c10::elementSize(e.dtype->type);
  if (overflow || numel > std::numeric_limits<uint64_t>::max() / element ||
      numel * element != e.end - e.begin) {
    return bad(absl::StrCat("shape ", ShapeString(e.shape), " of ", dtype, " needs ",
                            overflow ? std::string("more than 2^64") : absl::StrCat(numel * element),
                            " bytes but data_offsets span ", e.end - e.begin));
  }
  return e;
}

uint64_t ReadLittleEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

absl::StatusOr<std::string> SafetensorsDtypeName(at::ScalarType type) {
  for (const DtypeInfo& d : kDtypes) {
    if (d.type == type) return std::string(d.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("dtype ", c10::toString(type), " has no safetensors equivalent here"));
}

absl::StatusOr<std::string> EncodeSafetensors(
    const NamedTensors& tensors, const std::map<std::string, std::string>& metadata) {
  std::set<std::string> names;
  std::vector<std::pair<std::string, at::Tensor>> cpu;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty() || name == kMetadataKey) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot store a tensor named '", name, "' in safetensors"));
    }
    if (!names.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("tensor name '", name, "' appears twice"));
    }
    if (!tensor.defined()) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "' is undefined"));
    }
    absl::StatusOr<std::string> dtype = SafetensorsDtypeName(tensor.scalar_type());
    if (!dtype.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "': ", dtype.status().message()));
    }
    cpu.emplace_back(name, tensor.detach().to(at::kCPU).contiguous());
  }
  // Larger elements first keeps each tensor aligned to its element size in the data section.
  std::stable_sort(cpu.begin(), cpu.end(), [](const auto& a, const auto& b) {
    return a.second.element_size() > b.second.element_size();
  });

  Json header = Json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : cpu) {
    const uint64_t bytes = t.numel() * t.element_size();
    header[name] = {{"dtype", *SafetensorsDtypeName(t.scalar_type())},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + text.size() + offset);
  const uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  out += text;
  for (const auto& [name, t] : cpu) {
    out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  }
  return out;
}

absl::StatusOr<SafetensorsContents> DecodeSafetensors(absl::string_view bytes,
                                                      const std::string& source) {
  if (bytes.size() < 8) {
    return Corrupt(source, absl::StrCat("it has ", bytes.size(),
                                        " bytes, fewer than the 8-byte header length"));
  }
  const uint64_t header_size = ReadLittleEndian64(bytes.data());
  if (header_size > bytes.size() - 8) {
    return Corrupt(source, absl::StrCat("the header length says ", header_size,
                                        " bytes but only ", bytes.size() - 8,
                                        " follow (truncated file?)"));
  }
  if (header_size > kMaxHeaderBytes) {
    return Corrupt(source, absl::StrCat("the header length ", header_size, " exceeds ",
                                        kMaxHeaderBytes, " bytes"));
  }
  const absl::string_view header_text = bytes.substr(8, header_size);
  if (header_text.empty() || header_text[0] != '{') {
    return Corrupt(source, "the header does not start with '{'");
  }
  absl::StatusOr<Json> header = ParseHeader(header_text, source);
  if (!header.ok()) return header.status();
  const absl::string_view data = bytes.substr(8 + header_size);

  SafetensorsContents contents;
  std::vector<Entry> entries;
  for (const auto& item : header->items()) {
    if (item.key() == kMetadataKey) {
      if (!item.value().is_object()) return Corrupt(source, "__metadata__ is not an object");
      for (const auto& m : item.value().items()) {
        if (!m.value().is_string()) {
          return Corrupt(source, absl::StrCat("__metadata__ value of '", m.key(),
                                              "' is not a string"));
        }
        contents.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    absl::StatusOr<Entry> e = ParseEntry(item.key(), item.value(), data.size(), source);
    if (!e.ok()) return e.status();
    entries.push_back(*std::move(e));
  }

  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (e.begin < covered) {
      return Corrupt(source, absl::StrCat("tensors '", entries[i - 1].name, "' and '", e.name,
                                          "' overlap (bytes ", e.begin, " to ", covered, ")"));
    }
    if (e.begin > covered) {
      return Corrupt(source, absl::StrCat("data bytes ", covered, " to ", e.begin,
                                          " belong to no tensor (before '", e.name, "')"));
    }
    covered = e.end;
  }
  if (covered != data.size()) {
    return Corrupt(source, absl::StrCat("the data section has ", data.size(),
                                        " bytes but the tensors cover ", covered));
  }

  for (const Entry& e : entries) {
    const char* src = data.data() + e.begin;
    const size_t size = e.end - e.begin;
    if (e.dtype->type == at::kBool) {
      for (size_t i = 0; i < size; ++i) {
        if (src[i] != 0 && src[i] != 1) {
          return Corrupt(source, absl::StrCat("BOOL tensor '", e.name, "' holds byte ",
                                              static_cast<int>(static_cast<unsigned char>(src[i])),
                                              " at element ", i));
        }
      }
    }
    at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(e.dtype->type));
    if (size > 0) std::memcpy(t.data_ptr(), src, size);
    contents.tensors.emplace_back(e.name, std::move(t));
  }
  return contents;
}

absl::Status SaveSafetensors(const std::string& path, const NamedTensors& tensors,
                             const std::map<std::string, std::string>& metadata) {
  absl::StatusOr<std::string> bytes = EncodeSafetensors(tensors, metadata);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(),
                        absl::StrCat("cannot write ", path, ": ", bytes.status().message()));
  }
  return WriteFileAtomically(path, *bytes);
}

absl::StatusOr<SafetensorsContents> LoadSafetensors(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) return bytes.status();
  return DecodeSafetensors(*bytes, path);
}

NamedTensors ModuleTensors(const torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    if (item.value().defined()) out.emplace_back(item.key(), item.value());
  }
  return out;
}

absl::Status ExportSafetensors(const torch::nn::Module& module, const std::string& path,
                               const std::map<std::string, std::string>& metadata) {
  return SaveSafetensors(path, ModuleTensors(module), metadata);
}

absl::Status ImportSafetensors(torch::nn::Module& module, const std::string& path,
                               bool strict) {
  absl::StatusOr<SafetensorsContents> contents = LoadSafetensors(path);
  if (!contents.ok()) return contents.status();
  std::map<std::string, at::Tensor> file(contents->tensors.begin(), contents->tensors.end());
  NamedTensors targets = ModuleTensors(module);
  std::vector<std::string> missing, mismatched;
  std::set<std::string> used;
  for (const auto& [name, target] : targets) {
    auto it = file.find(name);
    if (it == file.end()) {
      missing.push_back(name);
      continue;
    }
    used.insert(name);
    if (it->second.sizes() != target.sizes()) {
      mismatched.push_back(absl::StrCat(name, " is ", ShapeString(target.sizes()),
                                        " in the model but ", ShapeString(it->second.sizes()),
                                        " in the file"));
    }
  }
  std::vector<std::string> unexpected;
  for (const auto& [name, t] : file) {
    if (used.count(name) == 0) unexpected.push_back(name);
  }
  std::vector<std::string> problems;
  if (strict && !missing.empty()) {
    problems.push_back(absl::StrCat("missing from the file: ", absl::StrJoin(missing, ", ")));
  }
  if (strict && !unexpected.empty()) {
    problems.push_back(absl::StrCat("not in the model: ", absl::StrJoin(unexpected, ", ")));
  }
  if (!mismatched.empty()) {
    problems.push_back(absl::StrCat("shape mismatch: ", absl::StrJoin(mismatched, "; ")));
  }
  if (!problems.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "weights in ", path, " do not fit the model: ", absl::StrJoin(problems, "; ")));
  }
  c10::NoGradGuard no_grad;
  for (auto& [name, target] : targets) {
    auto it = file.find(name);
    if (it != file.end()) target.copy_(it->second);
  }
  return absl::OkStatus();
}

}  // namespace sf::training
