// Where the layer engine's pixel_wise scatter addresses come from when an RTL block replaces the
// C++ model (arch.rtl.red_addr_gen: rtl): the Verilated address generator behind its transactor
// (models/red_addr_gen/red_addr_gen_transactor.h). No Verilator types here.
#pragma once

#include <cstdint>
#include <vector>

#include "core/mapping/red_addr_gen.h"

namespace memgan {

class RedAddrGenSource {
 public:
  virtual ~RedAddrGenSource() = default;
  // One sample's whole step sequence into `steps`; returns the clocks it took. Advances
  // simulated time: call from an SC_THREAD. Throws std::invalid_argument when the geometry does
  // not fit the block's field widths.
  virtual uint64_t generate(const mapping::RedGeometry& g, std::vector<mapping::RedStep>& steps) = 0;
};

}  // namespace memgan
