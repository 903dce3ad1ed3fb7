#include "retrievers/corpus.h"

#include "engine/io/error.h"
#include "engine/io/json_file.h"

namespace kvchain::retrievers {

CorpusReader::CorpusReader(std::string path) : records_(std::move(path), "the corpus") {}

bool CorpusReader::next(Passage& passage) {
  Json record;
  if (!records_.next(record)) return false;
  const auto& where = records_.where();
  passage.id = json_string(require_field(record, "id", where), where + ": field 'id'");
  if (passage.id.empty()) throw Error(where + ": field 'id' is empty");
  passage.contents =
      json_string(require_field(record, "contents", where), where + ": field 'contents'");
  passage.line = records_.line();
  return true;
}

}  // namespace kvchain::retrievers
