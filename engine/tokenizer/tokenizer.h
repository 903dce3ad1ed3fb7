#pragma once

#include <cstdint>
#include <memory>
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
#include "engine/tokenizer/post_processor.h"
#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/token_model.h"

namespace kvchain {

// A tokenizer read from (and written as) a Hugging Face tokenizer.json, encoding and decoding
// as HF tokenizers does: added tokens (raw and normalized, with their flags), the normalizer,
// the pre-tokenizer, the model (BPE or WordPiece: token_model.h), the post-processor and the
// decoder.
class Tokenizer {
 public:
  static Tokenizer from_file(const std::string& path);
  static Tokenizer from_json(const Json& json, const std::string& where);
  // A byte-level BPE tokenizer from parts (what the trainer produces), with Llama-3's
  // pre-tokenizer.
  Tokenizer(Vocab vocab, std::vector<std::pair<std::string, std::string>> merges,
            std::vector<AddedToken> added_tokens);

  // The text's ids, no special tokens added. Invalid UTF-8 in `text` is replaced by U+FFFD
  // before encoding.
  std::vector<int64_t> encode(std::string_view text) const;
  // The same within the post-processor's special tokens (BERT's [CLS] ... [SEP]), as HF's
  // encode(text, add_special_tokens=True) gives them to an encoder.
  std::vector<int64_t> encode_with_special_tokens(std::string_view text) const;
  // Ids encode() gave, within the post-processor's special tokens.
  std::vector<int64_t> with_special_tokens(const std::vector<int64_t>& ids) const;
  // Undecodable bytes become U+FFFD; an id outside the vocabulary is an Error.
  std::string decode(const std::vector<int64_t>& ids) const;

  int64_t vocab_size() const { return static_cast<int64_t>(id_to_token_.size()); }
  std::optional<int64_t> token_id(const std::string& token) const;
  const std::vector<AddedToken>& added_tokens() const { return added_; }

  Json to_json() const;
  void save(const std::string& path) const;

 private:
  Tokenizer() = default;
  void index();
  // One pre-tokenized piece through the model; `cache` keeps short pieces' ids for the call.
  void encode_piece(const std::string& piece, std::vector<int64_t>& out,
                    std::unordered_map<std::string, std::vector<int64_t>>& cache) const;
  void encode_plain(std::string_view text, bool first, std::vector<int64_t>& out,
                    std::unordered_map<std::string, std::vector<int64_t>>& cache) const;

  Json normalizer_json_, pretokenizer_json_, post_processor_json_, decoder_json_;
  Normalizer normalizer_;
  Pretokenizer pretokenizer_;
  PostProcessor post_processor_;
  Decoder decoder_;
  std::shared_ptr<const TokenModel> model_;
  std::vector<AddedToken> added_;

  std::vector<std::string> id_to_token_;
  std::unordered_map<std::string, int64_t> added_ids_;
  AddedTokenMatcher raw_matcher_, normalized_matcher_;
};

}  // namespace kvchain
