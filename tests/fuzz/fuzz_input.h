#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

namespace kvchain::fuzz {

// A fuzz input as the file a loader opens: one per process, rewritten for every input.
inline std::string input_file(const uint8_t* data, size_t size, const char* name) {
  const auto path = "/tmp/kvchain-fuzz-" + std::to_string(::getpid()) + "-" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace kvchain::fuzz
