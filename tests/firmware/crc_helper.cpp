#include <zlib.h>

#include <cstddef>
#include <cstdint>

uint32_t test_crc(const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), p, static_cast<uInt>(n)));
}
