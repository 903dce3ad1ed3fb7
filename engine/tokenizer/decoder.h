#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/io/json_file.h"
#include "engine/tokenizer/text_pattern.h"

namespace kvchain {

// A tokenizer.json "decoder": how HF tokenizers turns token strings back into text. Supported:
// ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, WordPiece and a Sequence of them;
// any other
// type is refused by name. Without a decoder the tokens are joined by spaces, as HF does.
class Decoder {
 public:
  static Decoder from_json(const Json& json, const std::string& where);

  // Valid UTF-8 out: bytes that form no character become U+FFFD.
  std::string decode(std::vector<std::string> tokens) const;

 private:
  enum class Kind { kByteLevel, kMetaspace, kReplace, kByteFallback, kFuse, kStrip, kWordPiece };
  struct Step {
    Kind kind;
    std::string text;  // Metaspace: the replacement; Replace: the content; WordPiece: the prefix
    std::shared_ptr<TextPattern> pattern;  // Replace
    bool prepended = true;                 // Metaspace: a prefix was prepended when encoding
    std::string strip;                     // Strip: the character
    size_t start = 0, stop = 0;            // Strip: how many at most at each end
    bool cleanup = true;                   // WordPiece: no spaces before punctuation
  };
  void add_step(const Json& json, const std::string& type, const std::string& where);
  std::vector<std::string> apply(const Step& step, std::vector<std::string> tokens) const;
  bool present_ = false;
  std::vector<Step> steps_;
};

}  // namespace kvchain
