#include "models/bus/address_map.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace memgan {

void AddressMap::add(const std::string& name, uint64_t base, uint64_t size, int port) {
  if (size == 0) throw std::invalid_argument(fmt::format("region {} has size 0", name));
  if (base + size < base) throw std::invalid_argument(fmt::format("region {} wraps around the address space", name));
  for (const auto& r : regions_) {
    if (base < r.end() && r.base < base + size) {
      throw std::invalid_argument(fmt::format("region {} [0x{:x}, 0x{:x}) overlaps {} [0x{:x}, 0x{:x})", name, base,
                                              base + size, r.name, r.base, r.end()));
    }
  }
  regions_.push_back({name, base, size, port});
  std::sort(regions_.begin(), regions_.end(), [](const auto& a, const auto& b) { return a.base < b.base; });
}

std::optional<AddressRegion> AddressMap::decode(uint64_t addr, uint64_t length) const {
  // Last region starting at or below addr.
  auto it = std::upper_bound(regions_.begin(), regions_.end(), addr,
                             [](uint64_t a, const AddressRegion& r) { return a < r.base; });
  if (it == regions_.begin()) return std::nullopt;
  --it;
  if (addr >= it->end()) return std::nullopt;
  if (length > it->end() - addr) return std::nullopt;  // straddles the end of the region
  return *it;
}

}  // namespace memgan
