#include "engine/model/model_config.h"

#include <cmath>

#include "engine/io/error.h"

namespace kvchain {
namespace {

int64_t int_or(const Json& j, const char* key, int64_t fallback, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return json_int(*it, where + ": field '" + key + "'");
}

double number_or(const Json& j, const char* key, double fallback, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return json_number(*it, where + ": field '" + key + "'");
}

bool bool_or(const Json& j, const char* key, bool fallback, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return json_bool(*it, where + ": field '" + key + "'");
}

int64_t required_positive(const Json& j, const char* key, const std::string& where) {
  const int64_t value = json_int(require_field(j, key, where), where + ": field '" + key + "'");
  if (value <= 0) throw Error(where + ": field '" + key + "' must be positive");
  return value;
}

// transformers >= 5 nests RoPE settings in `rope_parameters`; older checkpoints (and Meta's
// Llama-3 release) use top-level `rope_theta` plus a `rope_scaling` object.
// A number that must be finite and above 0 (rope_theta, rms_norm_eps, a RoPE factor).
double positive_number(double value, const std::string& what) {
  if (!std::isfinite(value) || value <= 0) {
    throw Error(what + " must be a finite number above 0, not " + std::to_string(value));
  }
  return value;
}

void parse_rope(const Json& j, ModelConfig& config, const std::string& where) {
  config.rope_theta = number_or(j, "rope_theta", config.rope_theta, where);
  for (const char* key : {"rope_parameters", "rope_scaling"}) {
    if (j.contains(key) && !j[key].is_null() && !j[key].is_object()) {
      throw Error(where + ": field '" + key + "' must be an object or null, not " +
                  j[key].type_name());
    }
  }
  Json scaling = Json::object();
  std::string scaling_where = where + ": field 'rope_scaling'";
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    scaling = j["rope_parameters"];
    scaling_where = where + ": field 'rope_parameters'";
    config.rope_theta = number_or(scaling, "rope_theta", config.rope_theta, scaling_where);
  } else if (j.contains("rope_scaling") && j["rope_scaling"].is_object()) {
    scaling = j["rope_scaling"];
  }
  std::string type = "default";
  for (const char* key : {"rope_type", "type"}) {
    if (scaling.contains(key)) type = json_string(scaling[key], scaling_where + "." + key);
  }
  positive_number(config.rope_theta, where + ": rope_theta");
  auto& rs = config.rope_scaling;
  rs.type = type;
  if (type == "default") return;
  if (type != "linear" && type != "llama3") {
    throw Error(scaling_where + ": unsupported RoPE type '" + type +
                "' (kvchain supports default, linear, llama3)");
  }
  rs.factor = positive_number(
      json_number(require_field(scaling, "factor", scaling_where), scaling_where + ".factor"),
      scaling_where + ".factor");
  if (type == "llama3") {
    rs.low_freq_factor = number_or(scaling, "low_freq_factor", rs.low_freq_factor, scaling_where);
    rs.high_freq_factor =
        number_or(scaling, "high_freq_factor", rs.high_freq_factor, scaling_where);
    rs.original_max_position_embeddings =
        int_or(scaling, "original_max_position_embeddings", rs.original_max_position_embeddings,
               scaling_where);
  }
}

std::vector<int64_t> parse_eos(const Json& j, const std::string& where) {
  auto it = j.find("eos_token_id");
  if (it == j.end() || it->is_null()) return {};
  if (it->is_array()) {
    std::vector<int64_t> ids;
    for (const auto& id : *it) ids.push_back(json_int(id, where + ": field 'eos_token_id'"));
    return ids;
  }
  return {json_int(*it, where + ": field 'eos_token_id'")};
}

// Sizes no model this engine could hold exceed, checked before anything is allocated: a
// config.json of absurd sizes is refused, not run until memory runs out.
constexpr int64_t kMaxLayers = 1024, kMaxWidth = int64_t{1} << 20, kMaxVocab = int64_t{1} << 24,
                  kMaxPositions = int64_t{1} << 24;
constexpr double kMaxParameters = 4e12;  // several times the largest open models

void check_bounds(const ModelConfig& c, const std::string& where) {
  const std::pair<const char*, int64_t> sizes[] = {{"num_hidden_layers", c.num_hidden_layers},
                                                   {"num_attention_heads", c.num_attention_heads},
                                                   {"head_dim", c.head_dim}};
  for (const auto& [key, value] : sizes) {
    if (value > kMaxLayers) {
      throw Error(where + ": field '" + key + "' is " + std::to_string(value) + ", above " +
                  std::to_string(kMaxLayers));
    }
  }
  for (const auto& [key, value] : {std::pair<const char*, int64_t>{"hidden_size", c.hidden_size},
                                   {"intermediate_size", c.intermediate_size}}) {
    if (value > kMaxWidth) {
      throw Error(where + ": field '" + key + "' is " + std::to_string(value) + ", above " +
                  std::to_string(kMaxWidth));
    }
  }
  if (c.vocab_size > kMaxVocab) {
    throw Error(where + ": field 'vocab_size' is " + std::to_string(c.vocab_size) + ", above " +
                std::to_string(kMaxVocab));
  }
  if (c.max_position_embeddings <= 0 || c.max_position_embeddings > kMaxPositions) {
    throw Error(where + ": field 'max_position_embeddings' must be between 1 and " +
                std::to_string(kMaxPositions) + ", not " +
                std::to_string(c.max_position_embeddings));
  }
  positive_number(c.rms_norm_eps, where + ": field 'rms_norm_eps'");
  const auto check_token = [&](int64_t id, const char* key) {
    if (id < 0 || id >= c.vocab_size) {
      throw Error(where + ": field '" + key + "' is " + std::to_string(id) +
                  ", outside the vocabulary (0.." + std::to_string(c.vocab_size - 1) + ")");
    }
  };
  if (c.bos_token_id != ModelConfig{}.bos_token_id) check_token(c.bos_token_id, "bos_token_id");
  for (const auto id : c.eos_token_ids) check_token(id, "eos_token_id");
  // Within the bounds above the count fits int64; this bounds what a machine could hold.
  if (static_cast<double>(c.parameter_count()) > kMaxParameters) {
    throw Error(where + ": the config describes " + std::to_string(c.parameter_count()) +
                " parameters, more than any machine kvchain runs on holds");
  }
}

}  // namespace

