#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvchain {

struct AddedToken {
  int64_t id;
  std::string content;
  bool special = true;
  bool normalized = false;   // matched in the normalized text rather than the raw one
  bool lstrip = false;       // takes the whitespace before it
  bool rstrip = false;       // takes the whitespace after it
  bool single_word = false;  // matched only between non-word characters
};

// A stretch of text: an added token's id, or plain text (id -1) for the model.
struct TextSegment {
  size_t begin, end;
  int64_t id = -1;
};

// One pass of HF tokenizers' added-token matching: the tokens matched in one form of the text
// (raw, or normalized with their patterns normalized too), leftmost-longest as an Aho-Corasick
// automaton finds them, through a byte trie; the flags as HF applies them.
class AddedTokenMatcher {
 public:
  // `patterns[i]` is what `tokens[i]` matches in this form of the text.
  AddedTokenMatcher(std::vector<AddedToken> tokens, const std::vector<std::string>& patterns);
  AddedTokenMatcher() = default;

  bool empty() const { return tokens_.empty(); }
  // The whole text as consecutive segments (one plain segment when nothing matches).
  std::vector<TextSegment> split(std::string_view text) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> children;  // sorted by byte
    int32_t token = -1;                                       // index into tokens_
  };
  int32_t child(int32_t node, unsigned char byte) const;
  std::vector<AddedToken> tokens_;
  std::vector<Node> trie_;
  std::array<bool, 256> starts_{};
};

}  // namespace kvchain
