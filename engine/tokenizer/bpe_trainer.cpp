#include "engine/tokenizer/bpe_trainer.h"

#include <map>
#include <queue>
#include <set>
#include <unordered_map>

#include "engine/io/error.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/pretokenizer.h"

namespace kvchain {
namespace {

using Pair = std::pair<int32_t, int32_t>;

struct PairHash {
  size_t operator()(const Pair& p) const {
    return std::hash<uint64_t>()((static_cast<uint64_t>(p.first) << 32) |
                                 static_cast<uint32_t>(p.second));
  }
};

struct Word {
  std::vector<int32_t> symbols;
  int64_t count;
};

class Trainer {
 public:
  Trainer(std::vector<Word> words, std::vector<std::string> symbols)
      : words_(std::move(words)), symbols_(std::move(symbols)) {
    for (size_t i = 0; i < symbols_.size(); ++i) symbol_id_[symbols_[i]] = static_cast<int32_t>(i);
    for (size_t w = 0; w < words_.size(); ++w) add_pairs(w, +1);
    for (const auto& [pair, count] : counts_) push(pair);
  }

  // Performs merges until `merges_wanted` are done or no pair reaches `min_frequency`.
  std::vector<Pair> run(int64_t merges_wanted, int64_t min_frequency) {
    std::vector<Pair> merges;
    while (static_cast<int64_t>(merges.size()) < merges_wanted && !heap_.empty()) {
      const auto top = heap_.top();
      heap_.pop();
      auto it = counts_.find(top.pair);
      const int64_t current = it == counts_.end() ? 0 : it->second;
      if (current != top.count) {  // stale entry; the live count was pushed when it changed
        continue;
      }
      if (current < min_frequency) break;
      merge(top.pair);
      merges.push_back(top.pair);
    }
    return merges;
  }

  const std::vector<std::string>& symbols() const { return symbols_; }

 private:
  struct Entry {
    int64_t count;
    Pair pair;
    const std::vector<std::string>* names;
    bool operator<(const Entry& o) const {  // max-heap: higher count, then smaller strings
      if (count != o.count) return count < o.count;
      const auto& a = (*names)[pair.first];
      const auto& b = (*names)[o.pair.first];
      if (a != b) return a > b;
      return (*names)[pair.second] > (*names)[o.pair.second];
    }
  };

  void push(const Pair& pair) {
    auto it = counts_.find(pair);
    if (it != counts_.end() && it->second > 0) heap_.push({it->second, pair, &symbols_});
  }

  void add_pairs(size_t w, int sign) {
    const auto& s = words_[w].symbols;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const Pair pair{s[i], s[i + 1]};
      counts_[pair] += sign * words_[w].count;
      if (sign > 0) where_[pair].insert(static_cast<int32_t>(w));
    }
  }

  void merge(const Pair& pair) {
    // Two merge paths can spell the same string ("ab"+"c", "a"+"bc"): they share one symbol.
    const auto name = symbols_[pair.first] + symbols_[pair.second];
    auto [slot, fresh] = symbol_id_.emplace(name, static_cast<int32_t>(symbols_.size()));
    if (fresh) symbols_.push_back(name);
    const int32_t merged = slot->second;
    const auto affected = where_[pair];  // copy: add_pairs below edits where_
    std::set<Pair> touched;
    for (const auto w : affected) {
      auto& s = words_[w].symbols;
      bool present = false;
      for (size_t i = 0; i + 1 < s.size() && !present; ++i)
        present = s[i] == pair.first && s[i + 1] == pair.second;
      if (!present) continue;
      for (size_t i = 0; i + 1 < s.size(); ++i) touched.insert({s[i], s[i + 1]});
      add_pairs(w, -1);
      std::vector<int32_t> next;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == pair.first && s[i + 1] == pair.second) {
          next.push_back(merged);
          ++i;
        } else {
          next.push_back(s[i]);
        }
      }
      s = std::move(next);
      add_pairs(w, +1);
      for (size_t i = 0; i + 1 < s.size(); ++i) touched.insert({s[i], s[i + 1]});
    }
    counts_.erase(pair);
    where_.erase(pair);
    for (const auto& p : touched) push(p);
  }

  std::vector<Word> words_;
  std::vector<std::string> symbols_;
  std::unordered_map<std::string, int32_t> symbol_id_;
  std::unordered_map<Pair, int64_t, PairHash> counts_;
  std::unordered_map<Pair, std::set<int32_t>, PairHash> where_;
  std::priority_queue<Entry> heap_;
};

}  // namespace

Tokenizer train_bpe(std::istream& text, const BpeTrainerOptions& options) {
  const int64_t specials = static_cast<int64_t>(options.special_tokens.size());
  if (options.vocab_size < 256 + specials) {
    throw Error("train_bpe: vocab_size " + std::to_string(options.vocab_size) +
                " cannot hold the 256 byte symbols and " + std::to_string(specials) +
                " special tokens");
  }
  Pretokenizer pretokenizer =
      Pretokenizer::from_json(Pretokenizer::llama3_json(), "llama3 pre-tokenizer");
  std::map<std::string, int64_t> piece_counts;  // ordered: word order must not depend on hashing
  std::string line;
  bool first = true;
  while (std::getline(text, line)) {
    // Lines keep their newline, so the vocabulary learns the "\n" pieces it will see.
    std::string chunk = first ? line : "\n" + line;
    for (auto& piece : pretokenizer.split({sanitize_utf8(chunk), first}))
      ++piece_counts[piece.text];
    first = false;
  }

  // Symbols 0..255 are the byte characters, in byte order.
  std::vector<std::string> symbols;
  std::unordered_map<std::string, int32_t> symbol_id;
  for (int b = 0; b < 256; ++b) {
    symbols.push_back(bytes_to_unicode(std::string(1, static_cast<char>(b))));
    symbol_id[symbols.back()] = b;
  }
  std::vector<Word> words;
  for (const auto& [piece, count] : piece_counts) {
    Word word{{}, count};
    for (size_t i = 0; i < piece.size();) {
      const size_t n = utf8_char_length(static_cast<unsigned char>(piece[i]));
      word.symbols.push_back(symbol_id.at(piece.substr(i, n)));
      i += n;
    }
    words.push_back(std::move(word));
  }

  Trainer trainer(std::move(words), symbols);
  const auto merges = trainer.run(options.vocab_size - 256 - specials, options.min_frequency);

  std::unordered_map<std::string, int64_t> vocab;
  std::vector<AddedToken> added;
  for (const auto& token : options.special_tokens) {
    const auto id = static_cast<int64_t>(added.size());
    added.push_back({id, token});
    vocab[token] = id;
  }
  for (const auto& symbol : trainer.symbols()) {
    vocab.emplace(symbol, static_cast<int64_t>(vocab.size()));
  }
  std::vector<std::pair<std::string, std::string>> merge_list;
  for (const auto& [left, right] : merges) {
    merge_list.emplace_back(trainer.symbols()[left], trainer.symbols()[right]);
  }
  return Tokenizer(std::move(vocab), std::move(merge_list), std::move(added));
}

}  // namespace kvchain
