#include "retrievers/analyzer.h"

#include <libstemmer.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>

#include "engine/io/error.h"
#include "engine/io/unicode.h"

namespace kvchain::retrievers {
namespace {

// Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, sorted for binary search.
constexpr std::array<std::string_view, 33> kStopWords = {
    "a",   "an",    "and",  "are",   "as",    "at",   "be",   "but", "by",  "for",  "if",
    "in",  "into",  "is",   "it",    "no",    "not",  "of",   "on",  "or",  "such", "that",
    "the", "their", "then", "there", "these", "they", "this", "to",  "was", "will", "with"};

// Combining marks belong to the letter before them (decomposed accents, Indic vowel signs).
bool is_word_character(utf8proc_int32_t c) {
  const auto category = utf8proc_category(c);
  return is_letter_or_number(c) || category == UTF8PROC_CATEGORY_MN ||
         category == UTF8PROC_CATEGORY_MC || category == UTF8PROC_CATEGORY_ME;
}

}  // namespace

bool is_stop_word(std::string_view term) {
  return std::binary_search(kStopWords.begin(), kStopWords.end(), term);
}

Analyzer::Analyzer(bool stem) {
  if (!stem) return;
  stemmer_ = sb_stemmer_new("porter", "UTF_8");
  if (stemmer_ == nullptr) throw Error("analyzer: libstemmer has no Porter stemmer");
}

Analyzer::~Analyzer() {
  if (stemmer_ != nullptr) sb_stemmer_delete(stemmer_);
}

std::vector<std::string> Analyzer::terms(std::string_view text) const {
  std::vector<std::string> out;
  std::string word;
  const auto finish_word = [&] {
    if (word.empty() || is_stop_word(word)) {
      word.clear();
      return;
    }
    if (stemmer_ != nullptr) {
      const auto* stemmed = sb_stemmer_stem(
          stemmer_, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
      if (stemmed == nullptr) throw Error("analyzer: the stemmer ran out of memory");
      word.assign(reinterpret_cast<const char*>(stemmed),
                  static_cast<size_t>(sb_stemmer_length(stemmer_)));
    }
    out.push_back(std::move(word));
    word.clear();
  };
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t c = 0;
    auto n = utf8proc_iterate(p, left, &c);
    if (n < 0) {  // an invalid byte separates words rather than failing the whole corpus
      n = 1;
      c = -1;
    }
    if (c >= 0 && is_word_character(c)) {
      append_code_point(word, utf8proc_tolower(c));
    } else {
      finish_word();
    }
    p += n;
    left -= n;
  }
  finish_word();
  return out;
}

}  // namespace kvchain::retrievers
