#include "engine/adapters/adapter_kind.h"

#include "engine/io/named_values.h"

namespace kvchain {
namespace {

constexpr NamedValue<AdapterKind> kAdapterKinds[] = {{AdapterKind::kPrompt, "prompt"},
                                                     {AdapterKind::kPrefix, "prefix"}};

}  // namespace

const char* adapter_kind_name(AdapterKind kind) {
  return name_of(kAdapterKinds, kind);
}

AdapterKind parse_adapter_kind(const std::string& name, const std::string& where) {
  return parse_name(kAdapterKinds, name, "adapter kind", where);
}

void check_virtual_tokens(int64_t n, const std::string& where) {
  if (n < 1 || n > kMaxVirtualTokens) {
    throw Error(where + ": " + std::to_string(n) + " virtual tokens; an adapter has 1 to " +
                std::to_string(kMaxVirtualTokens));
  }
}

}  // namespace kvchain
