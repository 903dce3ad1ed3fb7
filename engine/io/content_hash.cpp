#include "engine/io/content_hash.h"

#include <sodium.h>

#include <array>
#include <fstream>

#include "engine/io/error.h"

namespace kvchain {
namespace {

constexpr size_t kDigestBytes = 16;

class Blake2b {
 public:
  Blake2b() {
    // sodium_init is idempotent and thread-safe; it fails only without a usable random source,
    // which hashing does not need, but the library asks for it before any call.
    static const bool ready = sodium_init() >= 0;
    if (!ready) throw Error("libsodium failed to initialise");
    crypto_generichash_init(&state_, nullptr, 0, kDigestBytes);
  }
  void update(const char* data, size_t size) {
    crypto_generichash_update(&state_, reinterpret_cast<const unsigned char*>(data), size);
  }
  std::string hex() {
    std::array<unsigned char, kDigestBytes> digest{};
    crypto_generichash_final(&state_, digest.data(), digest.size());
    std::array<char, 2 * kDigestBytes + 1> text{};
    sodium_bin2hex(text.data(), text.size(), digest.data(), digest.size());
    return text.data();
  }

 private:
  crypto_generichash_state state_;
};

}  // namespace

std::string content_hash(const std::string& bytes) {
  Blake2b hash;
  hash.update(bytes.data(), bytes.size());
  return hash.hex();
}

std::string file_content_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the file to hash it");
  Blake2b hash;
  std::array<char, 1 << 16> chunk{};
  while (in) {
    in.read(chunk.data(), chunk.size());
    hash.update(chunk.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(path + ": read error while hashing");
  return hash.hex();
}

}  // namespace kvchain
