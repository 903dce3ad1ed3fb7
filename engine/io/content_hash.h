#pragma once

#include <string>

namespace kvchain {

// A content hash for keys that must survive a rerun (cached adapters, resumable checkpoints):
// BLAKE2b with a 128-bit digest (libsodium's crypto_generichash), as 32 hex digits. Unlike
// std::hash, its value is fixed by the algorithm, not by the standard library or the build.
std::string content_hash(const std::string& bytes);
// The same hash of a file's bytes, read in chunks; an Error names a file it cannot read.
std::string file_content_hash(const std::string& path);

}  // namespace kvchain
