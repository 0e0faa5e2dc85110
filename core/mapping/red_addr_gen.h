// Run-time addressing of the pixel_wise (RED) scatter: the step sequence the dataflow mapper's
// address generator produces for one sample (docs/dataflows.md, docs/rtl.md). Its RTL is
// rtl/red_addr_gen.sv; this is the C++ model the platform runs by default (arch.rtl.red_addr_gen:
// tlm) and checks the RTL against (rtl).
//
// One step per MVM: the A pixel (raster order), then the column tiles of the output patch, then
// the row tiles of the input vector:
//   pixel = iy * W + ix,  in_addr = pixel * Ca + rt * rows_per_array,  array = ct * n_rt + rt,
//   patch origin (iy * S - P, ix * S - P) (may be negative: the overlap-add crops),
//   first = rt == 0, last = rt == n_rt - 1, done = the sequence's final step.
// Zero skipping: only the H x W real pixels are stepped over, never an inserted zero.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/mapping/network.h"
#include "core/nn/mvm_engine.h"

namespace memgan::mapping {

struct RedGeometry {
  int h = 1, w = 1;        // A (the small tensor): pixels stepped over
  int stride = 1, pad = 0;
  int64_t channels = 1;    // Ca: elements of one pixel's input vector
  int64_t rows_per_array = 1;  // input elements one array takes
  int row_tiles = 1, col_tiles = 1;  // arrays along the input vector / along the K x K x Cb patch
  bool operator==(const RedGeometry& o) const;
};

struct RedStep {
  int64_t pixel = 0, in_addr = 0, array = 0, out_y0 = 0, out_x0 = 0;
  bool first = false, last = false, done = false;
  bool operator==(const RedStep& o) const;
};
std::string describe(const RedStep& s);

// The scatter a layer's operation runs on pixel_wise: ConvTranspose2d forward (M_px, the input
// vector along the array rows) or Conv2d backward-data (M_g read transposed: along its columns).
// nullopt for any other layer or operation.
std::optional<RedGeometry> red_scatter_geometry(const LayerSpec& layer, bool backward_data, const nn::ArrayShape& arrays);

inline int64_t red_step_count(const RedGeometry& g) {
  return int64_t(g.h) * g.w * g.row_tiles * g.col_tiles;
}

// The sequence as counters, the way the hardware walks it (rt fastest, then ct, ix, iy).
class RedAddressWalker {
 public:
  explicit RedAddressWalker(const RedGeometry& g) : g_(g) {}
  bool finished() const { return finished_; }
  RedStep step() const;  // the current step; undefined once finished()
  void advance();

 private:
  RedGeometry g_;
  int iy_ = 0, ix_ = 0, ct_ = 0, rt_ = 0;
  bool finished_ = false;
};

}  // namespace memgan::mapping
