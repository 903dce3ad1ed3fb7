#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/io/json_file.h"

namespace re2 {
class RE2;
}

namespace kvchain {

// A tokenizers "pattern" ({"String": ...} or {"Regex": ...}) and the spans of text it matches.
// Regexes run through re2, which has no look-around and ASCII-only \s, \d and \w, so a pattern
// is translated: \s becomes Unicode White_Space, \d Unicode decimal digits and \w letters,
// marks, digits and connector punctuation (as in Oniguruma, which HF tokenizers uses), and
// the GPT-2/Llama-3 idiom `\s+(?!\S)|\s+` becomes a captured `\s+` whose match gives back its
// last character when non-space follows, which is what the look-ahead does. Any other
// look-around is refused.
class TextPattern {
 public:
  struct Span {
    size_t begin, end;
    bool match;
  };
  static TextPattern from_json(const Json& json, const std::string& where);
  static TextPattern regex(const std::string& pattern, const std::string& where);
  static TextPattern literal(std::string text);
  ~TextPattern();
  TextPattern(TextPattern&&) noexcept;
  TextPattern& operator=(TextPattern&&) noexcept;

  // The whole text as consecutive spans, matches and the text between them, in order (HF's
  // Pattern::find_matches: an empty text is one empty non-match; an empty match is kept).
  std::vector<Span> spans(std::string_view text) const;
  // `text` with every match replaced by `content` (the Replace normalizer's and decoder's).
  std::string replace(std::string_view text, const std::string& content) const;

 private:
  TextPattern() = default;
  std::unique_ptr<re2::RE2> re_;  // null for a literal
  std::string literal_;
  bool trailing_space_rule_ = false;
};

// How a Split pre-tokenizer keeps a pattern's matches (HF's SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

SplitBehavior split_behavior_from_name(const std::string& name, const std::string& where);

// The pieces `spans` make under `behavior` (matches and non-matches swapped first if `invert`),
// as [begin, end) offsets, empty pieces dropped.
std::vector<std::pair<size_t, size_t>> split_spans(std::vector<TextPattern::Span> spans,
                                                   SplitBehavior behavior, bool invert);

}  // namespace kvchain
