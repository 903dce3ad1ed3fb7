#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/error.h"

namespace kvchain {

using Json = nlohmann::json;

// Parses a whole JSON file; errors name the file and, for syntax errors, the byte offset.
Json read_json_file(const std::string& path);
void write_json_file_atomic(const std::string& path, const Json& value);
// One JSONL line; `where` ("FILE:LINE") prefixes the error if it is not JSON.
Json parse_json_line(const std::string& text, const std::string& where);

// Typed field access that reports "FILE: field 'a.b': expected integer, got string".
// `where` is the file (and object path) the value came from.
// (string_view parameters: a reference into `object` never depends on a temporary argument.)
// A template so that nlohmann::ordered_json (which keeps key order) works too.
template <typename J>
const J& require_field(const J& object, std::string_view key, std::string_view where);
int64_t json_int(const Json& value, const std::string& where);
double json_number(const Json& value, const std::string& where);
bool json_bool(const Json& value, const std::string& where);
std::string json_string(const Json& value, const std::string& where);
// A record's field of that type: missing or mistyped, the error names `where` and the key.
std::string json_string_field(const Json& object, const char* key, const std::string& where);
double json_number_field(const Json& object, const char* key, const std::string& where);
// An optional boolean field: `fallback` when missing or null; of another type, an error naming
// `where.key`.
bool json_bool_field_or(const Json& object, const char* key, bool fallback,
                        const std::string& where);
// A record's non-empty list of strings; errors name the key and the item's index.
std::vector<std::string> json_string_list(const Json& object, const char* key,
                                          const std::string& where);

}  // namespace kvchain

template <typename J>
const J& kvchain::require_field(const J& object, std::string_view key, std::string_view where) {
  if (!object.is_object()) {
    throw Error(std::string(where) + ": expected an object, got " + object.type_name());
  }
  auto it = object.find(std::string(key));
  if (it == object.end()) {
    throw Error(std::string(where) + ": missing field '" + std::string(key) + "'");
  }
  return *it;
}
