#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/io/error.h"
#include "engine/io/text.h"

namespace kvchain {

// An enum's spellings on the command line and in files, kept in one table per enum so the
// name, the parser and the error's list of accepted names cannot drift apart.
template <typename E>
struct NamedValue {
  E value;
  const char* name;
};

template <typename E, size_t N>
const char* name_of(const NamedValue<E> (&table)[N], E value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return table[0].name;
}

// "unknown WHAT 'name' (a, b, c)", prefixed by "WHERE: " when `where` is given.
template <typename E, size_t N>
E parse_name(const NamedValue<E> (&table)[N], const std::string& name, const std::string& what,
             const std::string& where = "") {
  std::vector<std::string> names;
  for (const auto& entry : table) {
    if (name == entry.name) return entry.value;
    names.push_back(entry.name);
  }
  throw Error((where.empty() ? "" : where + ": ") + "unknown " + what + " '" + name + "' (" +
              join_names(names) + ")");
}

}  // namespace kvchain
