#include "engine/tokenizer/pretokenizer.h"

#include <utf8proc.h>

#include "engine/io/error.h"
#include "engine/io/unicode.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/pipeline_json.h"

namespace kvchain {
namespace {

constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Rust's char::is_numeric: the general categories Nd, Nl and No.
bool is_numeric(utf8proc_int32_t c) {
  const auto category = utf8proc_category(c);
  return category == UTF8PROC_CATEGORY_ND || category == UTF8PROC_CATEGORY_NL ||
         category == UTF8PROC_CATEGORY_NO;
}

// BERT's punctuation: ASCII punctuation (which includes symbols such as $ and +) and the
// Unicode categories P*.
bool is_bert_punctuation(utf8proc_int32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E) || is_punctuation(c);
}

// Each character of `text` that `matches` as a match of its own, the runs between them as
// non-matches (HF's pattern of a char predicate, which Digits and BertPreTokenizer split by).
template <typename Predicate>
std::vector<TextPattern::Span> char_spans(std::string_view text, Predicate matches) {
  if (text.empty()) return {{0, 0, false}};
  std::vector<TextPattern::Span> spans;
  size_t run_start = 0;
  for (size_t i = 0, length = 0; i < text.size(); i += length) {
    const auto c = code_point_at(text, i, &length);
    if (c >= 0 && matches(c)) {
      if (i > run_start) spans.push_back({run_start, i, false});
      spans.push_back({i, i + length, true});
      run_start = i + length;
    }
  }
  if (run_start < text.size()) spans.push_back({run_start, text.size(), false});
  return spans;
}

}  // namespace

void Pretokenizer::add_step(const Json& json, const std::string& type, const std::string& where) {
  Step step{};
  if (type == "Split") {
    step.kind = Kind::kSplit;
    step.pattern = std::make_shared<TextPattern>(
        TextPattern::from_json(require_field(json, "pattern", where), where + ".pattern"));
    step.behavior = split_behavior_from_name(
        json_string(require_field(json, "behavior", where), where + ".behavior"),
        where + ".behavior");
    step.invert = json_bool_field_or(json, "invert", false, where);
  } else if (type == "ByteLevel") {
    step.kind = Kind::kByteLevel;
    step.add_prefix_space = json_bool_field_or(json, "add_prefix_space", false, where);
    if (json_bool_field_or(json, "use_regex", true, where)) {
      step.pattern = std::make_shared<TextPattern>(TextPattern::regex(kGpt2Pattern, where));
    }
  } else if (type == "Metaspace") {
    step.kind = Kind::kMetaspace;
    step.metaspace = MetaspaceOptions::from_json(json, where);
  } else if (type == "Digits") {
    step.kind = Kind::kDigits;
    step.individual_digits = json_bool_field_or(json, "individual_digits", false, where);
  } else if (type == "BertPreTokenizer") {
    step.kind = Kind::kBert;
  } else if (type == "Whitespace") {
    step.kind = Kind::kSplit;
    step.pattern = std::make_shared<TextPattern>(TextPattern::regex(R"(\w+|[^\w\s]+)", where));
    step.behavior = SplitBehavior::kRemoved;
    step.invert = true;
  } else if (type == "WhitespaceSplit") {
    step.kind = Kind::kWhitespaceSplit;
  } else {
    throw Error(where + ": unsupported pre_tokenizer '" + type +
                "' (kvchain supports Split, ByteLevel, Metaspace, Digits, BertPreTokenizer, "
                "Whitespace, WhitespaceSplit and Sequence)");
  }
  steps_.push_back(std::move(step));
}

MetaspaceOptions MetaspaceOptions::from_json(const Json& json, const std::string& where) {
  MetaspaceOptions options;
  if (json.contains("replacement")) {
    options.replacement = one_character(json_string(json["replacement"], where + ".replacement"),
                                        where + ".replacement");
  }
  if (json.contains("prepend_scheme")) {
    const auto scheme = json_string(json["prepend_scheme"], where + ".prepend_scheme");
    if (scheme == "always") {
      options.prepend = Prepend::kAlways;
    } else if (scheme == "first") {
      options.prepend = Prepend::kFirst;
    } else if (scheme == "never") {
      options.prepend = Prepend::kNever;
    } else {
      throw Error(where + ".prepend_scheme '" + scheme + "' is not always, first or never");
    }
  } else {  // the older spelling
    options.prepend = json_bool_field_or(json, "add_prefix_space", true, where) ? Prepend::kAlways
                                                                                : Prepend::kNever;
  }
  options.split = json_bool_field_or(json, "split", true, where);
  return options;
}

