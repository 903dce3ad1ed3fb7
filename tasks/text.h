#pragma once

#include <cstddef>
#include <string>

#include "engine/io/json_file.h"

namespace kvchain::tasks {

// The tag before every task's answer (paper Tables 7-10).
constexpr const char* kAnswerTag = "<answer_start>";

// A member's output follows its tag on the tag's line, after a space, as an answer follows its
// cue in running text ("A: answer"): a byte-level BPE then splits the output's first word as a
// base read it in pretraining ("<copy> physician", not "<copy>\nphysician", whose first word a
// base that never saw it at a line's start spells out piece by piece). `as_output` is the text
// a member writes for `target`; `tagged` is that output after its tag, as a later member of
// the text chain reads it.
std::string as_output(const std::string& target);
std::string tagged(const std::string& tag, const std::string& output);

// `text` without leading and trailing whitespace.
std::string trim(const std::string& text);

// A record's own "passages" (a non-empty list of {"contents", ...}, a retrieval made
// beforehand) as a task input: "<retrieved>\n", then the first `limit` passages' contents (all
// with 0), each followed by a newline, as PassageSearch::retrieved writes a search's.
std::string record_passages(const Json& record, const std::string& where, size_t limit = 0);

// What follows the last `tag` in `output`, trimmed; all of `output` when the tag is missing.
std::string after_last(const std::string& output, const std::string& tag);

}  // namespace kvchain::tasks
