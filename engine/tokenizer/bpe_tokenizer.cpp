#include "engine/tokenizer/bpe_tokenizer.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <queue>
#include <unordered_map>

#include "engine/io/error.h"
#include "engine/tokenizer/byte_level.h"

namespace kvchain {
namespace {

std::pair<std::string, std::string> parse_merge(const Json& merge, const std::string& where) {
  if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
    return {merge[0].get<std::string>(), merge[1].get<std::string>()};
  }
  if (merge.is_string()) {  // the older "left right" spelling
    const auto text = merge.get<std::string>();
    const auto space = text.find(' ');
    if (space != std::string::npos && text.find(' ', space + 1) == std::string::npos) {
      return {text.substr(0, space), text.substr(space + 1)};
    }
  }
  throw Error(where + ": a merge must be [\"left\", \"right\"] or \"left right\"");
}

// A token id of a tokenizer.json: not negative, and below 2^21 (real vocabularies stop near
// 2^18), so that the id-to-token table index() builds stays small.
int64_t checked_id(int64_t id, const std::string& at) {
  constexpr int64_t kMaxId = int64_t{1} << 21;
  if (id < 0 || id >= kMaxId) {
    throw Error(at + ": id " + std::to_string(id) + " is outside 0.." + std::to_string(kMaxId - 1));
  }
  return id;
}

}  // namespace

BpeTokenizer BpeTokenizer::from_file(const std::string& path) {
  try {
    return from_json(read_json_file(path), path);
  } catch (const nlohmann::json::exception& e) {  // a field of a type the checks below miss
    throw Error(path + ": " + e.what());
  }
}

