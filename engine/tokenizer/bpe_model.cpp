#include "engine/tokenizer/bpe_model.h"

#include <algorithm>
#include <functional>
#include <queue>

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

}  // namespace

BpeModel BpeModel::from_json(const Json& model, const std::string& where) {
  BpeModel m;
  m.ignore_merges_ = json_bool_field_or(model, "ignore_merges", false, where);
  m.byte_fallback_ = json_bool_field_or(model, "byte_fallback", false, where);
  m.fuse_unk_ = json_bool_field_or(model, "fuse_unk", false, where);
  if (model.contains("unk_token") && !model["unk_token"].is_null()) {
    m.unk_token_ = json_string(model["unk_token"], where + ".unk_token");
  }
  // Word affixes (WordPiece-style BPE) and dropout change what is encoded: refused unless off.
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(affix) && !model[affix].is_null() &&
        json_string(model[affix], where + "." + affix) != "") {
      throw Error(where + "." + affix + " is not supported (only \"\" or null)");
    }
  }
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() && model["dropout"].get<double>() == 0.0)) {
    throw Error(where + ".dropout is not supported (only null or 0)");
  }
  m.vocab_ = read_vocab(model, where);
  const auto& merges = require_field(model, "merges", where);
  if (!merges.is_array()) {
    throw Error(where + ".merges must be a list of merges, not " + std::string(merges.type_name()));
  }
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto at = where + ".merges[" + std::to_string(i) + "]";
    auto merge = parse_merge(merges[i], at);
    // A merge joins two tokens of the vocabulary into a third (HF tokenizers refuses others).
    for (const auto& token : {merge.first, merge.second, merge.first + merge.second}) {
      if (!m.vocab_.count(token)) {
        throw Error(at + ": \"" + merge.first + " " + merge.second + "\" needs \"" + token +
                    "\", which model.vocab lacks");
      }
    }
    m.merges_.push_back(std::move(merge));
  }
  m.index();
  return m;
}

BpeModel::BpeModel(Vocab vocab, std::vector<std::pair<std::string, std::string>> merges)
    : vocab_(std::move(vocab)), merges_(std::move(merges)) {
  index();
}

void BpeModel::index() {
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
  unk_id_ = -1;
  if (unk_token_) {
    const auto unk = vocab_.find(*unk_token_);
    if (unk == vocab_.end()) {
      throw Error("tokenizer: unk_token \"" + *unk_token_ + "\" is not in the vocabulary");
    }
    unk_id_ = unk->second;
  }
  static const char* kHex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const auto found = vocab_.find(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">");
    byte_ids_[b] = found == vocab_.end() ? -1 : found->second;
  }
}

void BpeModel::encode_piece(const std::string& piece, std::vector<int64_t>& out) const {
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

Json BpeModel::to_json() const {
  Json merges = Json::array();
  for (const auto& [left, right] : merges_) merges.push_back({left, right});
  return {{"type", "BPE"},
          {"dropout", nullptr},
          {"unk_token", unk_token_ ? Json(*unk_token_) : Json()},
          {"continuing_subword_prefix", nullptr},
          {"end_of_word_suffix", nullptr},
          {"fuse_unk", fuse_unk_},
          {"byte_fallback", byte_fallback_},
          {"ignore_merges", ignore_merges_},
          {"vocab", vocab_},
          {"merges", merges}};
}

}  // namespace kvchain
