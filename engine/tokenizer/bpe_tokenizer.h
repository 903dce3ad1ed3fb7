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
#include "engine/tokenizer/added_vocabulary.h"
#include "engine/tokenizer/decoder.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/pretokenizer.h"

namespace kvchain {

// A BPE tokenizer read from (and written as) a Hugging Face tokenizer.json, encoding and
// decoding as HF tokenizers does: added tokens (raw and normalized, with their flags), the
// normalizer, the pre-tokenizer, BPE merges (byte-level vocabularies such as Llama 3's, Qwen's
// and DeepSeek's; byte-fallback ones with an unknown token such as Llama 2's and Gemma's) and
// the decoder. Never adds special tokens (no post-processor).
class BpeTokenizer {
 public:
  static BpeTokenizer from_file(const std::string& path);
  static BpeTokenizer from_json(const Json& json, const std::string& where);
  // A byte-level tokenizer from parts (what the trainer produces), with Llama-3's
  // pre-tokenizer.
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
  // One pre-tokenized piece through the model; `cache` keeps short pieces' ids for the call.
  void encode_piece(const std::string& piece, std::vector<int64_t>& out,
                    std::unordered_map<std::string, std::vector<int64_t>>& cache) const;
  void merge_piece(const std::string& piece, std::vector<int64_t>& out) const;
  void encode_plain(std::string_view text, bool first, std::vector<int64_t>& out,
                    std::unordered_map<std::string, std::vector<int64_t>>& cache) const;

  Json normalizer_json_, pretokenizer_json_, decoder_json_;
  Normalizer normalizer_;
  Pretokenizer pretokenizer_;
  Decoder decoder_;
  std::unordered_map<std::string, int64_t> vocab_;
  std::vector<std::pair<std::string, std::string>> merges_;
  std::vector<AddedToken> added_;
  bool ignore_merges_ = false;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  std::optional<std::string> unk_token_;

  std::vector<std::string> id_to_token_;
  std::unordered_map<std::string, int64_t> added_ids_;
  AddedTokenMatcher raw_matcher_, normalized_matcher_;
  int64_t unk_id_ = -1;
  std::array<int64_t, 256> byte_ids_{};  // "<0xXX>" tokens for byte fallback, -1 if absent
  // By the merged pair's ids (pair_key): the merge's rank and the id it makes.
  static uint64_t pair_key(int64_t left, int64_t right) {
    return (static_cast<uint64_t>(left) << 32) | static_cast<uint64_t>(right);
  }
  std::unordered_map<uint64_t, std::pair<int64_t, int64_t>> merges_by_id_;
};

}  // namespace kvchain
