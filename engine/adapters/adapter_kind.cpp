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

}  // namespace kvchain
