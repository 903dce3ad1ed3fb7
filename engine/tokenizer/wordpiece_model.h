#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tokenizer/token_model.h"

namespace kvchain {

// WordPiece as BERT and HF tokenizers run it: each word split greedily into the longest
// vocabulary prefix, then the longest "##"-prefixed continuation, and so on; a word with a
// part no entry covers, or longer than max_input_chars_per_word characters, is the unknown
// token as a whole.
class WordPieceModel : public TokenModel {
 public:
  static WordPieceModel from_json(const Json& model, const std::string& where);

  void encode_piece(const std::string& piece, std::vector<int64_t>& out) const override;
  const Vocab& vocab() const override { return vocab_; }
  Json to_json() const override;

 private:
  WordPieceModel() = default;
  Vocab vocab_;
  std::string unk_token_ = "[UNK]";
  std::string prefix_ = "##";
  int64_t max_input_chars_per_word_ = 100;
  int64_t unk_id_ = -1;
  size_t longest_token_ = 0;  // bytes of the longest entry: no longer match is tried
};

}  // namespace kvchain
