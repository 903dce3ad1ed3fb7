#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/json_file.h"

namespace kvchain {

// A tokenizer.json "post_processor", for a single sequence: the special tokens it puts around
// the encoded text (BERT's [CLS] ... [SEP], Llama 3's <|begin_of_text|>). Supported:
// TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel (no tokens) and a Sequence
// of them, each later one wrapping the result of those before; any other type is refused by
// name.
class PostProcessor {
 public:
  static PostProcessor from_json(const Json& json, const std::string& where);

  std::vector<int64_t> wrap(const std::vector<int64_t>& ids) const;

 private:
  void add(const Json& json, const std::string& type, const std::string& where);
  std::vector<int64_t> prefix_, suffix_;
};

}  // namespace kvchain
