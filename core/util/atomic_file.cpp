#include "core/util/atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace memgan {

void commit_part(const std::string& path) {
  if (std::rename(part_path(path).c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot finish '" + path + "': " + std::strerror(errno));
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string part = part_path(path);
  std::FILE* f = std::fopen(part.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    const int why = written ? errno : write_errno;
    std::remove(part.c_str());
    throw std::runtime_error("cannot write '" + path + "': " + std::strerror(why));
  }
  commit_part(path);
}

}  // namespace memgan
