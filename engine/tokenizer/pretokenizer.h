#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/json_file.h"
#include "engine/tokenizer/text_pattern.h"

namespace kvchain {

// A piece of text on its way to the BPE model; `first` when it starts at the start of the
// whole input (Metaspace's prepend_scheme "first" reads it).
struct PretokenPiece {
  std::string text;
  bool first = false;
};

// Metaspace's settings, which its pre-tokenizer and its decoder both read: spaces become
// `replacement`, which is prepended to a piece (always, to the input's first piece only, or
// never) unless it starts with one, and pieces split before each one.
struct MetaspaceOptions {
  enum class Prepend { kAlways, kFirst, kNever };
  std::string replacement = "\xE2\x96\x81";  // U+2581
  Prepend prepend = Prepend::kAlways;
  bool split = true;
  static MetaspaceOptions from_json(const Json& json, const std::string& where);
};

// A tokenizer.json "pre_tokenizer": Split (a String or Regex pattern, every behavior, invert),
// ByteLevel, Metaspace, Digits, BertPreTokenizer (white space removed, punctuation isolated),
// Whitespace, WhitespaceSplit, and a Sequence of them; any other type is refused by name. A
// null pre-tokenizer leaves each piece whole. After a ByteLevel step, pieces are in
// byte-level characters.
class Pretokenizer {
 public:
  static Pretokenizer from_json(const Json& json, const std::string& where);
  // Llama-3's split regex followed by ByteLevel, the layout kvchain writes for new vocabularies.
  static Json llama3_json();

  std::vector<PretokenPiece> split(PretokenPiece piece) const;

 private:
  enum class Kind { kSplit, kByteLevel, kMetaspace, kDigits, kBert, kWhitespaceSplit };
  struct Step {
    Kind kind;
    std::shared_ptr<TextPattern> pattern;  // Split; ByteLevel with use_regex
    SplitBehavior behavior = SplitBehavior::kIsolated;
    bool invert = false;
    bool add_prefix_space = false;  // ByteLevel
    MetaspaceOptions metaspace;
    bool individual_digits = false;
  };
  void add_step(const Json& json, const std::string& type, const std::string& where);
  void apply(const Step& step, PretokenPiece piece, std::vector<PretokenPiece>& out) const;
  std::vector<Step> steps_;
};

}  // namespace kvchain