BpeTokenizer BpeTokenizer::from_json(const Json& json, const std::string& where) {
  BpeTokenizer t;
  if (!json.is_object()) throw Error(where + ": a tokenizer.json is a JSON object");
  const auto& model = require_field(json, "model", where);
  if (!model.is_object()) throw Error(where + ": model must be an object");
  const auto type =
      json_string(require_field(model, "type", where + ": model"), where + ": model.type");
  if (type != "BPE") throw Error(where + ": model.type '" + type + "' is not BPE");
  t.ignore_merges_ = json_bool_field_or(model, "ignore_merges", false, where + ": model");
  t.byte_fallback_ = json_bool_field_or(model, "byte_fallback", false, where + ": model");
  t.fuse_unk_ = json_bool_field_or(model, "fuse_unk", false, where + ": model");
  if (model.contains("unk_token") && !model["unk_token"].is_null()) {
    t.unk_token_ = json_string(model["unk_token"], where + ": model.unk_token");
  }
  // Word affixes (WordPiece-style BPE) and dropout change what is encoded: refused unless off.
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(affix) && !model[affix].is_null() &&
        json_string(model[affix], where + ": model." + affix) != "") {
      throw Error(where + ": model." + affix + " is not supported (only \"\" or null)");
    }
  }
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() && model["dropout"].get<double>() == 0.0)) {
    throw Error(where + ": model.dropout is not supported (only null or 0)");
  }
  t.normalizer_json_ = json.contains("normalizer") ? json["normalizer"] : Json();
  t.normalizer_ = Normalizer::from_json(t.normalizer_json_, where + ": normalizer");
  t.decoder_json_ = json.contains("decoder") ? json["decoder"] : Json();
  t.decoder_ = Decoder::from_json(t.decoder_json_, where + ": decoder");
  const auto& vocab = require_field(model, "vocab", where + ": model");
  if (!vocab.is_object()) throw Error(where + ": model.vocab is not an object");
  std::unordered_map<int64_t, std::string> token_of_id;
  for (const auto& [token, id] : vocab.items()) {
    const auto at = where + ": model.vocab[\"" + token + "\"]";
    const auto value = checked_id(json_int(id, at), at);
    const auto [other, fresh] = token_of_id.emplace(value, token);
    if (!fresh) {
      throw Error(where + ": model.vocab gives id " + std::to_string(value) + " to both \"" +
                  other->second + "\" and \"" + token + "\"");
    }
    t.vocab_[token] = value;
  }
  const auto& merges = require_field(model, "merges", where + ": model");
  if (!merges.is_array()) {
    throw Error(where + ": model.merges must be a list of merges, not " +
                std::string(merges.type_name()));
  }
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto at = where + ": model.merges[" + std::to_string(i) + "]";
    auto merge = parse_merge(merges[i], at);
    // A merge joins two tokens of the vocabulary into a third (HF tokenizers refuses others).
    for (const auto& token : {merge.first, merge.second, merge.first + merge.second}) {
      if (!t.vocab_.count(token)) {
        throw Error(at + ": \"" + merge.first + " " + merge.second + "\" needs \"" + token +
                    "\", which model.vocab lacks");
      }
    }
    t.merges_.push_back(std::move(merge));
  }
  if (json.contains("added_tokens")) {
    if (!json["added_tokens"].is_array()) throw Error(where + ": added_tokens must be a list");
    std::unordered_map<int64_t, std::string> added_of_id;
    for (size_t i = 0; i < json["added_tokens"].size(); ++i) {
      const auto& added = json["added_tokens"][i];
      const auto at = where + ": added_tokens[" + std::to_string(i) + "]";
      if (!added.is_object()) throw Error(at + " is not an object");
      const auto id = checked_id(json_int(require_field(added, "id", at), at + ".id"), at + ".id");
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
  t.pretokenizer_json_ = json.contains("pre_tokenizer") ? json["pre_tokenizer"] : Json();
  t.pretokenizer_ = Pretokenizer::from_json(t.pretokenizer_json_, where + ": pre_tokenizer");
  t.index();
  return t;
}

BpeTokenizer::BpeTokenizer(std::unordered_map<std::string, int64_t> vocab,
                           std::vector<std::pair<std::string, std::string>> merges,
                           std::vector<AddedToken> added_tokens)
    : pretokenizer_json_(Pretokenizer::llama3_json()),
      decoder_json_({{"type", "ByteLevel"},
                     {"add_prefix_space", true},
                     {"trim_offsets", true},
                     {"use_regex", true}}),
      pretokenizer_(Pretokenizer::from_json(pretokenizer_json_, "llama3 pre-tokenizer")),
      decoder_(Decoder::from_json(decoder_json_, "ByteLevel decoder")),
      vocab_(std::move(vocab)),
      merges_(std::move(merges)),
      added_(std::move(added_tokens)) {
  index();
}

void BpeTokenizer::index() {
  int64_t max_id = -1;
  for (const auto& [token, id] : vocab_) max_id = std::max(max_id, id);
  for (const auto& added : added_) max_id = std::max(max_id, added.id);
  id_to_token_.assign(max_id + 1, std::string());
  for (const auto& [token, id] : vocab_) {
    if (id < 0) throw Error("tokenizer: negative id for token '" + token + "'");
    id_to_token_[id] = token;
  }
  added_ids_.clear();
  for (const auto& added : added_) {
    id_to_token_[added.id] = added.content;
    added_ids_.emplace(added.content, added.id);
  }
  // A merge's parts and result are in the vocabulary (from_json checks it; the trainer makes
  // them so); the first of repeated merges ranks.
  merges_by_id_.clear();
  for (size_t i = 0; i < merges_.size(); ++i) {
    const auto& [left, right] = merges_[i];
    const auto l = vocab_.find(left), r = vocab_.find(right), joined = vocab_.find(left + right);
    if (l == vocab_.end() || r == vocab_.end() || joined == vocab_.end()) {
      throw Error("tokenizer: merge \"" + left + " " + right +
                  "\" joins tokens outside the vocabulary");
    }
    merges_by_id_.emplace(pair_key(l->second, r->second),
                          std::make_pair(static_cast<int64_t>(i), joined->second));
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
  unk_id_ = -1;
  if (unk_token_) {
    const auto unk = token_id(*unk_token_);
    if (!unk) throw Error("tokenizer: unk_token \"" + *unk_token_ + "\" is not in the vocabulary");
    unk_id_ = *unk;
  }
  static const char* kHex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const auto found = vocab_.find(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">");
    byte_ids_[b] = found == vocab_.end() ? -1 : found->second;
  }
}

std::optional<int64_t> BpeTokenizer::token_id(const std::string& token) const {
  const auto added = added_ids_.find(token);
  if (added != added_ids_.end()) return added->second;
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

void BpeTokenizer::merge_piece(const std::string& piece, std::vector<int64_t>& out) const {
  if (ignore_merges_) {
    auto whole = vocab_.find(piece);
    if (whole != vocab_.end()) {
      out.push_back(whole->second);
      return;
    }
  }
  // The piece's characters as a linked list of symbols, merged by a priority queue of adjacent
  // pairs ordered by merge rank, then position: always the lowest-ranked pair, leftmost on ties
  // (HF tokenizers' order), in O(n log n) for a piece of n characters. A queued pair is stale
  // once either symbol has changed (its id) or left the list. A character outside the
  // vocabulary becomes its bytes' "<0xXX>" tokens under byte fallback, else the unknown token
  // (one for a run of them when fuse_unk).
  struct Symbol {
    int64_t id;
    int64_t prev, next;
  };
  std::vector<Symbol> symbols;
  const auto push = [&](int64_t id) {
    const auto index = static_cast<int64_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1});
  };
  bool last_unknown = false;
  for (size_t i = 0; i < piece.size();) {
    const size_t n = utf8_char_length(static_cast<unsigned char>(piece[i]));
    const auto character = piece.substr(i, n);
    i += n;
    const auto found = vocab_.find(character);
    if (found != vocab_.end()) {
      push(found->second);
      last_unknown = false;
      continue;
    }
    if (byte_fallback_ && std::all_of(character.begin(), character.end(), [&](char c) {
          return byte_ids_[static_cast<unsigned char>(c)] >= 0;
        })) {
      for (const char c : character) push(byte_ids_[static_cast<unsigned char>(c)]);
      last_unknown = false;
      continue;
    }
    if (unk_id_ < 0) {
      throw Error("tokenizer: '" + character +
                  "' is not in the vocabulary, which has no byte fallback and no unk_token");
    }
    if (!(fuse_unk_ && last_unknown)) push(unk_id_);
    last_unknown = true;
  }
  if (!symbols.empty()) symbols.back().next = -1;
  struct Pair {
    int64_t rank, left, left_id, right_id;
    bool operator>(const Pair& other) const {
      return rank != other.rank ? rank > other.rank : left > other.left;
    }
  };
  std::priority_queue<Pair, std::vector<Pair>, std::greater<Pair>> queue;
  const auto offer = [&](int64_t left) {
    if (left < 0 || symbols[left].next < 0) return;
    const auto& l = symbols[left];
    const auto& r = symbols[l.next];
    const auto found = merges_by_id_.find(pair_key(l.id, r.id));
    if (found != merges_by_id_.end()) queue.push({found->second.first, left, l.id, r.id});
  };
  for (int64_t i = 0; i + 1 < static_cast<int64_t>(symbols.size()); ++i) offer(i);
  while (!queue.empty()) {
    const auto top = queue.top();
    queue.pop();
    auto& left = symbols[top.left];
    if (left.id != top.left_id || left.next < 0 || symbols[left.next].id != top.right_id) continue;
    auto& right = symbols[left.next];
    left.id = merges_by_id_.at(pair_key(top.left_id, top.right_id)).second;
    left.next = right.next;
    right.id = -2;  // gone: no queued pair matches it again
    if (left.next >= 0) symbols[left.next].prev = top.left;
    offer(left.prev);
    offer(top.left);
  }
  for (int64_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) {
    out.push_back(symbols[i].id);
  }
}

