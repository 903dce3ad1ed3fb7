#include "retrievers/corpus.h"

#include "engine/io/error.h"
#include "engine/io/json_file.h"

namespace kvchain::retrievers {

CorpusReader::CorpusReader(std::string path) : path_(std::move(path)), in_(path_) {
  if (!in_) throw Error(path_ + ": cannot open the corpus");
}

bool CorpusReader::next(Passage& passage) {
  std::string text;
  while (std::getline(in_, text)) {
    ++line_;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto where = path_ + ":" + std::to_string(line_);
    const auto record = parse_json_line(text, where);
    passage.id = json_string(require_field(record, "id", where), where + ": field 'id'");
    if (passage.id.empty()) throw Error(where + ": field 'id' is empty");
    passage.contents =
        json_string(require_field(record, "contents", where), where + ": field 'contents'");
    return true;
  }
  if (in_.bad()) throw Error(path_ + ": read error after line " + std::to_string(line_));
  return false;
}

}  // namespace kvchain::retrievers
