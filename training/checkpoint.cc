#include "training/checkpoint.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <typeinfo>
#include <unordered_map>

#include <ATen/Context.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>
#include <c10/util/Type.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/version.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "training/crc32c.h"
#include "training/file_io.h"

namespace sf::training {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr char kMagic[8] = {'\x89', 'S', 'F', 'C', 'K', 'P', 'T', '\n'};
constexpr uint32_t kVersion = 1;
constexpr size_t kPreludeSize = 40;
constexpr char kFormatName[] = "scratchformer-checkpoint";
constexpr char kFilePrefix[] = "ckpt-";
constexpr char kFileSuffix[] = ".sfckpt";

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string ShapeString(at::IntArrayRef shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

absl::Status Corrupt(const std::string& source, const std::string& why) {
  return absl::DataLossError(absl::StrCat("checkpoint ", source, " is unusable: ", why));
}

absl::Status Mismatch(const std::string& source, const std::string& why) {
  return absl::FailedPreconditionError(
      absl::StrCat("checkpoint ", source, " does not fit this run: ", why));
}

// The parts of a verified file.
struct Frame {
  absl::string_view header;
  absl::string_view payload;
};

absl::StatusOr<Frame> CheckFrame(absl::string_view bytes, const std::string& source) {
  if (bytes.size() < kPreludeSize) {
    return Corrupt(source, absl::StrCat("truncated: ", bytes.size(), " bytes, less than the ",
                                        kPreludeSize, "-byte prelude"));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return Corrupt(source, "not a Scratchformer checkpoint (wrong magic bytes)");
  }
  if (GetLe(bytes.data() + 36, 4) != Crc32c(bytes.data(), 36)) {
    return Corrupt(source, "the prelude fails its checksum (corrupted file)");
  }
  const uint32_t version = static_cast<uint32_t>(GetLe(bytes.data() + 8, 4));
  if (version != kVersion) {
    return absl::UnimplementedError(absl::StrCat("checkpoint ", source, " has format version ",
                                                 version, "; this build reads version ",
                                                 kVersion));
  }
  const uint64_t header_size = GetLe(bytes.data() + 12, 8);
  const uint64_t payload_size = GetLe(bytes.data() + 20, 8);
  const uint64_t available = bytes.size() - kPreludeSize;
  if (header_size > available || payload_size > available - header_size) {
    return Corrupt(source, absl::StrCat("truncated: ", bytes.size(),
                                        " bytes, but the prelude declares ", kPreludeSize, " + ",
                                        header_size, " + ", payload_size, " bytes"));
  }
  if (header_size + payload_size != available) {
    return Corrupt(source, absl::StrCat(available - header_size - payload_size,
                                        " unexpected bytes after the payload"));
  }
  Frame f{bytes.substr(kPreludeSize, header_size),
          bytes.substr(kPreludeSize + header_size, payload_size)};
  if (GetLe(bytes.data() + 28, 4) != Crc32c(f.header.data(), f.header.size())) {
    return Corrupt(source, "the header fails its checksum (corrupted file)");
  }
  if (GetLe(bytes.data() + 32, 4) != Crc32c(f.payload.data(), f.payload.size())) {
    return Corrupt(source, "the payload fails its checksum (corrupted file)");
  }
  return f;
}

// A string member of `j`, or "" when absent or not a string.
std::string StringField(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

absl::StatusOr<Json> ParseHeader(const Frame& frame, const std::string& source) {
  Json h = Json::parse(frame.header.begin(), frame.header.end(), nullptr,
                       /*allow_exceptions=*/false);
  if (h.is_discarded() || !h.is_object()) return Corrupt(source, "the header is not JSON");
  if (StringField(h, "format") != kFormatName) {
    return Corrupt(source, "the header does not describe a Scratchformer checkpoint");
  }
  const bool ok = h.contains("step") && h["step"].is_number_integer() && h.contains("config") &&
                  h.contains("tokenizer") && h["tokenizer"].is_string() &&
                  h.contains("loop_state") && h.contains("model") && h["model"].is_array() &&
                  h.contains("optimizer") && h.contains("rng") && h["rng"].is_object();
  if (!ok) return Corrupt(source, "the header lacks required fields");
  for (const Json& t : h["model"]) {
    bool valid = t.is_object() && t.contains("name") && t["name"].is_string() &&
                 t.contains("shape") && t["shape"].is_array() && t.contains("dtype") &&
                 t["dtype"].is_string();
    for (const Json& d : valid ? t["shape"] : Json::array()) valid = valid && d.is_number_integer();
    if (!valid) return Corrupt(source, "the model tensor manifest is malformed");
  }
  return h;
}

CheckpointInfo InfoFromHeader(const Json& h) {
  CheckpointInfo info;
  info.step = h["step"].get<int64_t>();
  info.config = h["config"];
  info.tokenizer = h["tokenizer"].get<std::string>();
  info.loop_state = h["loop_state"];
  return info;
}

c10::Device ModelDevice(const torch::nn::Module& model) {
  for (const auto& [name, t] : ModuleTensors(model)) return t.device();
  return c10::Device(c10::kCPU);
}

// Dotted names of the optimizer's parameters, group by group, found through the model.
std::vector<std::vector<std::string>> OptimizerGroupNames(const torch::nn::Module& model,
                                                          const torch::optim::Optimizer& opt) {
  std::unordered_map<const void*, std::string> names;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    names.emplace(item.value().unsafeGetTensorImpl(), item.key());
  }
  std::vector<std::vector<std::string>> groups;
  for (const auto& group : opt.param_groups()) {
    std::vector<std::string> g;
    for (const at::Tensor& p : group.params()) {
      auto it = names.find(p.unsafeGetTensorImpl());
      g.push_back(it == names.end() ? absl::StrCat("<not in model #", g.size(), ">") : it->second);
    }
    groups.push_back(std::move(g));
  }
  return groups;
}

std::string OptimizerType(const torch::optim::Optimizer& opt) {
  return c10::demangle(typeid(opt).name());
}

at::Tensor GeneratorState(c10::Device device) {
  at::Generator gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void SetGeneratorState(c10::Device device, const at::Tensor& state) {
  at::Generator gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

void FlattenConfig(const Json& j, const std::string& prefix, std::map<std::string, Json>* out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& item : j.items()) {
      FlattenConfig(item.value(), absl::StrCat(prefix, "/", item.key()), out);
    }
    return;
  }
  (*out)[prefix.empty() ? "/" : prefix] = j;
}

bool IsAllowed(const std::string& pointer, const std::vector<std::string>& allowed) {
  for (std::string a : allowed) {
    if (!absl::StartsWith(a, "/")) a = "/" + a;
    if (pointer == a || absl::StartsWith(pointer, a + "/")) return true;
  }
  return false;
}

absl::Status CheckModel(const Json& manifest, const torch::nn::Module& model,
                        const std::string& source) {
  std::map<std::string, const Json*> saved;
  for (const Json& t : manifest) saved[t["name"].get<std::string>()] = &t;
  std::vector<std::string> missing, unexpected, different;
  std::set<std::string> seen;
  for (const auto& [name, t] : ModuleTensors(model)) {
    seen.insert(name);
    auto it = saved.find(name);
    if (it == saved.end()) {
      missing.push_back(name);
      continue;
    }
    const std::vector<int64_t> shape = (*it->second)["shape"].get<std::vector<int64_t>>();
    const std::string dtype = (*it->second)["dtype"].get<std::string>();
    if (shape != t.sizes().vec() || dtype != c10::toString(t.scalar_type())) {
      different.push_back(absl::StrCat(name, " is ", dtype, ShapeString(shape),
                                       " in the checkpoint but ", c10::toString(t.scalar_type()),
                                       ShapeString(t.sizes()), " in the model"));
    }
  }
  for (const auto& [name, t] : saved) {
    if (seen.count(name) == 0) unexpected.push_back(name);
  }
  std::vector<std::string> problems;
  if (!missing.empty()) {
    problems.push_back(absl::StrCat("model tensors missing from the checkpoint: ",
                                    absl::StrJoin(missing, ", ")));
  }
  if (!unexpected.empty()) {
    problems.push_back(absl::StrCat("checkpoint tensors the model lacks: ",
                                    absl::StrJoin(unexpected, ", ")));
  }
  if (!different.empty()) problems.push_back(absl::StrJoin(different, "; "));
  if (!problems.empty()) return Mismatch(source, absl::StrJoin(problems, "; "));
  return absl::OkStatus();
}

absl::Status CheckOptimizer(const Json& saved, const TrainingState& state,
                            const std::string& source) {
  if (saved.is_null()) return Mismatch(source, "it holds no optimizer state");
  const std::string type = OptimizerType(*state.optimizer);
  if (!saved.is_object() || StringField(saved, "type") != type) {
    return Mismatch(source, absl::StrCat("its optimizer is ",
                                         saved.is_object() ? StringField(saved, "type") : "?",
                                         ", this run uses ", type));
  }
  const Json current = OptimizerGroupNames(*state.model, *state.optimizer);
  if (!saved.contains("groups") || saved["groups"] != current) {
    return Mismatch(source, absl::StrCat("optimizer parameter groups differ: checkpoint ",
                                         saved.contains("groups") ? saved["groups"].dump() : "none",
                                         ", this run ", current.dump()));
  }
  return absl::OkStatus();
}

// The archive, decoded; LibTorch throws on malformed input.
absl::StatusOr<std::unique_ptr<torch::serialize::InputArchive>> OpenArchive(
    const Frame& frame, c10::Device device, const std::string& source) {
  auto archive = std::make_unique<torch::serialize::InputArchive>();
  try {
    archive->load_from(frame.payload.data(), frame.payload.size(), device);
  } catch (const std::exception& e) {
    return Corrupt(source, absl::StrCat("the tensor archive does not load: ", e.what()));
  }
  return archive;
}

absl::StatusOr<std::vector<at::Tensor>> ReadModelTensors(torch::serialize::InputArchive& archive,
                                                         const Json& manifest,
                                                         const std::string& source) {
  std::vector<at::Tensor> tensors;
  try {
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    for (size_t i = 0; i < manifest.size(); ++i) {
      at::Tensor t;
      model_archive.read(absl::StrCat("t", i), t, /*is_buffer=*/true);
      if (t.sizes().vec() != manifest[i]["shape"].get<std::vector<int64_t>>()) {
        return Corrupt(source, absl::StrCat("tensor ", manifest[i]["name"].get<std::string>(),
                                            " in the archive disagrees with the header"));
      }
      tensors.push_back(std::move(t));
    }
  } catch (const std::exception& e) {
    return Corrupt(source, absl::StrCat("the model tensors do not load: ", e.what()));
  }
  return tensors;
}

}  // namespace

absl::StatusOr<std::string> EncodeCheckpoint(const TrainingState& state,
                                             const CheckpointInfo& info) {
  TORCH_CHECK(state.model != nullptr, "a checkpoint needs a model");
  torch::serialize::OutputArchive archive;
  Json header = {{"format", kFormatName},
                 {"step", info.step},
                 {"config", info.config},
                 {"tokenizer", info.tokenizer},
                 {"loop_state", info.loop_state},
                 {"torch_version", TORCH_VERSION},
                 {"created_unix", static_cast<int64_t>(std::time(nullptr))}};

  torch::serialize::OutputArchive model_archive(archive.compilation_unit());
  Json manifest = Json::array();
  const NamedTensors tensors = ModuleTensors(*state.model);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const at::Tensor& t = tensors[i].second;
    manifest.push_back({{"name", tensors[i].first},
                        {"dtype", c10::toString(t.scalar_type())},
                        {"shape", t.sizes().vec()}});
    model_archive.write(absl::StrCat("t", i), t.detach(), /*is_buffer=*/true);
  }
  header["model"] = manifest;
  archive.write("model", model_archive);

