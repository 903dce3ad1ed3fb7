#include "engine/adapters/adapter.h"

#include <filesystem>

#include "engine/io/error.h"
#include "engine/io/named_values.h"
#include "engine/io/safetensors.h"
#include "engine/io/text.h"
#include "engine/model/weights_fingerprint.h"

namespace kvchain {
namespace {

constexpr const char* kMetadataKey = "kvchain_adapter";
constexpr const char* kTableName = "prompt_embeddings";

// Repeats `tokens` to exactly n ids (PEFT's TEXT initialisation).
std::vector<int64_t> cycle_to(const std::vector<int64_t>& tokens, int64_t n) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(tokens[i % tokens.size()]);
  return out;
}

}  // namespace

Json AdapterConfig::to_json() const {
  return {{"kind", adapter_kind_name(kind)},
          {"num_virtual_tokens", num_virtual_tokens},
          {"init_text", init_text},
          {"reparameterize", reparameterize},
          {"encoder_hidden_size", encoder_hidden_size},
          {"base_fingerprint", base_fingerprint}};
}

AdapterConfig AdapterConfig::from_json(const Json& json, const std::string& where) {
  AdapterConfig c;
  c.kind = parse_adapter_kind(json_string(require_field(json, "kind", where), where + ": kind"),
                              where + ": kind");
  c.num_virtual_tokens =
      json_int(require_field(json, "num_virtual_tokens", where), where + ": num_virtual_tokens");
  check_virtual_tokens(c.num_virtual_tokens, where + ": num_virtual_tokens");
  if (json.contains("init_text"))
    c.init_text = json_string(json["init_text"], where + ": init_text");
  if (json.contains("reparameterize")) {
    c.reparameterize = json_bool(json["reparameterize"], where + ": reparameterize");
  }
  if (json.contains("encoder_hidden_size")) {
    c.encoder_hidden_size = json_int(json["encoder_hidden_size"], where + ": encoder_hidden_size");
  }
  if (json.contains("base_fingerprint")) {
    c.base_fingerprint = json_string(json["base_fingerprint"], where + ": base_fingerprint");
  }
  return c;
}

int64_t Adapter::table_width(AdapterKind kind, const ModelConfig& model) {
  return kind == AdapterKind::kPrompt
             ? model.hidden_size
             : model.num_hidden_layers * 2 * model.num_key_value_heads * model.head_dim;
}

Adapter::Adapter(AdapterConfig config, const ModelConfig& model)
    : config_(std::move(config)),
      layers_(model.num_hidden_layers),
      kv_heads_(model.num_key_value_heads),
      head_dim_(model.head_dim) {
  check_virtual_tokens(config_.num_virtual_tokens, "adapter: num_virtual_tokens");
  const auto n = config_.num_virtual_tokens;
  const auto width = table_width(config_.kind, model);
  if (deep() && config_.reparameterize) {
    namespace nn = torch::nn;
    encoder_input_ = register_parameter("embedding", torch::zeros({n, model.hidden_size}));
    encoder_ = register_module(
        "encoder", nn::Sequential(nn::Linear(model.hidden_size, config_.encoder_hidden_size),
                                  nn::Functional(torch::tanh),
                                  nn::Linear(config_.encoder_hidden_size, width)));
  } else {
    table_ = register_parameter(kTableName, torch::zeros({n, width}));
  }
}

torch::Tensor Adapter::table() {
  return encoder_ ? encoder_->forward(encoder_input_) : table_;
}

std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> Adapter::prefix_kv() {
  if (!deep()) throw Error("adapter: a shallow prompt has no key/value prefix");
  auto kv = table().view({size(), layers_, 2, kv_heads_, head_dim_}).permute({1, 2, 3, 0, 4});
  std::vector<torch::Tensor> keys, values;
  for (int64_t layer = 0; layer < layers_; ++layer) {
    keys.push_back(kv[layer][0].unsqueeze(0));
    values.push_back(kv[layer][1].unsqueeze(0));
  }
  return {keys, values};
}

void Adapter::initialise(LlamaForCausalLM& base, const std::vector<int64_t>& tokens) {
  torch::NoGradGuard no_grad;
  const auto n = size();
  std::vector<int64_t> ids;
  if (tokens.empty()) {
    const auto vocab = base.config().vocab_size;
    for (int64_t i = 0; i < n; ++i) ids.push_back(i * vocab / n);
  } else {
    ids = cycle_to(tokens, n);
  }
  const auto id_tensor = torch::tensor(ids, torch::kInt64).unsqueeze(0);
  const auto embeddings = base.embed(id_tensor)[0].to(torch::kFloat32);
  if (encoder_) {
    encoder_input_.copy_(embeddings.to(encoder_input_.device()));
    return;
  }
  if (!deep()) {
    table_.copy_(embeddings.to(table_.device()));
    return;
  }
  // The frozen model's own keys and values for the text: a prefix it already "understands".
  auto cache = base.make_cache(1, n);
  ForwardArgs args;
  args.input_ids = id_tensor;
  args.cache = &cache;
  args.last_logits_only = true;
  base.forward(args);
  std::vector<torch::Tensor> per_layer;
  for (int64_t layer = 0; layer < layers_; ++layer) {
    // [1, H, N, D] -> [N, 2, H, D]
    per_layer.push_back(
        torch::stack({cache.keys(layer)[0], cache.values(layer)[0]}, 0).permute({2, 0, 1, 3}));
  }
  table_.copy_(torch::stack(per_layer, 1).reshape({n, -1}).to(table_.options()));
}

