#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/json_file.h"

namespace kvchain {

// RoPE frequency scheme: "default", "linear" or Llama-3's "llama3" (smooth NTK-by-parts).
struct RopeScaling {
  std::string type = "default";
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

// A Hugging Face Llama config.json. Unknown keys are kept in `source` so that a checkpoint
// written back by kvchain loses nothing.
struct ModelConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  bool mlp_bias = false;
  std::string hidden_act = "silu";
  std::vector<int64_t> eos_token_ids;
  int64_t bos_token_id = -1;
  Json source = Json::object();

  // `where` names the file in errors.
  static ModelConfig from_json(const Json& json, const std::string& where);
  static ModelConfig from_file(const std::string& path);
  Json to_json() const;

  int64_t parameter_count() const;
  // Keys plus values over all layers for one token, at `bytes_per_element`.
  int64_t kv_bytes_per_token(int64_t bytes_per_element) const;
};

}  // namespace kvchain
