#include "retrievers/recall.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "engine/io/jsonl_reader.h"

namespace kvchain::retrievers {
namespace {

std::vector<std::string> strings(const Json& value, const std::string& where) {
  if (value.is_string()) return {value.get<std::string>()};
  if (!value.is_array()) throw Error(where + ": expected a string or a list of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < value.size(); ++i)
    out.push_back(json_string(value[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

}  // namespace

std::vector<QueryRecord> read_query_records(const std::string& path, const std::string& field,
                                            const std::string& gold_field) {
  JsonlReader reader(path, "the query file");
  std::vector<QueryRecord> records;
  std::unordered_map<std::string, std::string> line_of_id;  // hits are keyed by id: one each
  for (Json value; reader.next(value);) {
    const auto& where = reader.where();
    QueryRecord record;
    record.id = json_string(require_field(value, "id", where), where + ": field 'id'");
    const auto [first, fresh] = line_of_id.emplace(record.id, where);
    if (!fresh) throw Error(where + ": id '" + record.id + "' repeats " + first->second);
    record.queries = strings(require_field(value, field, where), where + ": field '" + field + "'");
    if (record.queries.empty()) throw Error(where + ": field '" + field + "' is an empty list");
    if (!gold_field.empty()) {
      record.gold =
          strings(require_field(value, gold_field, where), where + ": field '" + gold_field + "'");
      if (record.gold.empty()) throw Error(where + ": field '" + gold_field + "' is empty");
    }
    records.push_back(std::move(record));
  }
  if (records.empty()) throw Error(path + ": no query records");
  return records;
}

RecallReport evaluate_recall(const Retriever& retriever, const std::vector<QueryRecord>& records,
                             const std::vector<int64_t>& ks, int threads) {
  if (ks.empty()) throw Error("retrieve eval: no k given");
  const auto k_max = *std::max_element(ks.begin(), ks.end());
  std::vector<std::string> queries;
  for (const auto& record : records)
    queries.insert(queries.end(), record.queries.begin(), record.queries.end());
  const auto hits = retriever.search(queries, k_max, threads);
  RecallReport report;
  report.records = static_cast<int64_t>(records.size());
  report.searches = static_cast<int64_t>(queries.size());
  for (const auto k : ks) {
    if (k < 1) throw Error("retrieve eval: k must be at least 1, got " + std::to_string(k));
    double sum = 0;
    size_t next = 0;
    for (const auto& record : records) {
      std::set<std::string> found;
      for (size_t q = 0; q < record.queries.size(); ++q) {
        const auto& list = hits[next + q];
        for (size_t r = 0; r < list.size() && static_cast<int64_t>(r) < k; ++r)
          found.insert(list[r].doc_id);
      }
      next += record.queries.size();
      const std::set<std::string> gold(record.gold.begin(), record.gold.end());
      const auto matched = std::count_if(gold.begin(), gold.end(),
                                         [&](const std::string& id) { return found.count(id); });
      sum += static_cast<double>(matched) / static_cast<double>(gold.size());
    }
    report.recall[k] = sum / static_cast<double>(records.size());
  }
  return report;
}

}  // namespace kvchain::retrievers
