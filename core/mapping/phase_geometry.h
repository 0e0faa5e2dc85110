// Per-axis index geometry shared by the dataflows (dataflow.cpp) and their analytic costs
// (cost.cpp). A convolution and a transposed convolution relate a small side (index a) to a big
// side (index b) through b = a*S + k - P, tap k in [0, K): the transposed convolution scatters
// small -> big, the strided convolution gathers big -> small.
#pragma once

namespace memgan::mapping {

struct AxisGeometry {
  int small = 1;  // positions on the small side (convT input, conv output)
  int big = 1;    // positions on the big side (convT output, conv input)
  int kernel = 1, stride = 1, pad = 0;
};

// ZARA's output phase r = (b + P) mod S: positions b = first + t*S (t < count), taps
// k = r + m*S (m < taps = ceil((K - r) / S)), small index a = base + t - m.
struct AxisPhase {
  int r = 0, taps = 0, first = 0, count = 0, base = 0;
};

inline AxisPhase axis_phase(const AxisGeometry& g, int r) {
  AxisPhase p;
  p.r = r;
  p.taps = r < g.kernel ? (g.kernel - r + g.stride - 1) / g.stride : 0;
  p.first = ((r - g.pad) % g.stride + g.stride) % g.stride;
  p.count = p.first < g.big ? (g.big - p.first + g.stride - 1) / g.stride : 0;
  p.base = (p.first + g.pad - r) / g.stride;
  return p;
}

}  // namespace memgan::mapping
