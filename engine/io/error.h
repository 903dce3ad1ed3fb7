#pragma once

#include <stdexcept>
#include <string>

namespace kvchain {

// Raised for anything a user can fix (bad file, bad option); the CLI prints it without a trace.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace kvchain
