#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "engine/adapters/adapter_kind.h"
#include "engine/io/json_file.h"
#include "engine/model/llama_model.h"

namespace kvchain {

struct AdapterConfig {
  AdapterKind kind = AdapterKind::kPrompt;
  int64_t num_virtual_tokens = 50;
  // Initial prompt: the embeddings (shallow) or the base model's keys/values (deep) of this
  // text, repeated to fill the virtual tokens, as PEFT's TEXT initialisation does.
  std::string init_text = "Answer the question using the text:";
  // Deep prompts only: produce the prefix through an MLP (PEFT's prefix_projection).
  bool reparameterize = false;
  int64_t encoder_hidden_size = 512;
  std::string base_fingerprint;  // model_fingerprint() of the base it was trained on

  Json to_json() const;
  static AdapterConfig from_json(const Json& json, const std::string& where);
};

// A chain member's learned prompt. table() is the tensor PEFT saves as `prompt_embeddings`:
// [N, hidden] for shallow prompts, [N, layers * 2 * kv_heads * head_dim] for deep ones, laid out
// as PEFT's prefix tuning does (per token: layer, key/value, head, dim).
class Adapter : public torch::nn::Module {
 public:
  Adapter(AdapterConfig config, const ModelConfig& model);

  const AdapterConfig& config() const { return config_; }
  AdapterKind kind() const { return config_.kind; }
  bool deep() const { return config_.kind == AdapterKind::kPrefix; }
  int64_t size() const { return config_.num_virtual_tokens; }
  // Width of table() for `kind` on `model`.
  static int64_t table_width(AdapterKind kind, const ModelConfig& model);

  torch::Tensor table();
  // Deep prompts: per-layer keys and values [1, kv_heads, N, head_dim].
  std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> prefix_kv();

  // Sets the initial prompt from config().init_text (see AdapterConfig), using `tokens` as the
  // tokenised text; on an empty text, from the embeddings of N evenly spaced vocabulary ids.
  void initialise(LlamaForCausalLM& base, const std::vector<int64_t>& tokens);
  // Replaces the table with a trained one, checking its shape (plain adapters only).
  void load_table(const torch::Tensor& table, const std::string& where);

 private:
  AdapterConfig config_;
  int64_t layers_, kv_heads_, head_dim_;
  torch::Tensor table_;          // the prompt itself, or
  torch::Tensor encoder_input_;  // the reparameterised form's input embeddings
  torch::nn::Sequential encoder_{nullptr};
};

// Identifies a base model's weights (config plus a fixed sample of every tensor), so an
// adapter is never loaded onto a model it was not trained for. Cheap even for 8B models.
std::string model_fingerprint(LlamaForCausalLM& model);

// The adapter file: safetensors holding `prompt_embeddings` (float32), with the config as
// JSON under the metadata key "kvchain_adapter". Written atomically.
void save_adapter(Adapter& adapter, const std::string& path);
// Loads an adapter file, or a PEFT prompt- or prefix-tuning directory (adapter_config.json and
// adapter_model.safetensors). Refuses an adapter made for another base model, naming both.
std::shared_ptr<Adapter> load_adapter(const std::string& path, LlamaForCausalLM& base);

}  // namespace kvchain