  header["optimizer"] = nullptr;
  if (state.optimizer != nullptr) {
    torch::serialize::OutputArchive optimizer_archive(archive.compilation_unit());
    state.optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
    header["optimizer"] = {{"type", OptimizerType(*state.optimizer)},
                           {"groups", OptimizerGroupNames(*state.model, *state.optimizer)}};
  }

  Json rng = Json::object();
  archive.write("rng_cpu", GeneratorState(c10::Device(c10::kCPU)), /*is_buffer=*/true);
  const c10::Device device = ModelDevice(*state.model);
  if (!device.is_cpu()) {
    archive.write("rng_device", GeneratorState(device), /*is_buffer=*/true);
    rng["device"] = device.str();
  }
  if (state.rng != nullptr) {
    std::ostringstream os;
    os << *state.rng;
    rng["mt19937_64"] = os.str();
  }
  header["rng"] = rng;

  std::string payload;
  archive.save_to([&payload](const void* data, size_t size) -> size_t {
    payload.append(static_cast<const char*>(data), size);
    return size;
  });
  const std::string header_text = header.dump();

  std::string out;
  out.reserve(kPreludeSize + header_text.size() + payload.size());
  out.append(kMagic, sizeof(kMagic));
  PutLe(&out, kVersion, 4);
  PutLe(&out, header_text.size(), 8);
  PutLe(&out, payload.size(), 8);
  PutLe(&out, Crc32c(header_text.data(), header_text.size()), 4);
  PutLe(&out, Crc32c(payload.data(), payload.size()), 4);
  PutLe(&out, Crc32c(out.data(), out.size()), 4);
  out += header_text;
  out += payload;
  return out;
}

