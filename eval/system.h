#pragma once

#include <string>
#include <vector>

namespace kvchain::eval {

// The systems a suite compares, in the paper's tables' order: the base alone without (native)
// and with (rag) the retrieved passages, one prompt-tuned model on them (single), the text
// chain of models, the distilled single model, and FTHSS's shared cache, with its finished
// members' prompts and inputs evicted or kept. Every layer above the engine names a system by
// this enum; its spellings live in the one table behind systems().
enum class System { kNative, kRag, kSingle, kText, kDistill, kShared, kSharedEvict };

struct SystemSpelling {
  System system;
  const char* key;    // in suite configs, on the command line, in file names and scores.json
  const char* label;  // in tables and plots
  const char* group;  // the tables' row group
};
inline constexpr const char* kChainGroup = "Chain of Models";

// Every system, in the tables' order.
const std::vector<SystemSpelling>& systems();
const SystemSpelling& spelling(System system);
inline const char* system_key(System system) {
  return spelling(system).key;
}
inline const char* system_label(System system) {
  return spelling(system).label;
}
// The system spelled `key`; an Error "WHERE: unknown NOUN 'key' (native, rag, ...)". Users know
// the systems as the tables' methods (a suite's "methods") or a chain's modes (`--mode`).
System parse_system(const std::string& key, const std::string& where = "",
                    const std::string& noun = "method");
std::vector<std::string> system_keys();

// Systems that run the chain's members in turn (text, shared, shared-evict): the ones whose
// last member's latency against the intermediate length is Table 5's.
bool is_chain(System system);

}  // namespace kvchain::eval
