#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "retrievers/retriever.h"

namespace kvchain::retrievers {

// One line of a query file: its id, the queries to run (one question, or a record's list of
// rewritten sub-queries) and, for evaluation, the gold passage ids.
struct QueryRecord {
  std::string id;
  std::vector<std::string> queries;
  std::vector<std::string> gold;
};

// Reads JSONL records; `field` holds a string or a list of strings. With `gold_field` set each
// record must have that list too. Errors name the file, line and field.
std::vector<QueryRecord> read_query_records(const std::string& path, const std::string& field,
                                            const std::string& gold_field = "");

struct RecallReport {
  int64_t records = 0;
  int64_t searches = 0;              // queries run (a record with sub-queries runs several)
  std::map<int64_t, double> recall;  // k -> mean recall@k
};

// recall@k of a record = |gold ∩ union of each query's top k| / |gold|, averaged over records.
RecallReport evaluate_recall(const Retriever& retriever, const std::vector<QueryRecord>& records,
                             const std::vector<int64_t>& ks, int threads);

}  // namespace kvchain::retrievers
