#include "engine/tokenizer/wordpiece_model.h"

#include <algorithm>

#include "engine/io/error.h"
#include "engine/tokenizer/byte_level.h"

namespace kvchain {

WordPieceModel WordPieceModel::from_json(const Json& model, const std::string& where) {
  WordPieceModel m;
  m.vocab_ = read_vocab(model, where);
  if (model.contains("unk_token")) {
    m.unk_token_ = json_string(model["unk_token"], where + ".unk_token");
  }
  if (model.contains("continuing_subword_prefix")) {
    m.prefix_ =
        json_string(model["continuing_subword_prefix"], where + ".continuing_subword_prefix");
  }
  if (model.contains("max_input_chars_per_word")) {
    m.max_input_chars_per_word_ =
        json_int(model["max_input_chars_per_word"], where + ".max_input_chars_per_word");
  }
  const auto unk = m.vocab_.find(m.unk_token_);
  if (unk == m.vocab_.end()) {
    throw Error(where + ".unk_token \"" + m.unk_token_ + "\" is not in " + where + ".vocab");
  }
  m.unk_id_ = unk->second;
  for (const auto& [token, id] : m.vocab_)
    m.longest_token_ = std::max(m.longest_token_, token.size());
  return m;
}

void WordPieceModel::encode_piece(const std::string& piece, std::vector<int64_t>& out) const {
  int64_t characters = 0;
  for (size_t i = 0; i < piece.size();
       i += utf8_char_length(static_cast<unsigned char>(piece[i]))) {
    ++characters;
  }
  if (characters > max_input_chars_per_word_) {
    out.push_back(unk_id_);
    return;
  }
  const size_t before = out.size();
  std::string candidate;
  for (size_t start = 0; start < piece.size();) {
    // The longest match first: shrink the end one character at a time.
    const std::string lead = start > 0 ? prefix_ : "";
    size_t end = std::min(
        piece.size(), start + (longest_token_ > lead.size() ? longest_token_ - lead.size() : 0));
    while (end > start && end < piece.size() &&
           (static_cast<unsigned char>(piece[end]) & 0xC0) == 0x80) {
      --end;  // a match ends on a character boundary
    }
    int64_t found = -1;
    while (end > start) {
      candidate.assign(lead).append(piece, start, end - start);
      const auto it = vocab_.find(candidate);
      if (it != vocab_.end()) {
        found = it->second;
        break;
      }
      do {
        --end;
      } while (end > start && (static_cast<unsigned char>(piece[end]) & 0xC0) == 0x80);
    }
    if (found < 0) {
      out.resize(before);
      out.push_back(unk_id_);
      return;
    }
    out.push_back(found);
    start = end;
  }
}

Json WordPieceModel::to_json() const {
  return {{"type", "WordPiece"},
          {"unk_token", unk_token_},
          {"continuing_subword_prefix", prefix_},
          {"max_input_chars_per_word", max_input_chars_per_word_},
          {"vocab", vocab_}};
}

}  // namespace kvchain