absl::Status SaveCheckpoint(const std::string& path, const TrainingState& state,
                            const CheckpointInfo& info) {
  absl::StatusOr<std::string> bytes = EncodeCheckpoint(state, info);
  if (!bytes.ok()) return bytes.status();
  return WriteFileAtomically(path, *bytes);
}

absl::StatusOr<CheckpointInfo> DecodeCheckpoint(absl::string_view bytes,
                                                const std::string& source,
                                                const TrainingState& state,
                                                const CheckpointLoadOptions& options) {
  TORCH_CHECK(state.model != nullptr, "loading a checkpoint needs a model");
  absl::StatusOr<Frame> frame = CheckFrame(bytes, source);
  if (!frame.ok()) return frame.status();
  absl::StatusOr<Json> header = ParseHeader(*frame, source);
  if (!header.ok()) return header.status();
  const Json& h = *header;

  if (options.expected_config) {
    std::vector<std::string> diffs =
        DiffConfigs(h["config"], *options.expected_config, options.config_keys_allowed_to_differ);
    if (!diffs.empty()) {
      return Mismatch(source, absl::StrCat("configuration differs: ", absl::StrJoin(diffs, "; ")));
    }
  }
  absl::Status s = CheckModel(h["model"], *state.model, source);
  if (!s.ok()) return s;
  const bool restore_optimizer = options.restore_optimizer && state.optimizer != nullptr;
  if (restore_optimizer) {
    s = CheckOptimizer(h["optimizer"], state, source);
    if (!s.ok()) return s;
  }
  const bool restore_rng = options.restore_rng;
  std::mt19937_64 restored_rng;
  if (restore_rng && state.rng != nullptr) {
    if (!h["rng"].contains("mt19937_64") || !h["rng"]["mt19937_64"].is_string()) {
      return Mismatch(source, "it holds no data-order random generator state");
    }
    std::istringstream is(h["rng"]["mt19937_64"].get<std::string>());
    is >> restored_rng;
    if (is.fail()) return Corrupt(source, "the random generator state does not parse");
  }

  const c10::Device device = ModelDevice(*state.model);
  absl::StatusOr<std::unique_ptr<torch::serialize::InputArchive>> archive =
      OpenArchive(*frame, device, source);
  if (!archive.ok()) return archive.status();
  absl::StatusOr<std::vector<at::Tensor>> tensors =
      ReadModelTensors(**archive, h["model"], source);
  if (!tensors.ok()) return tensors.status();
  at::Tensor rng_cpu, rng_device;
  if (restore_rng) {
    const std::string written_on = StringField(h["rng"], "device");
    if (!device.is_cpu() && written_on != device.str()) {
      return Mismatch(source, absl::StrCat("its generator state is of ",
                                           written_on.empty() ? "cpu" : written_on,
                                           ", the model is on ", device.str()));
    }
    try {
      (*archive)->read("rng_cpu", rng_cpu, /*is_buffer=*/true);
      if (!device.is_cpu()) (*archive)->read("rng_device", rng_device, /*is_buffer=*/true);
    } catch (const std::exception& e) {
      return Corrupt(source, absl::StrCat("the generator state does not load: ", e.what()));
    }
    // Another LibTorch build may keep its generator differently; refuse before changing
    // anything rather than half-restore.
    if (rng_cpu.numel() != GeneratorState(c10::Device(c10::kCPU)).numel() ||
        (rng_device.defined() && rng_device.numel() != GeneratorState(device).numel())) {
      return Mismatch(source, "its random generator state has another size than this "
                              "LibTorch's (written by another version?)");
    }
  }

  // Everything is read and checked: now change the live objects.
  std::map<std::string, at::Tensor> by_name;
  for (size_t i = 0; i < tensors->size(); ++i) {
    by_name[h["model"][i]["name"].get<std::string>()] = (*tensors)[i];
  }
  {
    c10::NoGradGuard no_grad;
    for (auto& [name, target] : ModuleTensors(*state.model)) target.copy_(by_name.at(name));
  }
  if (restore_optimizer) {
    try {
      torch::serialize::InputArchive optimizer_archive;
      (*archive)->read("optimizer", optimizer_archive);
      state.optimizer->load(optimizer_archive);
    } catch (const std::exception& e) {
      return Corrupt(source, absl::StrCat("the optimizer state does not load: ", e.what()));
    }
  }
  if (restore_rng) {
    SetGeneratorState(c10::Device(c10::kCPU), rng_cpu.to(c10::kCPU));
    if (rng_device.defined()) SetGeneratorState(device, rng_device.to(c10::kCPU));
    if (state.rng != nullptr) *state.rng = restored_rng;
  }
  return InfoFromHeader(h);
}

