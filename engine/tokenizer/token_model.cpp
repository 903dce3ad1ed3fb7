#include "engine/tokenizer/token_model.h"

#include "engine/io/error.h"
#include "engine/tokenizer/bpe_model.h"
#include "engine/tokenizer/wordpiece_model.h"

namespace kvchain {

std::shared_ptr<const TokenModel> token_model_from_json(const Json& model,
                                                        const std::string& where) {
  if (!model.is_object()) throw Error(where + " must be an object");
  const auto type = json_string(require_field(model, "type", where), where + ".type");
  if (type == "BPE") return std::make_shared<BpeModel>(BpeModel::from_json(model, where));
  if (type == "WordPiece") {
    return std::make_shared<WordPieceModel>(WordPieceModel::from_json(model, where));
  }
  throw Error(where + ".type '" + type + "' is not supported (kvchain supports BPE and WordPiece)");
}

int64_t checked_token_id(int64_t id, const std::string& at) {
  constexpr int64_t kMaxId = int64_t{1} << 21;
  if (id < 0 || id >= kMaxId) {
    throw Error(at + ": id " + std::to_string(id) + " is outside 0.." + std::to_string(kMaxId - 1));
  }
  return id;
}

Vocab read_vocab(const Json& model, const std::string& where) {
  const auto& vocab = require_field(model, "vocab", where);
  if (!vocab.is_object()) throw Error(where + ".vocab is not an object");
  Vocab out;
  std::unordered_map<int64_t, std::string> token_of_id;
  for (const auto& [token, id] : vocab.items()) {
    const auto at = where + ".vocab[\"" + token + "\"]";
    const auto value = checked_token_id(json_int(id, at), at);
    const auto [other, fresh] = token_of_id.emplace(value, token);
    if (!fresh) {
      throw Error(where + ".vocab gives id " + std::to_string(value) + " to both \"" +
                  other->second + "\" and \"" + token + "\"");
    }
    out[token] = value;
  }
  return out;
}

}  // namespace kvchain
