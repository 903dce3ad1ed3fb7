#include "engine/io/json_file.h"

#include "engine/io/atomic_file.h"
#include "engine/io/error.h"
#include "engine/io/text.h"

namespace kvchain {

Json read_json_file(const std::string& path) {
  const auto text = read_text_file(path);
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw Error(path + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  } catch (const Json::exception& e) {  // e.g. a number too large for a double (1e999)
    throw Error(path + ": invalid JSON: " + e.what());
  }
}

Json parse_json_line(const std::string& text, const std::string& where) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {  // a syntax error, or a number out of range (1e999)
    throw Error(where + ": not JSON (" + e.what() + ")");
  }
}

void write_json_file_atomic(const std::string& path, const Json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

namespace {
[[noreturn]] void type_error(const Json& value, const std::string& where, const char* expected) {
  throw Error(where + ": expected " + expected + ", got " + value.type_name());
}
}  // namespace

int64_t json_int(const Json& value, const std::string& where) {
  if (!value.is_number_integer()) type_error(value, where, "an integer");
  return value.get<int64_t>();
}

double json_number(const Json& value, const std::string& where) {
  if (!value.is_number()) type_error(value, where, "a number");
  return value.get<double>();
}

bool json_bool(const Json& value, const std::string& where) {
  if (!value.is_boolean()) type_error(value, where, "a boolean");
  return value.get<bool>();
}

bool json_bool_field_or(const Json& object, const char* key, bool fallback,
                        const std::string& where) {
  if (!object.contains(key) || object[key].is_null()) return fallback;
  return json_bool(object[key], where + "." + key);
}

std::string json_string(const Json& value, const std::string& where) {
  if (!value.is_string()) type_error(value, where, "a string");
  return value.get<std::string>();
}

std::string json_string_field(const Json& object, const char* key, const std::string& where) {
  return json_string(require_field(object, key, where), where + ": field '" + key + "'");
}

double json_number_field(const Json& object, const char* key, const std::string& where) {
  return json_number(require_field(object, key, where), where + ": field '" + key + "'");
}

std::vector<std::string> json_string_list(const Json& object, const char* key,
                                          const std::string& where) {
  const auto& list = require_field(object, key, where);
  if (!list.is_array() || list.empty()) {
    throw Error(where + ": field '" + key + "' must be a non-empty list");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < list.size(); ++i) {
    out.push_back(json_string(list[i], where + ": " + key + "[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace kvchain
