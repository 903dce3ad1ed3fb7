#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/io/json_file.h"
#include "engine/tokenizer/pretokenizer.h"

namespace kvchain {

struct AddedToken {
  int64_t id;
  std::string content;
  bool special = true;
};

// Byte-level BPE read from (and written as) a Hugging Face tokenizer.json; encodes and decodes
// as HF tokenizers does for GPT-2 / Llama-3 style vocabularies. Never adds special tokens.
class BpeTokenizer {
 public:
  static BpeTokenizer from_file(const std::string& path);
  static BpeTokenizer from_json(const Json& json, const std::string& where);
  // A tokenizer from parts (what the trainer produces), with Llama-3's pre-tokenizer.
  BpeTokenizer(std::unordered_map<std::string, int64_t> vocab,
               std::vector<std::pair<std::string, std::string>> merges,
               std::vector<AddedToken> added_tokens);

  // Invalid UTF-8 in `text` is replaced by U+FFFD before encoding.
  std::vector<int64_t> encode(std::string_view text) const;
  // Undecodable bytes become U+FFFD; an id outside the vocabulary is an Error.
  std::string decode(const std::vector<int64_t>& ids) const;

  int64_t vocab_size() const { return static_cast<int64_t>(id_to_token_.size()); }
  std::optional<int64_t> token_id(const std::string& token) const;
  const std::vector<AddedToken>& added_tokens() const { return added_; }

  Json to_json() const;
  void save(const std::string& path) const;

 private:
  BpeTokenizer() = default;
  void index();
  void encode_piece(const std::string& piece, std::vector<int64_t>& out) const;

  Json pretokenizer_json_;
  Pretokenizer pretokenizer_;
  std::unordered_map<std::string, int64_t> vocab_;
  std::vector<std::pair<std::string, std::string>> merges_;
  std::vector<AddedToken> added_;
  bool ignore_merges_ = false;

  std::vector<std::string> id_to_token_;
  // The bytes an added token starts with: encode() tries added tokens only where one may start.
  std::array<bool, 256> added_starts_{};
  // By the merged pair's ids (pair_key): the merge's rank and the id it makes.
  static uint64_t pair_key(int64_t left, int64_t right) {
    return (static_cast<uint64_t>(left) << 32) | static_cast<uint64_t>(right);
  }
  std::unordered_map<uint64_t, std::pair<int64_t, int64_t>> merges_by_id_;
};

}  // namespace kvchain
