#include "engine/model/bert_model.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <vector>

#include "engine/io/error.h"
#include "engine/io/safetensors.h"
#include "engine/model/checkpoint.h"
#include "engine/model/weights_fingerprint.h"

namespace kvchain {
namespace fs = std::filesystem;
namespace F = torch::nn::functional;
namespace {

int64_t positive(const Json& json, const char* key, const std::string& where) {
  const auto value = json_int(require_field(json, key, where), where + ": " + key);
  if (value < 1) throw Error(where + ": " + key + " must be at least 1");
  return value;
}

// The config.json model_types of the encoders BertModel runs.
bool is_bert_model_type(const std::string& type) {
  return type == "bert" || type == "roberta" || type == "xlm-roberta";
}

// The tensors a checkpoint may hold beside the encoder, which an encoder never reads.
bool unread(const std::string& name) {
  for (const char* head : {"pooler.", "cls.", "lm_head.", "classifier.", "qa_outputs."}) {
    if (name.rfind(head, 0) == 0) return true;
  }
  return name == "embeddings.position_ids" || name == "embeddings.token_type_ids";
}

// name -> expected shape of every weight the encoder reads.
std::map<std::string, std::vector<int64_t>> expected_shapes(const BertConfig& c) {
  const auto h = c.hidden_size;
  std::map<std::string, std::vector<int64_t>> shapes{
      {"embeddings.word_embeddings.weight", {c.vocab_size, h}},
      {"embeddings.position_embeddings.weight", {c.max_position_embeddings, h}},
      {"embeddings.token_type_embeddings.weight", {c.type_vocab_size, h}},
      {"embeddings.LayerNorm.weight", {h}},
      {"embeddings.LayerNorm.bias", {h}}};
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const auto layer = "encoder.layer." + std::to_string(i) + ".";
    for (const char* part : {"attention.self.query", "attention.self.key", "attention.self.value",
                             "attention.output.dense"}) {
      shapes[layer + part + ".weight"] = {h, h};
      shapes[layer + part + ".bias"] = {h};
    }
    shapes[layer + "intermediate.dense.weight"] = {c.intermediate_size, h};
    shapes[layer + "intermediate.dense.bias"] = {c.intermediate_size};
    shapes[layer + "output.dense.weight"] = {h, c.intermediate_size};
    shapes[layer + "output.dense.bias"] = {h};
    for (const char* norm : {"attention.output.LayerNorm", "output.LayerNorm"}) {
      shapes[layer + norm + ".weight"] = {h};
      shapes[layer + norm + ".bias"] = {h};
    }
  }
  return shapes;
}

}  // namespace

BertConfig BertConfig::from_file(const std::string& path) {
  const auto json = read_json_file(path);
  BertConfig c;
  c.model_type = json_string(require_field(json, "model_type", path), path + ": model_type");
  if (!is_bert_model_type(c.model_type)) {
    throw Error(path + ": model_type '" + c.model_type +
                "' is not a BERT-family encoder (bert, roberta or xlm-roberta)");
  }
  c.vocab_size = positive(json, "vocab_size", path);
  c.hidden_size = positive(json, "hidden_size", path);
  c.num_hidden_layers = positive(json, "num_hidden_layers", path);
  c.num_attention_heads = positive(json, "num_attention_heads", path);
  c.intermediate_size = positive(json, "intermediate_size", path);
  c.max_position_embeddings = positive(json, "max_position_embeddings", path);
  c.type_vocab_size = positive(json, "type_vocab_size", path);
  if (json.contains("pad_token_id") && !json["pad_token_id"].is_null()) {
    c.pad_token_id = json_int(json["pad_token_id"], path + ": pad_token_id");
  }
  if (json.contains("layer_norm_eps")) {
    c.layer_norm_eps = json_number(json["layer_norm_eps"], path + ": layer_norm_eps");
  }
  if (c.hidden_size % c.num_attention_heads != 0) {
    throw Error(path + ": hidden_size " + std::to_string(c.hidden_size) +
                " is not a multiple of num_attention_heads " +
                std::to_string(c.num_attention_heads));
  }
  const auto act = json.contains("hidden_act") ? json_string(json["hidden_act"], path) : "gelu";
  if (act != "gelu") {
    throw Error(path + ": hidden_act '" + act + "' is not supported (kvchain's encoder: gelu)");
  }
  const auto embedding = json.contains("position_embedding_type")
                             ? json_string(json["position_embedding_type"], path)
                             : "absolute";
  if (embedding != "absolute") {
    throw Error(path + ": position_embedding_type '" + embedding +
                "' is not supported (kvchain's encoder: absolute)");
  }
  return c;
}

bool is_bert_checkpoint(const std::string& dir) {
  const auto path = (fs::path(dir) / "config.json").string();
  if (!fs::exists(path)) return false;
  const auto json = read_json_file(path);
  if (!json.is_object() || !json.contains("model_type") || !json["model_type"].is_string()) {
    return false;
  }
  return is_bert_model_type(json["model_type"].get<std::string>());
}

