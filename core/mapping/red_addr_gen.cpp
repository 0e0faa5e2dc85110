#include "core/mapping/red_addr_gen.h"

#include <fmt/format.h>

namespace memgan::mapping {

bool RedGeometry::operator==(const RedGeometry& o) const {
  return h == o.h && w == o.w && stride == o.stride && pad == o.pad && channels == o.channels &&
         rows_per_array == o.rows_per_array && row_tiles == o.row_tiles && col_tiles == o.col_tiles;
}

bool RedStep::operator==(const RedStep& o) const {
  return pixel == o.pixel && in_addr == o.in_addr && array == o.array && out_y0 == o.out_y0 && out_x0 == o.out_x0 &&
         first == o.first && last == o.last && done == o.done;
}

std::string describe(const RedStep& s) {
  return fmt::format("pixel {} in_addr {} array {} origin ({}, {}){}{}{}", s.pixel, s.in_addr, s.array, s.out_y0,
                     s.out_x0, s.first ? " first" : "", s.last ? " last" : "", s.done ? " done" : "");
}

std::optional<RedGeometry> red_scatter_geometry(const LayerSpec& layer, bool backward_data,
                                                const nn::ArrayShape& arrays) {
  const auto tiles = [](int64_t n, int64_t per) { return int((n + per - 1) / per); };
  RedGeometry g;
  g.stride = layer.stride;
  g.pad = layer.padding;
  const int64_t patch = int64_t(layer.kernel) * layer.kernel;
  if (layer.type == LayerType::ConvTranspose2d && !backward_data) {
    // M_px: Ca = Cin rows, K*K*Cout columns; A is the layer input.
    const ConvShape s = layer.conv_shape(1);
    g.h = s.in_h;
    g.w = s.in_w;
    g.channels = s.in_channels;
    g.rows_per_array = arrays.rows;
    g.row_tiles = tiles(g.channels, arrays.rows);
    g.col_tiles = tiles(patch * s.out_channels, arrays.cols);
    return g;
  }
  if (layer.type == LayerType::Conv2d && backward_data) {
    // M_g is (K*K*Cin) x Cout; its transposed read takes the Cout-long output gradient along
    // the columns and scatters a K*K*Cin patch from the rows. A is the layer output.
    const ConvShape s = layer.conv_shape(1);
    g.h = s.out_h();
    g.w = s.out_w();
    g.channels = s.out_channels;
    g.rows_per_array = arrays.cols;
    g.row_tiles = tiles(g.channels, arrays.cols);
    g.col_tiles = tiles(patch * s.in_channels, arrays.rows);
    return g;
  }
  return std::nullopt;
}

RedStep RedAddressWalker::step() const {
  RedStep s;
  s.pixel = int64_t(iy_) * g_.w + ix_;
  s.in_addr = s.pixel * g_.channels + int64_t(rt_) * g_.rows_per_array;
  s.array = int64_t(ct_) * g_.row_tiles + rt_;
  s.out_y0 = int64_t(iy_) * g_.stride - g_.pad;
  s.out_x0 = int64_t(ix_) * g_.stride - g_.pad;
  s.first = rt_ == 0;
  s.last = rt_ + 1 == g_.row_tiles;
  s.done = s.last && ct_ + 1 == g_.col_tiles && ix_ + 1 == g_.w && iy_ + 1 == g_.h;
  return s;
}

void RedAddressWalker::advance() {
  if (finished_) return;
  if (++rt_ < g_.row_tiles) return;
  rt_ = 0;
  if (++ct_ < g_.col_tiles) return;
  ct_ = 0;
  if (++ix_ < g_.w) return;
  ix_ = 0;
  if (++iy_ < g_.h) return;
  finished_ = true;
}

}  // namespace memgan::mapping
