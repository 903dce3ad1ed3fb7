#pragma once

#include <functional>
#include <string>

#include "data/loaders/qa_record.h"

namespace kvchain::data {

// Calls `parse(value, where)` for each record of a file, where `where` names the file and line
// (or list item). A record whose parse throws Error, or a line that is not JSON, is skipped and
// reported; with options.strict it is fatal. A file that yields no record at all while some
// failed is an error, so a wrong format never passes as an empty dataset. Files are streamed:
// one line is in memory at a time.
using RecordParser = std::function<void(const Json& value, const std::string& where)>;

LoadReport read_jsonl_records(const std::string& path, const LoadOptions& options,
                              const RecordParser& parse);
// For formats that are one JSON list (StrategyQA, TruthfulQA); `ordered` keeps object key
// order, which TruthfulQA's choice lists depend on.
LoadReport read_json_list_records(
    const std::string& path, const LoadOptions& options,
    const std::function<void(const nlohmann::ordered_json&, const std::string&)>& parse);
// Tab-separated with a header row; fields may be double-quoted (with "" escapes and embedded
// newlines). Each row is handed over as an object keyed by the header.
LoadReport read_tsv_records(const std::string& path, const LoadOptions& options,
                            const RecordParser& parse);

}  // namespace kvchain::data
