#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/io/json_file.h"

namespace kvchain {

using Vocab = std::unordered_map<std::string, int64_t>;

// The "model" of a tokenizer.json: one pre-tokenized piece to token ids.
class TokenModel {
 public:
  virtual ~TokenModel() = default;
  // Appends the ids of `piece` (already normalized and pre-tokenized) to `out`.
  virtual void encode_piece(const std::string& piece, std::vector<int64_t>& out) const = 0;
  virtual const Vocab& vocab() const = 0;
  virtual Json to_json() const = 0;
};

// A BPE or WordPiece model from a tokenizer.json's "model"; any other type is refused by name.
std::shared_ptr<const TokenModel> token_model_from_json(const Json& model,
                                                        const std::string& where);

// A token id of a tokenizer.json: not negative, and below 2^21 (real vocabularies stop near
// 2^18), so that the id-to-token table a tokenizer builds stays small.
int64_t checked_token_id(int64_t id, const std::string& at);

// The model's "vocab" object; two tokens with one id are an Error naming both.
Vocab read_vocab(const Json& model, const std::string& where);

}  // namespace kvchain
