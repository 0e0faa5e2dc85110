// Independent reference sequences the RTL blocks are checked against (tests/rtl, docs/rtl.md); the
// shift-and-add's golden model is core/xbar/shift_add.h.
#pragma once

#include <cstdint>
#include <vector>

namespace memgan::rtl::golden {

// One step of the pixel_wise (RED scatter) address generator, rtl/red_addr_gen.sv.
struct RedStep {
  int64_t pixel, in_addr, array, out_y0, out_x0;
  bool first, last, done;
  bool operator==(const RedStep& o) const {
    return pixel == o.pixel && in_addr == o.in_addr && array == o.array && out_y0 == o.out_y0 &&
           out_x0 == o.out_x0 && first == o.first && last == o.last && done == o.done;
  }
};

// The documented step sequence: pixels in raster order, column tiles, then row tiles.
inline std::vector<RedStep> red_steps(int h, int w, int stride, int pad, int64_t cin, int64_t rows, int row_tiles,
                                      int col_tiles) {
  std::vector<RedStep> steps;
  for (int iy = 0; iy < h; ++iy)
    for (int ix = 0; ix < w; ++ix)
      for (int ct = 0; ct < col_tiles; ++ct)
        for (int rt = 0; rt < row_tiles; ++rt) {
          RedStep s;
          s.pixel = int64_t(iy) * w + ix;
          s.in_addr = s.pixel * cin + int64_t(rt) * rows;
          s.array = int64_t(ct) * row_tiles + rt;
          s.out_y0 = int64_t(iy) * stride - pad;
          s.out_x0 = int64_t(ix) * stride - pad;
          s.first = rt == 0;
          s.last = rt == row_tiles - 1;
          s.done = iy == h - 1 && ix == w - 1 && ct == col_tiles - 1 && rt == row_tiles - 1;
          steps.push_back(s);
        }
  return steps;
}

}  // namespace memgan::rtl::golden
