#pragma once

#include <string>
#include <vector>

namespace kvchain::eval {

// The answer a free-form prediction commits to, for scoring against a closed answer set: the
// text after the last "answer is" marker (the Memory&Reasoning member's "[The answer is]: X"),
// else the whole prediction.
std::string final_answer(const std::string& prediction);

// 1 when the prediction commits to a gold answer, else 0 (max over the gold answers).
// A gold that is a choice label (one letter, "B") matches the first standalone capital letter
// of the final answer ("(B)", "B.", "B) Paris"); a gold of yes/no or true/false matches the
// first of those words in it; any other gold (a choice's text) matches the final answer
// under SQuAD normalisation.
double choice_accuracy(const std::string& prediction, const std::vector<std::string>& gold);

}  // namespace kvchain::eval