ModelConfig ModelConfig::from_json(const Json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": config is not a JSON object");
  ModelConfig c;
  c.source = j;
  c.vocab_size = required_positive(j, "vocab_size", where);
  c.hidden_size = required_positive(j, "hidden_size", where);
  c.intermediate_size = required_positive(j, "intermediate_size", where);
  c.num_hidden_layers = required_positive(j, "num_hidden_layers", where);
  c.num_attention_heads = required_positive(j, "num_attention_heads", where);
  c.num_key_value_heads = int_or(j, "num_key_value_heads", c.num_attention_heads, where);
  c.head_dim = int_or(j, "head_dim", c.hidden_size / c.num_attention_heads, where);
  c.max_position_embeddings =
      int_or(j, "max_position_embeddings", c.max_position_embeddings, where);
  c.rms_norm_eps = number_or(j, "rms_norm_eps", c.rms_norm_eps, where);
  c.tie_word_embeddings = bool_or(j, "tie_word_embeddings", c.tie_word_embeddings, where);
  c.attention_bias = bool_or(j, "attention_bias", c.attention_bias, where);
  c.mlp_bias = bool_or(j, "mlp_bias", c.mlp_bias, where);
  c.bos_token_id = int_or(j, "bos_token_id", c.bos_token_id, where);
  c.eos_token_ids = parse_eos(j, where);
  if (j.contains("hidden_act"))
    c.hidden_act = json_string(j["hidden_act"], where + ": field 'hidden_act'");
  if (c.hidden_act != "silu") {
    throw Error(where + ": unsupported hidden_act '" + c.hidden_act +
                "' (kvchain's Llama supports 'silu')");
  }
  if (c.num_key_value_heads <= 0 || c.num_attention_heads % c.num_key_value_heads != 0) {
    throw Error(where + ": num_attention_heads (" + std::to_string(c.num_attention_heads) +
                ") must be a multiple of num_key_value_heads (" +
                std::to_string(c.num_key_value_heads) + ")");
  }
  if (c.head_dim <= 0 || c.head_dim % 2 != 0) {
    throw Error(where + ": head_dim must be positive and even for RoPE");
  }
  if (j.contains("model_type") && j["model_type"] != "llama") {
    throw Error(where + ": model_type '" + j["model_type"].dump() + "' is not 'llama'");
  }
  parse_rope(j, c, where);
  check_bounds(c, where);
  return c;
}