Pretokenizer Pretokenizer::from_json(const Json& json, const std::string& where) {
  Pretokenizer p;
  for_each_component(json, "pre_tokenizer", "pretokenizers", where,
                     [&](const Json& step, const std::string& type, const std::string& at) {
                       p.add_step(step, type, at);
                     });
  return p;
}

Json Pretokenizer::llama3_json() {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"},
             {"pattern", {{"Regex", kLlama3Pattern}}},
             {"behavior", "Isolated"},
             {"invert", false}},
            {{"type", "ByteLevel"},
             {"add_prefix_space", false},
             {"trim_offsets", true},
             {"use_regex", false}}}}};
}

void Pretokenizer::apply(const Step& step, PretokenPiece piece,
                         std::vector<PretokenPiece>& out) const {
  const auto emit = [&](const std::string& text, SplitBehavior behavior, bool invert,
                        std::vector<TextPattern::Span> spans) {
    for (const auto& [begin, end] : split_spans(std::move(spans), behavior, invert)) {
      out.push_back({text.substr(begin, end - begin), piece.first && begin == 0});
    }
  };
  switch (step.kind) {
    case Kind::kSplit:
      emit(piece.text, step.behavior, step.invert, step.pattern->spans(piece.text));
      break;
    case Kind::kDigits:
      emit(piece.text,
           step.individual_digits ? SplitBehavior::kIsolated : SplitBehavior::kContiguous, false,
           char_spans(piece.text, is_numeric));
      break;
    case Kind::kWhitespaceSplit:
      emit(piece.text, SplitBehavior::kRemoved, false, char_spans(piece.text, is_white_space));
      break;
    case Kind::kBert: {
      // White space removed, then each punctuation character a piece of its own.
      std::vector<PretokenPiece> words;
      std::swap(out, words);
      emit(piece.text, SplitBehavior::kRemoved, false, char_spans(piece.text, is_white_space));
      std::swap(out, words);
      for (const auto& word : words) {
        for (const auto& [begin, end] : split_spans(char_spans(word.text, is_bert_punctuation),
                                                    SplitBehavior::kIsolated, false)) {
          out.push_back({word.text.substr(begin, end - begin), word.first && begin == 0});
        }
      }
      break;
    }
    case Kind::kByteLevel: {
      if (step.add_prefix_space && (piece.text.empty() || piece.text[0] != ' ')) {
        piece.text.insert(0, " ");
      }
      const size_t before = out.size();
      if (step.pattern) {
        emit(piece.text, SplitBehavior::kIsolated, false, step.pattern->spans(piece.text));
      } else if (!piece.text.empty()) {
        out.push_back(std::move(piece));
      }
      for (size_t i = before; i < out.size(); ++i) out[i].text = bytes_to_unicode(out[i].text);
      break;
    }
    case Kind::kMetaspace: {
      const auto& options = step.metaspace;
      std::string text;
      for (const char c : piece.text) {
        if (c == ' ') {
          text += options.replacement;
        } else {
          text += c;
        }
      }
      const bool starts = text.compare(0, options.replacement.size(), options.replacement) == 0;
      if (!starts && (options.prepend == MetaspaceOptions::Prepend::kAlways ||
                      (options.prepend == MetaspaceOptions::Prepend::kFirst && piece.first))) {
        text.insert(0, options.replacement);
      }
      if (options.split) {
        emit(text, SplitBehavior::kMergedWithNext, false,
             TextPattern::literal(options.replacement).spans(text));
      } else if (!text.empty()) {
        out.push_back({std::move(text), piece.first});
      }
      break;
    }
  }
}

std::vector<PretokenPiece> Pretokenizer::split(PretokenPiece piece) const {
  std::vector<PretokenPiece> pieces;
  if (!piece.text.empty()) pieces.push_back(std::move(piece));
  for (const auto& step : steps_) {
    std::vector<PretokenPiece> next;
    for (auto& p : pieces) apply(step, std::move(p), next);
    pieces = std::move(next);
  }
  return pieces;
}

}  // namespace kvchain
