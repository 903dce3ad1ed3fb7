#include "engine/io/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/io/error.h"

namespace kvchain {

FileLock::FileLock(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(path + ": cannot open the lock file: " + std::strerror(errno));
  int status = 0;
  do {
    status = ::flock(fd_, LOCK_EX);
  } while (status != 0 && errno == EINTR);
  if (status != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd_);
    throw Error(path + ": cannot lock: " + reason);
  }
}

FileLock::~FileLock() {
  ::close(fd_);  // closing releases the lock
}

void make_once(const std::string& lock_path, const std::function<bool()>& missing,
               const std::function<void()>& make) {
  if (!missing()) return;
  const FileLock lock(lock_path);
  if (missing()) make();
}

}  // namespace kvchain