ModelConfig ModelConfig::from_file(const std::string& path) {
  return from_json(read_json_file(path), path);
}

Json ModelConfig::to_json() const {
  Json j = source;
  j["architectures"] = {"LlamaForCausalLM"};
  j["model_type"] = "llama";
  j["vocab_size"] = vocab_size;
  j["hidden_size"] = hidden_size;
  j["intermediate_size"] = intermediate_size;
  j["num_hidden_layers"] = num_hidden_layers;
  j["num_attention_heads"] = num_attention_heads;
  j["num_key_value_heads"] = num_key_value_heads;
  j["head_dim"] = head_dim;
  j["max_position_embeddings"] = max_position_embeddings;
  j["rms_norm_eps"] = rms_norm_eps;
  j["tie_word_embeddings"] = tie_word_embeddings;
  j["attention_bias"] = attention_bias;
  j["mlp_bias"] = mlp_bias;
  j["hidden_act"] = hidden_act;
  if (bos_token_id >= 0) j["bos_token_id"] = bos_token_id;
  if (eos_token_ids.size() == 1) j["eos_token_id"] = eos_token_ids[0];
  if (eos_token_ids.size() > 1) j["eos_token_id"] = eos_token_ids;
  // Written in both spellings so that transformers 4.x and 5.x read the same RoPE.
  Json rope = {{"rope_type", rope_scaling.type}, {"rope_theta", rope_theta}};
  if (rope_scaling.type != "default") rope["factor"] = rope_scaling.factor;
  if (rope_scaling.type == "llama3") {
    rope["low_freq_factor"] = rope_scaling.low_freq_factor;
    rope["high_freq_factor"] = rope_scaling.high_freq_factor;
    rope["original_max_position_embeddings"] = rope_scaling.original_max_position_embeddings;
  }
  j["rope_parameters"] = rope;
  j["rope_theta"] = rope_theta;
  if (rope_scaling.type == "default") {
    j["rope_scaling"] = nullptr;
  } else {
    Json legacy = rope;
    legacy.erase("rope_theta");
    j["rope_scaling"] = legacy;
  }
  return j;
}

int64_t ModelConfig::parameter_count() const {
  const int64_t q = num_attention_heads * head_dim;
  const int64_t kv = num_key_value_heads * head_dim;
  int64_t attention = hidden_size * (q + 2 * kv) + q * hidden_size;
  if (attention_bias) attention += q + 2 * kv + hidden_size;
  int64_t mlp = 3 * hidden_size * intermediate_size;
  if (mlp_bias) mlp += 2 * intermediate_size + hidden_size;
  const int64_t per_layer = attention + mlp + 2 * hidden_size;
  const int64_t embeddings = vocab_size * hidden_size * (tie_word_embeddings ? 1 : 2);
  return num_hidden_layers * per_layer + embeddings + hidden_size;
}

int64_t ModelConfig::kv_bytes_per_token(int64_t bytes_per_element) const {
  return 2 * num_hidden_layers * num_key_value_heads * head_dim * bytes_per_element;
}

}  // namespace kvchain
