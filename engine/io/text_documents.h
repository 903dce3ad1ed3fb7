#pragma once

#include <string>
#include <vector>

namespace kvchain {

// The documents of text files: every non-blank line of a text file, or every record's "text"
// field of a JSONL file (a name ending in .jsonl: the usual corpus format, whose documents may
// span lines). `what` names the text in errors ("pretraining": "FILE:LINE: a pretraining record
// needs a string field 'text'"); a file without a document is an Error naming it.
std::vector<std::string> read_text_documents(const std::vector<std::string>& paths,
                                             const std::string& what);

}  // namespace kvchain