void BpeTokenizer::encode_piece(
    const std::string& piece, std::vector<int64_t>& out,
    std::unordered_map<std::string, std::vector<int64_t>>& cache) const {
  // Prose repeats its words: pieces up to this many bytes are merged once per call.
  constexpr size_t kCachedPieceBytes = 64;
  if (piece.size() > kCachedPieceBytes) {
    merge_piece(piece, out);
    return;
  }
  const auto found = cache.find(piece);
  if (found != cache.end()) {
    out.insert(out.end(), found->second.begin(), found->second.end());
    return;
  }
  const size_t before = out.size();
  merge_piece(piece, out);
  cache.emplace(piece,
                std::vector<int64_t>(out.begin() + static_cast<std::ptrdiff_t>(before), out.end()));
}

void BpeTokenizer::encode_plain(
    std::string_view text, bool first, std::vector<int64_t>& out,
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

std::vector<int64_t> BpeTokenizer::encode(std::string_view raw) const {
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

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids) const {
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

Json BpeTokenizer::to_json() const {
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
  Json merges = Json::array();
  for (const auto& [left, right] : merges_) merges.push_back({left, right});
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", normalizer_json_},
          {"pre_tokenizer", pretokenizer_json_},
          {"post_processor", nullptr},
          {"decoder", decoder_json_},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", unk_token_ ? Json(*unk_token_) : Json()},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", fuse_unk_},
            {"byte_fallback", byte_fallback_},
            {"ignore_merges", ignore_merges_},
            {"vocab", vocab_},
            {"merges", merges}}}};
}

void BpeTokenizer::save(const std::string& path) const {
  write_json_file_atomic(path, to_json());
}

}  // namespace kvchain
