#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kvchain {

// A read-only memory map of a whole file; the pages load on first touch. An empty file maps
// nothing (data() is null); a file that cannot be opened or mapped is an Error naming it.
class MappedFile {
 public:
  // How the pages will be read, for the kernel's readahead (madvise): a scan wants large
  // readahead, scattered rows want none, since each fault would otherwise read a whole window.
  enum class Access { kNormal, kSequential, kRandom };

  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Tells the kernel how the pages will be read from now on; a hint, so a kernel that refuses
  // it changes nothing but speed.
  void advise(Access access) const;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace kvchain
