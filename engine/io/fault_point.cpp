#include "engine/io/fault_point.h"

#include <csignal>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

namespace kvchain {
namespace {

struct KillAt {
  std::string what;
  int64_t count = 0;
};

// KVCHAIN_KILL_AT, read once; an empty `what` when unset or malformed, or when
// KVCHAIN_KILL_RANK names another rank of a data-parallel run than this process's RANK.
const KillAt& kill_at() {
  static const KillAt parsed = [] {
    KillAt at;
    const char* value = std::getenv("KVCHAIN_KILL_AT");
    if (value == nullptr) return at;
    const char* victim = std::getenv("KVCHAIN_KILL_RANK");
    const char* rank = std::getenv("RANK");
    if (victim != nullptr && (rank == nullptr || std::string(victim) != rank)) return at;
    const std::string text(value);
    const auto colon = text.find(':');
    if (colon == std::string::npos) return at;
    at.what = text.substr(0, colon);
    at.count = std::atoll(text.c_str() + colon + 1);
    return at;
  }();
  return parsed;
}

}  // namespace

void fault_point(const char* what) {
  const auto& at = kill_at();
  if (at.what.empty() || at.what != what) return;
  static std::mutex mutex;
  static std::map<std::string, int64_t> counts;
  std::lock_guard<std::mutex> lock(mutex);
  if (++counts[what] == at.count) std::raise(SIGKILL);
}

}  // namespace kvchain