absl::StatusOr<CheckpointInfo> LoadCheckpoint(const std::string& path,
                                              const TrainingState& state,
                                              const CheckpointLoadOptions& options) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) return bytes.status();
  return DecodeCheckpoint(*bytes, path, state, options);
}

absl::StatusOr<CheckpointInfo> ReadCheckpointInfo(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<Frame> frame = CheckFrame(*bytes, path);
  if (!frame.ok()) return frame.status();
  absl::StatusOr<Json> header = ParseHeader(*frame, path);
  if (!header.ok()) return header.status();
  return InfoFromHeader(*header);
}

absl::StatusOr<NamedTensors> ReadCheckpointTensors(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<Frame> frame = CheckFrame(*bytes, path);
  if (!frame.ok()) return frame.status();
  absl::StatusOr<Json> header = ParseHeader(*frame, path);
  if (!header.ok()) return header.status();
  absl::StatusOr<std::unique_ptr<torch::serialize::InputArchive>> archive =
      OpenArchive(*frame, c10::Device(c10::kCPU), path);
  if (!archive.ok()) return archive.status();
  absl::StatusOr<std::vector<at::Tensor>> tensors =
      ReadModelTensors(**archive, (*header)["model"], path);
  if (!tensors.ok()) return tensors.status();
  NamedTensors out;
  for (size_t i = 0; i < tensors->size(); ++i) {
    out.emplace_back((*header)["model"][i]["name"].get<std::string>(), (*tensors)[i]);
  }
  return out;
}

