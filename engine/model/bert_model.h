#pragma once

#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>

#include "engine/io/json_file.h"

namespace kvchain {

// A Hugging Face BERT-family config.json: BERT (E5, BGE, Contriever) and RoBERTa / XLM-R (whose
// positions count from pad_token_id + 1).
struct BertConfig {
  std::string model_type = "bert";
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t intermediate_size = 0;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  int64_t pad_token_id = 0;
  double layer_norm_eps = 1e-12;

  static BertConfig from_file(const std::string& path);
  // RoBERTa's and XLM-R's position ids start after the padding id.
  bool roberta_positions() const { return model_type != "bert"; }
};

// Whether the checkpoint in `dir` is a BERT-family encoder (config.json's model_type "bert",
// "roberta" or "xlm-roberta"), as opposed to a Llama.
bool is_bert_checkpoint(const std::string& dir);

// A BERT-family encoder for inference: absolute position embeddings, post-LayerNorm layers,
// exact (erf) GELU, every token type 0. Loads an HF checkpoint's model.safetensors, with or
// without the "bert." / "roberta." prefix of task checkpoints; the pooler and task heads are
// not read.
class BertModel {
 public:
  static BertModel load(const std::string& dir, torch::Device device,
                        std::optional<torch::ScalarType> dtype = {});

  // input_ids [B, T], attention_mask [B, T] (true where a real token stands; padding is
  // masked out as a key) -> last hidden states [B, T, hidden].
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask) const;

  const BertConfig& config() const { return config_; }
  // Changes when the config or any weight does (sampled, as model_fingerprint does).
  std::string fingerprint() const;

 private:
  BertModel(BertConfig config, std::map<std::string, torch::Tensor> weights)
      : config_(std::move(config)), weights_(std::move(weights)) {}
  const torch::Tensor& weight(const std::string& name) const;
  torch::Tensor layer(const torch::Tensor& hidden, const torch::Tensor& key_mask, int64_t i) const;

  BertConfig config_;
  std::map<std::string, torch::Tensor> weights_;
};

}  // namespace kvchain
