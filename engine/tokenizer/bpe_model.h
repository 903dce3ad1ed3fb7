#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/tokenizer/token_model.h"

namespace kvchain {

// BPE as HF tokenizers runs it: byte-level vocabularies (Llama 3, Qwen, DeepSeek) and
// byte-fallback ones with an unknown token (Llama 2, Gemma), with fuse_unk and ignore_merges.
class BpeModel : public TokenModel {
 public:
  static BpeModel from_json(const Json& model, const std::string& where);
  // A byte-level model from parts (what the trainer produces).
  BpeModel(Vocab vocab, std::vector<std::pair<std::string, std::string>> merges);

  void encode_piece(const std::string& piece, std::vector<int64_t>& out) const override;
  const Vocab& vocab() const override { return vocab_; }
  Json to_json() const override;

 private:
  BpeModel() = default;
  void index();

  Vocab vocab_;
  std::vector<std::pair<std::string, std::string>> merges_;
  bool ignore_merges_ = false;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  std::optional<std::string> unk_token_;

  int64_t unk_id_ = -1;
  std::array<int64_t, 256> byte_ids_{};  // "<0xXX>" tokens for byte fallback, -1 if absent
  // By the merged pair's ids (pair_key): the merge's rank and the id it makes.
  static uint64_t pair_key(int64_t left, int64_t right) {
    return (static_cast<uint64_t>(left) << 32) | static_cast<uint64_t>(right);
  }
  std::unordered_map<uint64_t, std::pair<int64_t, int64_t>> merges_by_id_;
};

}  // namespace kvchain