std::vector<std::string> DiffConfigs(const Json& checkpoint, const Json& current,
                                     const std::vector<std::string>& allowed_to_differ) {
  std::map<std::string, Json> a, b;
  FlattenConfig(checkpoint, "", &a);
  FlattenConfig(current, "", &b);
  std::vector<std::string> diffs;
  for (const auto& [key, value] : a) {
    if (IsAllowed(key, allowed_to_differ)) continue;
    auto it = b.find(key);
    if (it == b.end()) {
      diffs.push_back(absl::StrCat(key, ": ", value.dump(),
                                   " in the checkpoint, absent in this run"));
    } else if (it->second != value) {
      diffs.push_back(absl::StrCat(key, ": ", value.dump(), " in the checkpoint, ",
                                   it->second.dump(), " in this run"));
    }
  }
  for (const auto& [key, value] : b) {
    if (a.count(key) == 0 && !IsAllowed(key, allowed_to_differ)) {
      diffs.push_back(absl::StrCat(key, ": absent in the checkpoint, ", value.dump(),
                                   " in this run"));
    }
  }
  return diffs;
}

std::string CheckpointFileName(int64_t step) {
  return absl::StrFormat("%s%09d%s", kFilePrefix, step, kFileSuffix);
}

absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> ListCheckpoints(
    const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot list checkpoint directory ", dir, ": ",
                                            ec.message()));
  }
  for (const fs::directory_entry& e : it) {
    const std::string file_name = e.path().filename().string();
    absl::string_view name = file_name;
    int64_t step = 0;
    if (absl::ConsumePrefix(&name, kFilePrefix) && absl::ConsumeSuffix(&name, kFileSuffix) &&
        !name.empty() && absl::ascii_isdigit(name[0]) && absl::SimpleAtoi(name, &step)) {
      out.emplace_back(step, e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status PruneCheckpoints(const std::string& dir, int keep_last) {
  TORCH_CHECK(keep_last >= 1, "keep_last must be >= 1, got ", keep_last);
  absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> all = ListCheckpoints(dir);
  if (!all.ok()) return all.status();
  std::vector<std::string> doomed;
  for (size_t i = 0; i + keep_last < all->size(); ++i) doomed.push_back((*all)[i].second);
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (IsAtomicWriteTempFile(name) && absl::StrContains(name, kFileSuffix)) {
      doomed.push_back(e.path().string());
    }
  }
  for (const std::string& path : doomed) {
    if (!fs::remove(path, ec) && ec) {
      return absl::InternalError(absl::StrCat("cannot delete old checkpoint ", path, ": ",
                                              ec.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace sf::training
