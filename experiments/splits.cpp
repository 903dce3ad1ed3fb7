#include "experiments/splits.h"

#include <filesystem>

#include "data/loaders/record_reader.h"
#include "engine/io/content_hash.h"
#include "engine/io/error.h"

namespace kvchain::experiments {

Records load_split(const std::string& data_dir, const std::string& task, const std::string& split,
                   int64_t limit) {
  const auto path = (std::filesystem::path(data_dir) / task / (split + ".jsonl")).string();
  if (!std::filesystem::exists(path)) {
    throw Error(path + ": no such file (generate the data with `kvchain data generate`)");
  }
  Records records;
  data::LoadOptions options;
  options.strict = true;
  data::read_jsonl_records(path, options, [&](const Json& value, const std::string& where) {
    if (limit > 0 && static_cast<int64_t>(records.records.size()) >= limit) return;
    records.records.push_back(value);
    records.where.push_back(where);
  });
  records.content_hash = file_content_hash(path);
  return records;
}

}  // namespace kvchain::experiments
