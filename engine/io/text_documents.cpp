#include "engine/io/text_documents.h"

#include <sstream>

#include "engine/io/error.h"
#include "engine/io/jsonl_reader.h"
#include "engine/io/text.h"

namespace kvchain {
namespace {

bool is_jsonl(const std::string& path) {
  return path.size() > 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
}

}  // namespace

std::vector<std::string> read_text_documents(const std::vector<std::string>& paths,
                                             const std::string& what) {
  if (paths.empty()) throw Error("no " + what + " text given");
  std::vector<std::string> documents;
  for (const auto& path : paths) {
    const auto before = documents.size();
    if (is_jsonl(path)) {
      JsonlReader reader(path, "the " + what + " text");
      Json record;
      while (reader.next(record)) {
        const auto* text =
            record.is_object() && record.contains("text") ? &record["text"] : nullptr;
        if (text == nullptr || !text->is_string()) {
          throw Error(reader.where() + ": a " + what + " record needs a string field 'text'");
        }
        documents.push_back(text->get<std::string>());
      }
    } else {
      std::istringstream in(read_text_file(path));
      std::string line;
      while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") != std::string::npos) documents.push_back(line);
      }
    }
    if (documents.size() == before) throw Error(path + ": the " + what + " text is empty");
  }
  return documents;
}

}  // namespace kvchain
