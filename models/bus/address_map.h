// The interconnect's address decoder, free of SystemC so it is unit-tested directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace memgan {

struct AddressRegion {
  std::string name;
  uint64_t base;
  uint64_t size;
  int port;  // initiator-socket index of the target behind the region
  uint64_t end() const { return base + size; }
};

class AddressMap {
 public:
  // Throws std::invalid_argument on a zero size, an overflowing range or an overlap.
  void add(const std::string& name, uint64_t base, uint64_t size, int port);
  // The region holding all of [addr, addr + length), or nothing (a decode error).
  std::optional<AddressRegion> decode(uint64_t addr, uint64_t length) const;
  const std::vector<AddressRegion>& regions() const { return regions_; }

 private:
  std::vector<AddressRegion> regions_;  // sorted by base
};

}  // namespace memgan
