#pragma once

#include <cstdint>
#include <string>

namespace kvchain {

// Shallow prompts are virtual-token embeddings spliced into the input (prompt tuning, the
// paper's method); deep prompts are learned per-layer keys and values that sit in the KV cache
// (P-tuning v2 / PEFT prefix tuning).
enum class AdapterKind { kPrompt, kPrefix };
const char* adapter_kind_name(AdapterKind kind);
AdapterKind parse_adapter_kind(const std::string& name, const std::string& where);

// The most virtual tokens an adapter may have: far above any paper's (50 to a few hundred), far
// below what would fill a machine's memory.
inline constexpr int64_t kMaxVirtualTokens = 4096;
// Throws unless 1 <= n <= kMaxVirtualTokens; `where` names the field.
void check_virtual_tokens(int64_t n, const std::string& where);

}  // namespace kvchain
