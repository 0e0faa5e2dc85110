// The SoC assembled from a config: controller and DMA as bus initiators; DRAM, DMA
// registers and the tiles as targets of one TLM-2.0 interconnect (memory_map.h).
//
//   controller --\                       /-- dram
//                 >-- interconnect (bus) --- dma (registers)
//   dma ---------/                       \-- tile0 .. tileN-1, noise, layer_engine (training)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "models/bus/interconnect.h"
#include "core/config/config.h"
#include "models/controller/controller.h"
#include "models/digital_unit/digital_unit.h"
#include "models/dma/dma.h"
#include "models/dram/dram.h"
#include "models/layer_engine/layer_engine.h"
#include "models/noise/noise_block.h"
#include "core/observe/observer.h"
#include "models/tile/tile.h"

namespace memgan {

namespace rtl {
class ShiftAddTransactor;
class CmdDecoderTransactor;
class RedAddrGenTransactor;
}

// What a training run adds: the layer engine at memory_map::kLayerEngineBase (its DMA port
// an initiator on the bus) and the digital unit at kDigitalUnitBase. The SoC fills in the
// engine's chip blocks, noise window and DRAM scratch region.
struct LayerEngineSetup {
  LayerEngineParams params;
  train::OpExecutor* executor = nullptr;  // the trainer, or the timing mode's closed forms
};

class Soc : public sc_core::sc_module {
 public:
  Soc(sc_core::sc_module_name name, const config::Config& cfg, RunObserver& observer,
      const LayerEngineSetup* training = nullptr);
  LayerEngine* layer_engine() { return layer_engine_.get(); }
  DigitalUnit* digital_unit() { return digital_.get(); }

  Controller& controller() { return *controller_; }
  Interconnect& bus() { return *bus_; }
  Dram& dram() { return *dram_; }
  Dma& dma() { return *dma_; }
  NoiseBlock& noise() { return *noise_; }
  ~Soc() override;
  Tile& tile(int i) { return *tiles_[i]; }
  int tiles() const { return static_cast<int>(tiles_.size()); }

  // The pure parameter translations, exposed for tests and for `memgan map` later.
  static TileParams tile_params(const config::Config& cfg);
  static xbar::DeviceParams device_params(const config::Config& cfg);

  // RTL co-simulation (arch.rtl.*, docs/rtl.md): the transactors of RTL blocks swapped in.
  const std::vector<rtl::ShiftAddTransactor*>& rtl_shift_adds() const { return rtl_shift_add_; }
  rtl::CmdDecoderTransactor* rtl_cmd_decoder() const { return rtl_cmd_decoder_; }  // null in tlm mode
  // The dataflow mapper's pixel_wise address generator (training runs); null in tlm mode.
  rtl::RedAddrGenTransactor* rtl_red_addr_gen() const { return rtl_red_addr_gen_; }
  // Every RTL block's signals are in the run's trace under "<block>.rtl" (RtlSignalTap).
  // Whether this build has the Verilated blocks (CMake option MEMGAN_WITH_RTL).
  static bool rtl_available();

 private:
  std::unique_ptr<Interconnect> bus_;
  std::unique_ptr<Dram> dram_;
  std::unique_ptr<Dma> dma_;
  std::unique_ptr<NoiseBlock> noise_;
  std::vector<std::unique_ptr<Tile>> tiles_;
  std::unique_ptr<DigitalUnit> digital_;
  std::unique_ptr<LayerEngine> layer_engine_;
  std::unique_ptr<Controller> controller_;
  std::vector<rtl::ShiftAddTransactor*> rtl_shift_add_;  // owned by their tiles
  rtl::CmdDecoderTransactor* rtl_cmd_decoder_ = nullptr;  // owned by the controller
  // Owned as its sc_module base: a build without the RTL never sees the transactor's type.
  std::unique_ptr<sc_core::sc_module> rtl_red_addr_gen_owner_;
  rtl::RedAddrGenTransactor* rtl_red_addr_gen_ = nullptr;
};

}  // namespace memgan
