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

#include "core/xbar/crossbar_array.h"
#include "core/observe/observer.h"
#include "models/base/peripheral.h"
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

class NoiseBlock : public Peripheral {
 public:

  NoiseBlock(sc_core::sc_module_name name, const NoiseParams& params, const xbar::DeviceParams& device,
             const xbar::NoiseSourceParams& source, uint64_t seed, RunObserver& observer, double leakage_mw);

  int64_t samples() const { return source_.samples(); }
  // Training: a latent batch of `count` samples drawn from this block's cells for the trainer
  // (whose own DeviceNoiseSource makes the numbers; docs/architecture.md). `pairs` cell pairs
  // are read in parallel, sample_ns each; energy sample_pj per sample. Returns the end, ps.
  uint64_t draw_latents(int64_t count, int pairs, uint64_t ready_ps);
  int64_t latents_drawn() const { return latents_drawn_; }

 private:
  // The read-only sample window after the registers.
  std::string transport_window(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;
  std::string start();

  NoiseParams params_;
  xbar::DeviceNoiseSource source_;
  BlockProbe probe_;
  Register id_{*this, noise_reg::ID}, status_{*this, noise_reg::STATUS}, ctrl_{*this, noise_reg::CTRL},
      error_reg_{*this, noise_reg::ERROR}, mode_{*this, noise_reg::MODE}, count_{*this, noise_reg::COUNT},
      samples_{*this, noise_reg::SAMPLES};
  std::vector<float> window_;
  uint32_t error_ = 0;
  int64_t latents_drawn_ = 0;
};

}  // namespace memgan
