#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/json_file.h"

namespace re2 {
class RE2;
}

namespace kvchain {

// A tokenizers-style regex split run through re2. re2 has no look-around and an ASCII-only
// \s, so the pattern is translated: \s becomes Unicode White_Space (as in Oniguruma, which HF
// tokenizers uses), and the GPT-2/Llama-3 idiom `\s+(?!\S)|\s+` becomes a captured `\s+` whose
// match gives back its last character when non-space follows, which is what the look-ahead does.
class RegexSplitter {
 public:
  explicit RegexSplitter(const std::string& pattern, const std::string& where);
  ~RegexSplitter();
  RegexSplitter(RegexSplitter&&) noexcept;
  // Matches and the text between them, in order ("Isolated" behaviour).
  std::vector<std::string_view> split(std::string_view text) const;

 private:
  std::unique_ptr<re2::RE2> re_;
  bool trailing_space_rule_ = false;
};

// The supported pre_tokenizer shapes of tokenizer.json: Split (Isolated), ByteLevel, and a
// Sequence of them. Output pieces are already in byte-level characters.
class Pretokenizer {
 public:
  static Pretokenizer from_json(const Json& json, const std::string& where);
  // Llama-3's split regex followed by ByteLevel, the layout kvchain writes for new vocabularies.
  static Json llama3_json();

  std::vector<std::string> split(std::string_view text) const;

 private:
  struct Step {
    std::unique_ptr<RegexSplitter> splitter;  // Split, or ByteLevel with use_regex
    bool byte_level = false;
    bool add_prefix_space = false;
  };
  void add_step(const Json& json, const std::string& where);
  std::vector<Step> steps_;
};

}  // namespace kvchain
