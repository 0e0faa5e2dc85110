// Layer shapes the mapping tests run: both kinds, K divisible by S or not, output padding,
// stride 1, K < S (phases without taps), 1x1 inputs and outputs. Small, so every test is fast.
#pragma once

#include "core/mapping/dataflow.h"

namespace memgan::mapping::test {

inline ConvShape convt(int n, int cin, int cout, int h, int w, int k, int s, int p, int op) {
  ConvShape c;
  c.kind = ConvKind::ConvTranspose2d;
  c.batch = n;
  c.in_channels = cin;
  c.out_channels = cout;
  c.in_h = h;
  c.in_w = w;
  c.kernel = k;
  c.stride = s;
  c.padding = p;
  c.output_padding = op;
  return c;
}

inline ConvShape conv(int n, int cin, int cout, int h, int w, int k, int s, int p) {
  ConvShape c = convt(n, cin, cout, h, w, k, s, p, 0);
  c.kind = ConvKind::Conv2d;
  return c;
}

struct Case {
  const char* name;
  ConvShape shape;
};

inline const Case kCases[] = {
    {"convT_k4s2p1", convt(2, 3, 2, 3, 4, 4, 2, 1, 0)},     // DCGAN up-sampling block
    {"convT_k3s2p1op1", convt(2, 2, 3, 3, 3, 3, 2, 1, 1)},  // K not divisible by S
    {"convT_k5s2p2op1", convt(1, 2, 2, 4, 3, 5, 2, 2, 1)},
    {"convT_k5s3p1op2", convt(2, 2, 2, 3, 2, 5, 3, 1, 2)},
    {"convT_k4s1p0", convt(2, 3, 2, 1, 1, 4, 1, 0, 0)},     // DCGAN projection from 1x1
    {"convT_k2s3p0", convt(1, 2, 3, 3, 3, 2, 3, 0, 0)},     // K < S: phases without taps
    {"convT_k3s1p1", convt(2, 2, 2, 4, 4, 3, 1, 1, 0)},
    {"conv_k4s2p1", conv(2, 2, 3, 6, 6, 4, 2, 1)},          // DCGAN down-sampling block
    {"conv_k3s2p1", conv(2, 3, 2, 5, 6, 3, 2, 1)},          // remainders 0 and 1 per axis
    {"conv_k5s3p2", conv(1, 2, 2, 7, 8, 5, 3, 2)},
    {"conv_k4s1p0", conv(2, 3, 1, 4, 4, 4, 1, 0)},          // DCGAN 4x4 -> 1x1 head
    {"conv_k2s3p0", conv(1, 2, 2, 5, 5, 2, 3, 0)},          // K < S
};

}  // namespace memgan::mapping::test
