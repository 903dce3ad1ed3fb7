#include "engine/tokenizer/decoder.h"

#include "engine/io/error.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/pipeline_json.h"
#include "engine/tokenizer/pretokenizer.h"

namespace kvchain {
namespace {

size_t json_count(const Json& json, const char* key, const std::string& where) {
  const auto value = json_int(require_field(json, key, where), where + "." + key);
  if (value < 0) throw Error(where + "." + key + " must not be negative");
  return static_cast<size_t>(value);
}

// The byte a "<0xXX>" token stands for, or -1.
int fallback_byte(const std::string& token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return -1;
  int value = 0;
  for (size_t i = 3; i < 5; ++i) {
    const char c = token[i];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                             : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

// `text` with every `from` replaced by `to`, left to right.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// WordPiece's cleanup of tokenization artifacts: no space before punctuation and contractions.
std::string wordpiece_cleanup(std::string text) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},    {" ,", ","},
      {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},  {" do not", " don't"},
      {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) text = replace_all(std::move(text), from, to);
  return text;
}

}  // namespace

Decoder Decoder::from_json(const Json& json, const std::string& where) {
  Decoder d;
  d.present_ = !json.is_null();
  for_each_component(json, "decoder", "decoders", where,
                     [&](const Json& step, const std::string& type, const std::string& at) {
                       d.add_step(step, type, at);
                     });
  return d;
}

void Decoder::add_step(const Json& json, const std::string& type, const std::string& where) {
  Step step{};
  if (type == "ByteLevel") {
    step.kind = Kind::kByteLevel;
  } else if (type == "Metaspace") {
    step.kind = Kind::kMetaspace;
    const auto options = MetaspaceOptions::from_json(json, where);
    step.text = options.replacement;
    step.prepended = options.prepend != MetaspaceOptions::Prepend::kNever;
  } else if (type == "Replace") {
    step.kind = Kind::kReplace;
    step.text = json_string(require_field(json, "content", where), where + ".content");
    step.pattern = std::make_shared<TextPattern>(
        TextPattern::from_json(require_field(json, "pattern", where), where + ".pattern"));
  } else if (type == "ByteFallback") {
    step.kind = Kind::kByteFallback;
  } else if (type == "Fuse") {
    step.kind = Kind::kFuse;
  } else if (type == "Strip") {
    step.kind = Kind::kStrip;
    step.strip = one_character(
        json_string(require_field(json, "content", where), where + ".content"), where + ".content");
    step.start = json_count(json, "start", where);
    step.stop = json_count(json, "stop", where);
  } else if (type == "WordPiece") {
    step.kind = Kind::kWordPiece;
    step.text = json.contains("prefix") ? json_string(json["prefix"], where + ".prefix") : "##";
    step.cleanup = json_bool_field_or(json, "cleanup", true, where);
  } else {
    throw Error(where + ": unsupported decoder '" + type +
                "' (kvchain supports ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, "
                "WordPiece and Sequence)");
  }
  steps_.push_back(std::move(step));
}

std::vector<std::string> Decoder::apply(const Step& step, std::vector<std::string> tokens) const {
  std::vector<std::string> out;
  switch (step.kind) {
    case Kind::kByteLevel: {
      std::string bytes;
      for (const auto& token : tokens) bytes += unicode_to_bytes(token);
      out.push_back(sanitize_utf8(bytes));
      break;
    }
    case Kind::kMetaspace:
      // The first token's replacement characters go (they were prepended), the others become
      // spaces.
      for (size_t i = 0; i < tokens.size(); ++i) {
        std::string text;
        for (size_t at = 0; at < tokens[i].size();) {
          if (tokens[i].compare(at, step.text.size(), step.text) == 0) {
            if (i != 0 || !step.prepended) text += ' ';
            at += step.text.size();
          } else {
            text += tokens[i][at++];
          }
        }
        out.push_back(std::move(text));
      }
      break;
    case Kind::kReplace:
      for (const auto& token : tokens) out.push_back(step.pattern->replace(token, step.text));
      break;
    case Kind::kByteFallback: {
      // Runs of "<0xXX>" tokens become their bytes' text, or one U+FFFD per byte when the
      // bytes are not valid UTF-8.
      std::string bytes;
      const auto flush = [&] {
        if (bytes.empty()) return;
        const auto text = sanitize_utf8(bytes);
        if (text == bytes) {
          out.push_back(text);
        } else {
          for (size_t i = 0; i < bytes.size(); ++i) out.push_back("\xEF\xBF\xBD");
        }
        bytes.clear();
      };
      for (auto& token : tokens) {
        const int byte = fallback_byte(token);
        if (byte >= 0) {
          bytes += static_cast<char>(byte);
        } else {
          flush();
          out.push_back(std::move(token));
        }
      }
      flush();
      break;
    }
    case Kind::kFuse: {
      std::string joined;
      for (const auto& token : tokens) joined += token;
      out.push_back(std::move(joined));
      break;
    }
    case Kind::kStrip:
      for (const auto& token : tokens) {
        size_t begin = 0, end = token.size();
        for (size_t i = 0;
             i < step.start && token.compare(begin, step.strip.size(), step.strip) == 0; ++i) {
          begin += step.strip.size();
        }
        for (size_t i = 0;
             i < step.stop && end >= begin + step.strip.size() &&
             token.compare(end - step.strip.size(), step.strip.size(), step.strip) == 0;
             ++i) {
          end -= step.strip.size();
        }
        out.push_back(token.substr(begin, end - begin));
      }
      break;
    case Kind::kWordPiece:
      // A continuing piece loses its prefix, any other token after the first gets a space.
      for (size_t i = 0; i < tokens.size(); ++i) {
        auto token = std::move(tokens[i]);
        if (i != 0) {
          token = token.compare(0, step.text.size(), step.text) == 0
                      ? token.substr(step.text.size())
                      : " " + token;
        }
        out.push_back(step.cleanup ? wordpiece_cleanup(std::move(token)) : std::move(token));
      }
      break;
  }
  return out;
}

std::string Decoder::decode(std::vector<std::string> tokens) const {
  for (const auto& step : steps_) tokens = apply(step, std::move(tokens));
  std::string text;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!present_ && i > 0) text += ' ';
    text += tokens[i];
  }
  return sanitize_utf8(text);
}

}  // namespace kvchain
