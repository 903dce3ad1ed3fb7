#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kvchain {

// A read-only memory map of a whole file; the pages load on first touch. An empty file maps
// nothing (data() is null); a file that cannot be opened or mapped is an Error naming it.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace kvchain
