#pragma once

#include <string>
#include <vector>

namespace kvchain::eval {

// SQuAD v1.1 answer normalisation: Unicode lowercasing, ASCII punctuation removed, the words
// a/an/the removed (as whole words in Unicode's sense), whitespace collapsed.
std::string normalize_answer(const std::string& text);

// Maxima over the gold answers, as the official SQuAD script computes them.
double exact_match(const std::string& prediction, const std::vector<std::string>& gold);
double token_f1(const std::string& prediction, const std::vector<std::string>& gold);

}  // namespace kvchain::eval
