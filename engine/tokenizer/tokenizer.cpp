#include "engine/tokenizer/tokenizer.h"

#include <algorithm>

#include "engine/io/error.h"
#include "engine/tokenizer/bpe_model.h"
#include "engine/tokenizer/byte_level.h"

namespace kvchain {

Tokenizer Tokenizer::from_file(const std::string& path) {
  try {
    return from_json(read_json_file(path), path);
  } catch (const nlohmann::json::exception& e) {  // a field of a type the checks below miss
    throw Error(path + ": " + e.what());
  }
}

Tokenizer Tokenizer::from_json(const Json& json, const std::string& where) {
  Tokenizer t;
  if (!json.is_object()) throw Error(where + ": a tokenizer.json is a JSON object");
  t.model_ = token_model_from_json(require_field(json, "model", where), where + ": model");
  std::unordered_map<int64_t, std::string> token_of_id;
  for (const auto& [token, id] : t.model_->vocab()) token_of_id.emplace(id, token);
  const auto component = [&](const char* key) { return json.contains(key) ? json[key] : Json(); };
  t.normalizer_json_ = component("normalizer");
  t.normalizer_ = Normalizer::from_json(t.normalizer_json_, where + ": normalizer");
  t.decoder_json_ = component("decoder");
  t.decoder_ = Decoder::from_json(t.decoder_json_, where + ": decoder");
  t.post_processor_json_ = component("post_processor");
  t.post_processor_ = PostProcessor::from_json(t.post_processor_json_, where + ": post_processor");
  if (json.contains("added_tokens")) {
    if (!json["added_tokens"].is_array()) throw Error(where + ": added_tokens must be a list");
    std::unordered_map<int64_t, std::string> added_of_id;
    for (size_t i = 0; i < json["added_tokens"].size(); ++i) {
      const auto& added = json["added_tokens"][i];
      const auto at = where + ": added_tokens[" + std::to_string(i) + "]";
      if (!added.is_object()) throw Error(at + " is not an object");
      const auto id =
          checked_token_id(json_int(require_field(added, "id", at), at + ".id"), at + ".id");
      const auto content = json_string(require_field(added, "content", at), at + ".content");
      // An added token may restate a vocabulary entry (GPT-2's <|endoftext|>), never take the
      // id of another token.
      const auto in_vocab = token_of_id.find(id);
      const auto [other, fresh] = added_of_id.emplace(id, content);
      if ((in_vocab != token_of_id.end() && in_vocab->second != content) || !fresh) {
        throw Error(at + ": id " + std::to_string(id) + " of \"" + content +
                    "\" already belongs to \"" + (fresh ? in_vocab->second : other->second) + "\"");
      }
      AddedToken token{id, content};
      token.special = json_bool_field_or(added, "special", false, at);
      token.normalized = json_bool_field_or(added, "normalized", !token.special, at);
      token.lstrip = json_bool_field_or(added, "lstrip", false, at);
      token.rstrip = json_bool_field_or(added, "rstrip", false, at);
      token.single_word = json_bool_field_or(added, "single_word", false, at);
      t.added_.push_back(std::move(token));
    }
  }
  t.pretokenizer_json_ = component("pre_tokenizer");
  t.pretokenizer_ = Pretokenizer::from_json(t.pretokenizer_json_, where + ": pre_tokenizer");
  t.index();
  return t;
}

Tokenizer::Tokenizer(Vocab vocab, std::vector<std::pair<std::string, std::string>> merges,
                     std::vector<AddedToken> added_tokens)
    : pretokenizer_json_(Pretokenizer::llama3_json()),
      decoder_json_({{"type", "ByteLevel"},
                     {"add_prefix_space", true},
                     {"trim_offsets", true},
                     {"use_regex", true}}),
      pretokenizer_(Pretokenizer::from_json(pretokenizer_json_, "llama3 pre-tokenizer")),
      decoder_(Decoder::from_json(decoder_json_, "ByteLevel decoder")),
      model_(std::make_shared<BpeModel>(std::move(vocab), std::move(merges))),
      added_(std::move(added_tokens)) {
  index();
}

void Tokenizer::index() {
  const auto& vocab = model_->vocab();
  int64_t max_id = -1;
  for (const auto& [token, id] : vocab) max_id = std::max(max_id, id);
  for (const auto& added : added_) max_id = std::max(max_id, added.id);
  id_to_token_.assign(max_id + 1, std::string());
  for (const auto& [token, id] : vocab) {
    if (id < 0) throw Error("tokenizer: negative id for token '" + token + "'");
    id_to_token_[id] = token;
  }
  added_ids_.clear();
  for (const auto& added : added_) {
    id_to_token_[added.id] = added.content;
    added_ids_.emplace(added.content, added.id);
  }
  // HF matches the tokens not normalized in the raw text, the others (their contents
  // normalized too) in each normalized stretch between those.
  std::vector<AddedToken> raw, normalized;
  std::vector<std::string> raw_patterns, normalized_patterns;
  for (const auto& added : added_) {
    if (added.normalized) {
      normalized.push_back(added);
      normalized_patterns.push_back(normalizer_.normalize(added.content));
    } else {
      raw.push_back(added);
      raw_patterns.push_back(added.content);
    }
  }
  raw_matcher_ = AddedTokenMatcher(std::move(raw), raw_patterns);
  normalized_matcher_ = AddedTokenMatcher(std::move(normalized), normalized_patterns);
}

std::optional<int64_t> Tokenizer::token_id(const std::string& token) const {
  const auto added = added_ids_.find(token);
  if (added != added_ids_.end()) return added->second;
  const auto it = model_->vocab().find(token);
  if (it == model_->vocab().end()) return std::nullopt;
  return it->second;
}

void Tokenizer::encode_piece(const std::string& piece, std::vector<int64_t>& out,
                             std::unordered_map<std::string, std::vector<int64_t>>& cache) const {
  // Prose repeats its words: pieces up to this many bytes are merged once per call.
  constexpr size_t kCachedPieceBytes = 64;
  if (piece.size() > kCachedPieceBytes) {
    model_->encode_piece(piece, out);
    return;
  }
  const auto found = cache.find(piece);
  if (found != cache.end()) {
    out.insert(out.end(), found->second.begin(), found->second.end());
    return;
  }
  const size_t before = out.size();
  model_->encode_piece(piece, out);
  cache.emplace(piece,
                std::vector<int64_t>(out.begin() + static_cast<std::ptrdiff_t>(before), out.end()));
}

void Tokenizer::encode_plain(std::string_view text, bool first, std::vector<int64_t>& out,
                             std::unordered_map<std::string, std::vector<int64_t>>& cache) const {
  const auto pretokenize = [&](std::string_view plain, bool at_start) {
    for (const auto& piece : pretokenizer_.split({std::string(plain), at_start})) {
      encode_piece(piece.text, out, cache);
    }
  };
  if (normalizer_.identity() && normalized_matcher_.empty()) {
    pretokenize(text, first);
    return;
  }
  const std::string normalized = normalizer_.normalize(text);
  for (const auto& segment : normalized_matcher_.split(normalized)) {
    if (segment.id >= 0) {
      out.push_back(segment.id);
    } else {
      pretokenize(std::string_view(normalized).substr(segment.begin, segment.end - segment.begin),
                  first && segment.begin == 0);
    }
  }
}

std::vector<int64_t> Tokenizer::encode_with_special_tokens(std::string_view text) const {
  return with_special_tokens(encode(text));
}

std::vector<int64_t> Tokenizer::with_special_tokens(const std::vector<int64_t>& ids) const {
  return post_processor_.wrap(ids);
}

std::vector<int64_t> Tokenizer::encode(std::string_view raw) const {
  const std::string text = sanitize_utf8(raw);
  std::vector<int64_t> ids;
  std::unordered_map<std::string, std::vector<int64_t>> cache;
  for (const auto& segment : raw_matcher_.split(text)) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
    } else if (segment.end > segment.begin) {
      encode_plain(std::string_view(text).substr(segment.begin, segment.end - segment.begin),
                   segment.begin == 0, ids, cache);
    }
  }
  return ids;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const auto id : ids) {
    if (id < 0 || id >= vocab_size()) {
      throw Error("tokenizer: id " + std::to_string(id) + " is outside the vocabulary (size " +
                  std::to_string(vocab_size()) + ")");
    }
    tokens.push_back(id_to_token_[id]);
  }
  return decoder_.decode(std::move(tokens));
}

Json Tokenizer::to_json() const {
  Json added = Json::array();
  auto sorted = added_;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& token : sorted) {
    added.push_back({{"id", token.id},
                     {"content", token.content},
                     {"single_word", token.single_word},
                     {"lstrip", token.lstrip},
                     {"rstrip", token.rstrip},
                     {"normalized", token.normalized},
                     {"special", token.special}});
  }
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", normalizer_json_},
          {"pre_tokenizer", pretokenizer_json_},
          {"post_processor", post_processor_json_},
          {"decoder", decoder_json_},
          {"model", model_->to_json()}};
}

void Tokenizer::save(const std::string& path) const {
  write_json_file_atomic(path, to_json());
}

}  // namespace kvchain