void Adapter::load_table(const torch::Tensor& table, const std::string& where) {
  if (encoder_)
    throw Error(where + ": a saved prompt loads into a plain (unreparameterised) adapter");
  if (table.dim() != 2 || table.size(0) != size() || table.size(1) != table_.size(1)) {
    throw Error(where + ": " + kTableName + " has shape " + shape_string(table.sizes()) +
                ", expected [" + std::to_string(size()) + ", " + std::to_string(table_.size(1)) +
                "]");
  }
  require_finite(table, where, kTableName);
  torch::NoGradGuard no_grad;
  table_.copy_(table.to(table_.options()));
}

std::string model_fingerprint(LlamaForCausalLM& model) {
  std::vector<std::pair<std::string, torch::Tensor>> weights;
  for (const auto& item : model.named_parameters()) weights.emplace_back(item.key(), item.value());
  return weights_fingerprint(model.config().to_json().dump(), weights);
}

void save_adapter(Adapter& adapter, const std::string& path) {
  torch::NoGradGuard no_grad;
  write_safetensors(path, {{kTableName, adapter.table().to(torch::kFloat32)}},
                    {{kMetadataKey, adapter.config().to_json().dump()}});
}

namespace {

// The stored table's header against the config's shape, before anything is allocated: a file
// whose metadata claims millions of tokens beside a small table is refused, not filled.
void check_table_entry(const SafetensorsFile& file, const AdapterConfig& config,
                       const ModelConfig& model) {
  if (!file.contains(kTableName)) throw Error(file.path() + ": no tensor '" + kTableName + "'");
  const auto& entry = file.entries().at(kTableName);
  const std::vector<int64_t> expected = {config.num_virtual_tokens,
                                         Adapter::table_width(config.kind, model)};
  if (entry.shape != expected) {
    throw Error(file.path() + ": " + kTableName + " has shape " + shape_string(entry.shape) +
                ", expected " + shape_string(expected));
  }
  if (entry.dtype != "F32" && entry.dtype != "F16" && entry.dtype != "BF16" &&
      entry.dtype != "F64") {
    throw Error(file.path() + ": " + kTableName + " is " + entry.dtype +
                "; an adapter's table holds floating-point numbers");
  }
}

// PEFT's layout: adapter_config.json beside adapter_model.safetensors.
std::shared_ptr<Adapter> load_peft_adapter(const std::string& dir, LlamaForCausalLM& base) {
  namespace fs = std::filesystem;
  const auto config_path = (fs::path(dir) / "adapter_config.json").string();
  const auto weights_path = (fs::path(dir) / "adapter_model.safetensors").string();
  const Json peft = read_json_file(config_path);
  const auto type = json_string(require_field(peft, "peft_type", config_path), config_path);
  AdapterConfig config;
  if (type == "PROMPT_TUNING") {
    config.kind = AdapterKind::kPrompt;
  } else if (type == "PREFIX_TUNING") {
    config.kind = AdapterKind::kPrefix;
  } else {
    throw Error(config_path + ": peft_type '" + type +
                "' is not supported (PROMPT_TUNING, PREFIX_TUNING)");
  }
  config.num_virtual_tokens = json_int(require_field(peft, "num_virtual_tokens", config_path),
                                       config_path + ": num_virtual_tokens");
  check_virtual_tokens(config.num_virtual_tokens, config_path + ": num_virtual_tokens");
  // PEFT records the base by name only; the table's shape is checked against the model.
  config.base_fingerprint = model_fingerprint(base);
  SafetensorsFile file(weights_path);
  check_table_entry(file, config, base.config());
  auto adapter = std::make_shared<Adapter>(config, base.config());
  adapter->load_table(file.load(kTableName), weights_path);
  adapter->to(base.device());
  return adapter;
}

}  // namespace

std::shared_ptr<Adapter> load_adapter(const std::string& path, LlamaForCausalLM& base) {
  if (std::filesystem::is_directory(path)) return load_peft_adapter(path, base);
  SafetensorsFile file(path);
  const auto found = file.metadata().find(kMetadataKey);
  if (found == file.metadata().end()) {
    throw Error(path + ": not a kvchain adapter (no '" + kMetadataKey +
                "' metadata; for a PEFT adapter pass its directory)");
  }
  Json header;
  try {
    header = Json::parse(found->second);
  } catch (const Json::parse_error& e) {
    throw Error(path + ": metadata '" + kMetadataKey + "' is not valid JSON");
  }
  auto config = AdapterConfig::from_json(header, path + ": " + kMetadataKey);
  config.reparameterize = false;  // the file holds the encoder's output
  const auto fingerprint = model_fingerprint(base);
  if (config.base_fingerprint != fingerprint) {
    throw Error(path + ": adapter was trained on base model " + config.base_fingerprint +
                ", but the loaded base model is " + fingerprint);
  }
  check_table_entry(file, config, base.config());
  auto adapter = std::make_shared<Adapter>(config, base.config());
  adapter->load_table(file.load(kTableName), path);
  adapter->to(base.device());
  return adapter;
}

}  // namespace kvchain
