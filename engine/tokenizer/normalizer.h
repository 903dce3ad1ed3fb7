#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/json_file.h"
#include "engine/tokenizer/text_pattern.h"

namespace kvchain {

// A tokenizer.json "normalizer": what HF tokenizers does to a text before pre-tokenization.
// Supported: the Unicode forms NFC, NFD, NFKC and NFKD (utf8proc's tables), Prepend, Replace
// (a String or a Regex pattern), BertNormalizer (BERT's text cleaning, CJK spacing, accent
// stripping and lowercasing), Lowercase, StripAccents and a Sequence of them; any other type is
// refused by name. A null normalizer leaves the text as it is.
class Normalizer {
 public:
  static Normalizer from_json(const Json& json, const std::string& where);

  std::string normalize(std::string_view text) const;
  bool identity() const { return steps_.empty(); }

 private:
  enum class Kind { kUnicodeForm, kPrepend, kReplace, kBert, kLowercase, kStripAccents };
  // BertNormalizer's switches, applied in this order.
  struct BertSteps {
    bool clean_text = true, handle_chinese_chars = true, strip_accents = true, lowercase = true;
  };
  struct Step {
    Kind kind;
    int utf8proc_options = 0;              // kUnicodeForm
    std::string text;                      // kPrepend: the prefix; kReplace: the replacement
    std::shared_ptr<TextPattern> pattern;  // kReplace
    BertSteps bert;                        // kBert
  };
  void add_step(const Json& json, const std::string& type, const std::string& where);
  std::vector<Step> steps_;
};

}  // namespace kvchain
