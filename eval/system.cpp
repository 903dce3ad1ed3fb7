#include "eval/system.h"

#include "engine/io/error.h"
#include "engine/io/text.h"

namespace kvchain::eval {

const std::vector<SystemSpelling>& systems() {
  static const std::vector<SystemSpelling> table = {
      {System::kNative, "native", "Native", "Single Model"},
      {System::kRag, "rag", "Standard RAG", "Single Model"},
      {System::kSingle, "single", "Prompt Tuning", "Single Model"},
      {System::kText, "text", "Chain of models (text)", kChainGroup},
      {System::kDistill, "distill", "Distill", "Streamlining"},
      {System::kShared, "shared", "FTHSS", "Streamlining"},
      {System::kSharedEvict, "shared-evict", "FTHSS, P_A and x_A evicted", "Streamlining"},
  };
  return table;
}

const SystemSpelling& spelling(System system) {
  for (const auto& entry : systems()) {
    if (entry.system == system) return entry;
  }
  return systems().front();
}

std::vector<std::string> system_keys() {
  std::vector<std::string> keys;
  for (const auto& entry : systems()) keys.push_back(entry.key);
  return keys;
}

System parse_system(const std::string& key, const std::string& where, const std::string& noun) {
  for (const auto& entry : systems()) {
    if (key == entry.key) return entry.system;
  }
  throw Error((where.empty() ? "" : where + ": ") + "unknown " + noun + " '" + key + "' (" +
              join_names(system_keys()) + ")");
}

bool is_chain(System system) {
  return system == System::kText || system == System::kShared || system == System::kSharedEvict;
}

}  // namespace kvchain::eval
