#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace kvchain {

// A one-line progress bar on stderr: redrawn in place on a terminal, and printed as a plain
// line every tenth of the work otherwise (so CI logs and pipes stay readable).
class Progress {
 public:
  Progress(std::string label, int64_t total);
  // `status` is appended to the line (e.g. "loss 1.23").
  void update(int64_t done, const std::string& status = "");
  void finish(const std::string& status = "");

 private:
  std::string label_;
  int64_t total_;
  int64_t last_decile_ = -1;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace kvchain
