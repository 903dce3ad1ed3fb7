#include "engine/model/checkpoint.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "engine/io/safetensors.h"
#include "engine/io/text.h"

namespace kvchain {
namespace fs = std::filesystem;
namespace {

bool ignorable(const std::string& name, const ModelConfig& config) {
  // Old checkpoints store RoPE tables; tied models may still carry an lm_head copy.
  return name.find("rotary_emb.inv_freq") != std::string::npos ||
         (config.tie_word_embeddings && name == "lm_head.weight");
}

std::string dtype_json_name(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat32:
      return "float32";
    case torch::kBFloat16:
      return "bfloat16";
    case torch::kFloat16:
      return "float16";
    default:
      throw Error(std::string("cannot save a model in dtype ") + c10::toString(dtype));
  }
}

}  // namespace

std::shared_ptr<LlamaForCausalLM> load_model(const std::string& dir, torch::Device device,
                                             std::optional<torch::ScalarType> dtype) {
  const auto config_path = (fs::path(dir) / "config.json").string();
  auto config = ModelConfig::from_file(config_path);
  const auto target = dtype.value_or(device.is_cuda() ? torch::kBFloat16 : torch::kFloat32);
  std::shared_ptr<LlamaForCausalLM> model;
  try {
    model = std::make_shared<LlamaForCausalLM>(config);
    model->to(device, target);
  } catch (const std::exception& e) {  // c10's out-of-memory error or std::bad_alloc
    throw Error(config_path + ": cannot allocate the model it describes (" +
                std::to_string(config.parameter_count()) + " parameters) on " + device.str() +
                ": " + first_line(e.what()));
  }

  CheckpointTensors tensors(dir);
  auto params = model->named_parameters();
  for (const auto& [name, file] : tensors.files()) {
    if (!params.contains(name) && !ignorable(name, config)) {
      throw Error(file + ": tensor '" + name + "' has no place in a Llama model with this config");
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& item : params) item.value().copy_(tensors.load(item.key(), item.value().sizes()));
  return model;
}

void save_model(LlamaForCausalLM& model, const std::string& dir, int64_t max_shard_bytes) {
  fs::create_directories(dir);
  std::vector<std::vector<std::pair<std::string, torch::Tensor>>> shards(1);
  int64_t shard_bytes = 0, total_bytes = 0;
  for (const auto& item : model.named_parameters()) {
    const int64_t bytes = item.value().numel() * item.value().element_size();
    if (shard_bytes > 0 && shard_bytes + bytes > max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().emplace_back(item.key(), item.value());
    shard_bytes += bytes;
    total_bytes += bytes;
  }
  const std::map<std::string, std::string> metadata = {{"format", "pt"}};
  // Remove the other layout's files first so a directory never holds both.
  const auto index_path = (fs::path(dir) / kCheckpointIndexFile).string();
  if (shards.size() == 1) {
    fs::remove(index_path);
    write_safetensors((fs::path(dir) / kCheckpointSingleFile).string(), shards[0], metadata);
  } else {
    fs::remove(fs::path(dir) / kCheckpointSingleFile);
    Json index = {{"metadata", {{"total_size", total_bytes}}}, {"weight_map", Json::object()}};
    for (size_t i = 0; i < shards.size(); ++i) {
      char name[64];
      std::snprintf(name, sizeof(name), "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
      write_safetensors((fs::path(dir) / name).string(), shards[i], metadata);
      for (const auto& [tensor_name, tensor] : shards[i]) index["weight_map"][tensor_name] = name;
    }
    write_json_file_atomic(index_path, index);
  }
  Json config = model.config().to_json();
  config["torch_dtype"] = dtype_json_name(model.dtype());
  config["dtype"] = dtype_json_name(model.dtype());
  write_json_file_atomic((fs::path(dir) / "config.json").string(), config);
}

std::string tokenizer_file_beside(const std::string& dir) {
  return (std::filesystem::path(dir) / "tokenizer.json").string();
}

Tokenizer load_tokenizer_beside(const std::string& dir, const std::string& needed_by) {
  const auto path = tokenizer_file_beside(dir);
  if (!std::filesystem::exists(path)) {
    throw Error(dir + ": " + needed_by + " needs a tokenizer.json beside the model");
  }
  auto tokenizer = Tokenizer::from_file(path);
  // A tokenizer whose ids run past the model's embeddings would fail mid-run inside libtorch.
  // Any model's config.json (a Llama's, a BERT's) names its vocab_size.
  const auto config_path = (std::filesystem::path(dir) / "config.json").string();
  const auto config = read_json_file(config_path);
  const auto vocab_size =
      json_int(require_field(config, "vocab_size", config_path), config_path + ": vocab_size");
  if (tokenizer.vocab_size() > vocab_size) {
    throw Error(path + ": the tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                " ids, more than the model's vocab_size of " + std::to_string(vocab_size) +
                " (a tokenizer of another model?)");
  }
  return tokenizer;
}

}  // namespace kvchain