BertModel BertModel::load(const std::string& dir, torch::Device device,
                          std::optional<torch::ScalarType> dtype) {
  auto config = BertConfig::from_file((fs::path(dir) / "config.json").string());
  const auto target = dtype.value_or(device.is_cuda() ? torch::kBFloat16 : torch::kFloat32);
  const auto shapes = expected_shapes(config);
  CheckpointTensors tensors(dir);
  // Task checkpoints (BertForMaskedLM, XLMRobertaForSequenceClassification) prefix the encoder.
  std::string prefix;
  for (const char* head : {"bert.", "roberta."}) {
    if (tensors.contains(std::string(head) + "embeddings.word_embeddings.weight")) prefix = head;
  }
  for (const auto& [name, file] : tensors.files()) {
    const bool ours = name.rfind(prefix, 0) == 0;
    const auto bare = ours ? name.substr(prefix.size()) : name;
    if (!(ours && shapes.count(bare)) && !unread(bare) && !unread(name)) {
      throw Error(file + ": tensor '" + name + "' has no place in a " + config.model_type +
                  " encoder");
    }
  }
  std::map<std::string, torch::Tensor> weights;
  for (const auto& [bare, shape] : shapes) {
    weights[bare] = tensors.load(prefix + bare, shape).to(device, target);
  }
  return BertModel(std::move(config), std::move(weights));
}

const torch::Tensor& BertModel::weight(const std::string& name) const {
  return weights_.at(name);
}

torch::Tensor BertModel::forward(const torch::Tensor& input_ids,
                                 const torch::Tensor& attention_mask) const {
  torch::NoGradGuard no_grad;
  const auto& c = config_;
  const auto ids = input_ids.to(weight("embeddings.word_embeddings.weight").device());
  const auto mask = attention_mask.to(ids.device()).to(torch::kBool);
  const auto t = ids.size(1);
  torch::Tensor positions;
  if (c.roberta_positions()) {
    // RoBERTa counts real tokens from pad_token_id + 1; padding sits at pad_token_id.
    const auto real = ids.ne(c.pad_token_id).to(torch::kInt64);
    positions = real.cumsum(1) * real + c.pad_token_id;
  } else {
    positions = torch::arange(t, ids.options()).unsqueeze(0).expand_as(ids);
  }
  if (positions.max().item<int64_t>() >= c.max_position_embeddings) {
    throw Error("bert encoder: " + std::to_string(t) + " tokens exceed max_position_embeddings " +
                std::to_string(c.max_position_embeddings));
  }
  auto hidden = F::embedding(ids, weight("embeddings.word_embeddings.weight")) +
                F::embedding(positions, weight("embeddings.position_embeddings.weight")) +
                weight("embeddings.token_type_embeddings.weight")[0];
  hidden = torch::layer_norm(hidden, {c.hidden_size}, weight("embeddings.LayerNorm.weight"),
                             weight("embeddings.LayerNorm.bias"), c.layer_norm_eps);
  // Padding is no key: -inf before the softmax (every row has a real token to attend to).
  const auto key_mask =
      torch::zeros(mask.sizes(), hidden.options().dtype(torch::kFloat32))
          .masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity())
          .view({mask.size(0), 1, 1, t});
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) hidden = layer(hidden, key_mask, i);
  return hidden;
}

torch::Tensor BertModel::layer(const torch::Tensor& hidden, const torch::Tensor& key_mask,
                               int64_t i) const {
  const auto& c = config_;
  const auto at = "encoder.layer." + std::to_string(i) + ".";
  const auto linear = [&](const torch::Tensor& x, const std::string& name) {
    return F::linear(x, weight(at + name + ".weight"), weight(at + name + ".bias"));
  };
  const auto norm = [&](const torch::Tensor& x, const std::string& name) {
    return torch::layer_norm(x, {c.hidden_size}, weight(at + name + ".weight"),
                             weight(at + name + ".bias"), c.layer_norm_eps);
  };
  const auto b = hidden.size(0), t = hidden.size(1);
  const auto heads = c.num_attention_heads, head_dim = c.hidden_size / heads;
  const auto split = [&](const torch::Tensor& x) {
    return x.view({b, t, heads, head_dim}).transpose(1, 2);
  };
  const auto q = split(linear(hidden, "attention.self.query"));
  const auto k = split(linear(hidden, "attention.self.key"));
  const auto v = split(linear(hidden, "attention.self.value"));
  const auto scores = torch::matmul(q, k.transpose(-2, -1)).to(torch::kFloat32) /
                          std::sqrt(static_cast<double>(head_dim)) +
                      key_mask;
  const auto context = torch::matmul(torch::softmax(scores, -1).to(v.scalar_type()), v)
                           .transpose(1, 2)
                           .reshape({b, t, c.hidden_size});
  const auto attended =
      norm(linear(context, "attention.output.dense") + hidden, "attention.output.LayerNorm");
  const auto inner = torch::gelu(linear(attended, "intermediate.dense"));
  return norm(linear(inner, "output.dense") + attended, "output.LayerNorm");
}

std::string BertModel::fingerprint() const {
  std::vector<std::pair<std::string, torch::Tensor>> weights(weights_.begin(), weights_.end());
  const Json config{{"model_type", config_.model_type},
                    {"vocab_size", config_.vocab_size},
                    {"hidden_size", config_.hidden_size},
                    {"num_hidden_layers", config_.num_hidden_layers},
                    {"num_attention_heads", config_.num_attention_heads},
                    {"intermediate_size", config_.intermediate_size},
                    {"pad_token_id", config_.pad_token_id},
                    {"layer_norm_eps", config_.layer_norm_eps}};
  return weights_fingerprint(config.dump(), weights);
}

}  // namespace kvchain
