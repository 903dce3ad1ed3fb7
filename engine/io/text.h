#pragma once

#include <c10/util/ArrayRef.h>

#include <string>
#include <vector>

namespace kvchain {

// A whole file as bytes; an Error naming the file if it cannot be opened.
std::string read_text_file(const std::string& path);

// "[2, 3, 4]", for error messages about tensor shapes.
std::string shape_string(c10::IntArrayRef shape);

// The text up to its first line break: a library's message without its backtrace.
std::string first_line(const std::string& text);

// "a, b, c", for error messages that list the accepted names.
std::string join_names(const std::vector<std::string>& names);

}  // namespace kvchain
