#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kvchain::retrievers {

// How a sequence of hidden states becomes one vector: the mean over real tokens, the last
// token (a causal LM's summary) or the first ([CLS], as BGE reads a BERT encoder).
enum class Pooling { mean, last, cls };
Pooling parse_pooling(const std::string& name);
std::string pooling_name(Pooling pooling);

// Texts to pooled, L2-normalised float32 vectors on the CPU, by an engine checkpoint: a Llama
// (its final hidden states; mean or last pooling; no special tokens, so an empty text is the
// zero vector) or a BERT-family encoder (config.json's model_type bert, roberta or xlm-roberta;
// the tokenizer's [CLS] ... [SEP] around each text; cls or mean pooling). Texts are sorted by
// length and encoded batch_size at a time; a text longer than max_tokens is truncated.
class TextEncoder {
 public:
  // The encoder of the checkpoint in `model_dir` (the pooling checked against its kind).
  static std::unique_ptr<TextEncoder> open(const std::string& model_dir, torch::Device device,
                                           Pooling pooling, int64_t max_tokens, int64_t batch_size);
  virtual ~TextEncoder() = default;

  virtual int64_t dim() const = 0;
  virtual std::string fingerprint() const = 0;

  // [texts.size(), dim]; `truncated`, when given, grows by the texts cut to max_tokens.
  torch::Tensor encode(const std::vector<std::string>& texts, int64_t* truncated = nullptr) const;

 protected:
  TextEncoder(Pooling pooling, int64_t max_tokens, int64_t batch_size)
      : pooling_(pooling), max_tokens_(max_tokens), batch_size_(batch_size) {}
  // A text's ids, at most max_tokens of them; `cut` is set when it had more.
  virtual std::vector<int64_t> tokenize(const std::string& text, bool& cut) const = 0;
  // The hidden states of `ids` as one right-padded batch: [B, T, dim] on any device.
  virtual torch::Tensor hidden_states(const torch::Tensor& ids,
                                      const torch::Tensor& real) const = 0;

  Pooling pooling_;
  int64_t max_tokens_, batch_size_;

 private:
  torch::Tensor encode_batch(const std::vector<std::vector<int64_t>>& ids,
                             const std::vector<int64_t>& rows) const;
};

}  // namespace kvchain::retrievers
