#include "engine/tokenizer/added_vocabulary.h"

#include <utf8proc.h>

#include <algorithm>

#include "engine/io/unicode.h"

namespace kvchain {
namespace {

// The character that ends text[0, end), or -1.
utf8proc_int32_t char_before(std::string_view text, size_t end, size_t* length) {
  if (end == 0) return -1;
  size_t begin = end - 1;
  while (begin > 0 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) --begin;
  return code_point_at(text.substr(0, end), begin, length);
}

// Unicode White_Space, as Rust's regex \s.
bool is_space(utf8proc_int32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Rust's regex \w: letters, marks, decimal and letter numbers, connector punctuation.
bool is_word(utf8proc_int32_t c) {
  if (c < 0) return false;
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return c == 0x200C || c == 0x200D;  // Join_Control
  }
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens,
                                     const std::vector<std::string>& patterns)
    : tokens_(std::move(tokens)) {
  trie_.emplace_back();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const auto& pattern = patterns[i];
    if (pattern.empty()) continue;
    starts_[static_cast<unsigned char>(pattern[0])] = true;
    int32_t node = 0;
    for (const char c : pattern) {
      const auto byte = static_cast<unsigned char>(c);
      int32_t next = child(node, byte);
      if (next < 0) {
        next = static_cast<int32_t>(trie_.size());
        auto& children = trie_[node].children;
        children.insert(
            std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{0})),
            {byte, next});
        trie_.emplace_back();
      }
      node = next;
    }
    // The first of tokens with the same pattern wins, as the automaton's first pattern does.
    if (trie_[node].token < 0) trie_[node].token = static_cast<int32_t>(i);
  }
}

int32_t AddedTokenMatcher::child(int32_t node, unsigned char byte) const {
  const auto& children = trie_[node].children;
  const auto it =
      std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{0}));
  return it != children.end() && it->first == byte ? it->second : -1;
}

std::vector<TextSegment> AddedTokenMatcher::split(std::string_view text) const {
  std::vector<TextSegment> segments;
  size_t covered = 0;  // the end of the last segment
  for (size_t pos = 0; pos < text.size();) {
    if (!starts_[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    // The longest token starting here.
    int32_t token = -1;
    size_t stop = pos;
    for (int32_t node = 0, at = static_cast<int32_t>(pos);
         at < static_cast<int32_t>(text.size());) {
      node = child(node, static_cast<unsigned char>(text[at++]));
      if (node < 0) break;
      if (trie_[node].token >= 0) {
        token = trie_[node].token;
        stop = static_cast<size_t>(at);
      }
    }
    if (token < 0) {
      ++pos;
      continue;
    }
    const auto& added = tokens_[token];
    size_t start = pos, length = 0;
    if (added.single_word &&
        (is_word(char_before(text, start, &length)) ||
         (stop < text.size() && is_word(code_point_at(text, stop, &length))))) {
      pos = stop;  // the automaton goes on after a discarded match
      continue;
    }
    pos = stop;
    if (added.lstrip) {
      while (start > covered && is_space(char_before(text, start, &length))) start -= length;
    }
    if (added.rstrip) {
      while (stop < text.size() && is_space(code_point_at(text, stop, &length))) stop += length;
    }
    if (start > covered) segments.push_back({covered, start, -1});
    segments.push_back({start, stop, added.id});
    covered = stop;
    pos = stop;
  }
  if (covered < text.size() || segments.empty()) segments.push_back({covered, text.size(), -1});
  return segments;
}

}  // namespace kvchain
