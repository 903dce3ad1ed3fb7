#pragma once

#include <string>

namespace kvchain {

// Shallow prompts are virtual-token embeddings spliced into the input (prompt tuning, the
// paper's method); deep prompts are learned per-layer keys and values that sit in the KV cache
// (P-tuning v2 / PEFT prefix tuning).
enum class AdapterKind { kPrompt, kPrefix };
const char* adapter_kind_name(AdapterKind kind);
AdapterKind parse_adapter_kind(const std::string& name, const std::string& where);

}  // namespace kvchain
