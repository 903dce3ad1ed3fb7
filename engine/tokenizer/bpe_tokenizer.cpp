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

void require_null_or(const Json& json, const char* key, const char* type,
                     const std::string& where) {
  if (!json.contains(key) || json[key].is_null()) return;
  if (!json[key].is_object()) {
    throw Error(where + ": " + key + " must be an object or null, not " + json[key].type_name());
  }
  const auto& kind = json[key].contains("type") ? json[key]["type"] : Json();
  const auto actual = kind.is_string() ? kind.get<std::string>() : kind.dump();
  if (actual != type) {
    throw Error(where + ": unsupported " + key + " '" + actual + "' (kvchain supports " + type +
                " byte-level BPE)");
  }
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
  for (const char* flag : {"byte_fallback", "ignore_merges"}) {
    if (model.contains(flag) && !model[flag].is_boolean() && !model[flag].is_null()) {
      throw Error(where + ": model." + flag + " must be true or false");
    }
  }
  if (model.contains("byte_fallback") && model["byte_fallback"] == true) {
    throw Error(where + ": byte_fallback BPE (SentencePiece style) is not supported");
  }
  if (json.contains("normalizer") && !json["normalizer"].is_null()) {
    throw Error(where + ": normalizers are not supported (byte-level BPE uses none)");
  }
  require_null_or(json, "decoder", "ByteLevel", where);
  t.ignore_merges_ = model.contains("ignore_merges") && model["ignore_merges"] == true;
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
      t.added_.push_back({id, content, added.value("special", false)});
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
      pretokenizer_(Pretokenizer::from_json(pretokenizer_json_, "llama3 pre-tokenizer")),
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
  for (const auto& added : added_) id_to_token_[added.id] = added.content;
  // A merge's parts and result are in the vocabulary (from_json checks it; the trainer makes
  // them so); the first of repeated merges ranks.
  merges_by_id_.clear();
  for (size_t i = 0; i < merges_.size(); ++i) {
    const auto& [left, right] = merges_[i];
    const auto l = vocab_.find(left), r = vocab_.find(right), joined = vocab_.find(left + right);
    if (l == vocab_.end() || r == vocab_.end() || joined == vocab_.end()) {
      throw Error("tokenizer: merge \"" + left + " " + right +
                  "\" joins tokens outside the "
                  "vocabulary");
    }
    merges_by_id_.emplace(pair_key(l->second, r->second),
                          std::make_pair(static_cast<int64_t>(i), joined->second));
  }
  added_starts_.fill(false);
  for (const auto& added : added_) {
    if (!added.content.empty()) added_starts_[static_cast<unsigned char>(added.content[0])] = true;
  }
  // Longest first, so that overlapping added tokens match as HF's leftmost-longest does.
  std::stable_sort(added_.begin(), added_.end(), [](const AddedToken& a, const AddedToken& b) {
    return a.content.size() > b.content.size();
  });
}

std::optional<int64_t> BpeTokenizer::token_id(const std::string& token) const {
  for (const auto& added : added_) {
    if (added.content == token) return added.id;
  }
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

void BpeTokenizer::encode_piece(const std::string& piece, std::vector<int64_t>& out) const {
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
  // once either symbol has changed (its id) or left the list.
  struct Symbol {
    int64_t id;
    size_t start, length;
    int64_t prev, next;
  };
  std::vector<Symbol> symbols;
  for (size_t i = 0; i < piece.size();) {
    const size_t n = utf8_char_length(static_cast<unsigned char>(piece[i]));
    const auto found = vocab_.find(piece.substr(i, n));
    const auto index = static_cast<int64_t>(symbols.size());
    symbols.push_back({found == vocab_.end() ? -1 : found->second, i, n, index - 1, index + 1});
    i += n;
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
    if (l.id < 0 || r.id < 0) return;
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
    left.length += right.length;
    left.next = right.next;
    right.id = -2;  // gone: no queued pair matches it again
    if (left.next >= 0) symbols[left.next].prev = top.left;
    offer(left.prev);
    offer(top.left);
  }
  for (int64_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) {
    const auto& symbol = symbols[i];
    if (symbol.id < 0) {
      throw Error("tokenizer: symbol '" + piece.substr(symbol.start, symbol.length) +
                  "' is not in the vocabulary");
    }
    out.push_back(symbol.id);
  }
}

std::vector<int64_t> BpeTokenizer::encode(std::string_view raw) const {
  const std::string text = sanitize_utf8(raw);
  std::vector<int64_t> ids;
  auto encode_plain = [&](std::string_view chunk) {
    if (chunk.empty()) return;
    for (const auto& piece : pretokenizer_.split(chunk)) encode_piece(piece, ids);
  };
  size_t pos = 0, plain_start = 0;
  while (pos < text.size()) {
    if (!added_starts_[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    const AddedToken* hit = nullptr;
    for (const auto& added : added_) {
      if (!added.content.empty() && text.compare(pos, added.content.size(), added.content) == 0) {
        hit = &added;
        break;
      }
    }
    if (hit == nullptr) {
      ++pos;
      continue;
    }
    encode_plain(std::string_view(text).substr(plain_start, pos - plain_start));
    ids.push_back(hit->id);
    pos += hit->content.size();
    plain_start = pos;
  }
  encode_plain(std::string_view(text).substr(plain_start));
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string bytes;
  for (const auto id : ids) {
    if (id < 0 || id >= vocab_size()) {
      throw Error("tokenizer: id " + std::to_string(id) + " is outside the vocabulary (size " +
                  std::to_string(vocab_size()) + ")");
    }
    bytes += unicode_to_bytes(id_to_token_[id]);
  }
  return sanitize_utf8(bytes);
}

Json BpeTokenizer::to_json() const {
  Json added = Json::array();
  auto sorted = added_;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& token : sorted) {
    added.push_back({{"id", token.id},
                     {"content", token.content},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", token.special}});
  }
  Json merges = Json::array();
  for (const auto& [left, right] : merges_) merges.push_back({left, right});
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer", pretokenizer_json_},
          {"post_processor", nullptr},
          {"decoder",
           {{"type", "ByteLevel"},
            {"add_prefix_space", true},
            {"trim_offsets", true},
            {"use_regex", true}}},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"ignore_merges", ignore_merges_},
            {"vocab", vocab_},
            {"merges", merges}}}};
}

void BpeTokenizer::save(const std::string& path) const {
  write_json_file_atomic(path, to_json());
}

}  // namespace kvchain
