#include "engine/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/io/error.h"

namespace kvchain {

MappedFile::MappedFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    throw Error(path + ": cannot stat (" + std::strerror(errno) + ")");
  }
  size_ = static_cast<size_t>(info.st_size);
  if (size_ > 0) {
    void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      ::close(fd);
      throw Error(path + ": cannot map (" + std::strerror(errno) + ")");
    }
    data_ = static_cast<const uint8_t*>(map);
  }
  ::close(fd);
}

void MappedFile::advise(Access access) const {
  if (data_ == nullptr) return;
  const int advice = access == Access::kRandom       ? MADV_RANDOM
                     : access == Access::kSequential ? MADV_SEQUENTIAL
                                                     : MADV_NORMAL;
  ::madvise(const_cast<uint8_t*>(data_), size_, advice);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace kvchain
