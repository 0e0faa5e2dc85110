// True random noise block: produces the generator's latent vectors from the read noise of
// ReRAM cell pairs (core/xbar DeviceNoiseSource; Satyam et al.), behind registers and
// a sample window that firmware copies from with the DMA.
//
// Registers (offsets from the block base):
//   0x00 ID RO "RNG1" | 0x04 STATUS RO bit0 BUSY | 0x08 CTRL WO bit0 START
//   0x0C ERROR RO (1: COUNT is 0 or exceeds the window) | 0x10 MODE RW (0 uniform [0,1), 1 gaussian)
//   0x14 COUNT RW samples per START | 0x18 SAMPLES RO samples produced so far
// Window at +0x1000: COUNT float32 samples (little-endian), valid once BUSY clears.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "models/base/register_bank.h"
#include "core/xbar/crossbar_array.h"
#include "core/observe/observer.h"
#include "spec/regs/noise.h"

namespace memgan {

struct NoiseParams {
  sc_core::sc_time clock_period;
  int register_access_cycles;
  double sample_ns;
  double sample_pj;          // sense + digitize, on top of the cell reads
  double register_access_pj;
  uint32_t buffer_samples;
};

class NoiseBlock : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<NoiseBlock> socket{"socket"};

  NoiseBlock(sc_core::sc_module_name name, const NoiseParams& timing, const xbar::DeviceParams& device,
             const xbar::NoiseSourceParams& source, uint64_t seed, RunObserver& observer, double leakage_mw);

  int64_t samples() const { return source_.samples(); }

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  std::string start();

  NoiseParams timing_;
  xbar::DeviceNoiseSource source_;
  RunObserver& observer_;
  BlockProbe probe_, reg_probe_;
  RegisterBank bank_;
  std::vector<float> window_;
  uint64_t access_ps_ = 0, busy_until_ps_ = 0;
  uint32_t error_ = 0;
};

}  // namespace memgan
