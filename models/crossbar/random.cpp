#include "crossbar/random.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "crossbar/simd.h"

namespace memgan::xbar::detail {

uint64_t stream_seed(uint64_t seed, uint64_t stream) {
  uint64_t s = seed ^ (stream * 0xD1B54A32D192ED03ull);
  splitmix64(s);
  return splitmix64(s);
}

Xoshiro256ss::Xoshiro256ss(uint64_t seed) {
  for (auto& w : s_) w = splitmix64(seed);
}

double Xoshiro256ss::normal() {
  // Marsaglia polar method: exact in double, used only for O(cells) draws.
  if (have_spare_) {
    have_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * f;
  have_spare_ = true;
  return u * f;
}

namespace {

constexpr int kLanes = NormalFiller::kLanes;

MEMGAN_XBAR_SIMD_CLONES
void step_lanes(uint64_t* s0, uint64_t* s1, uint64_t* s2, uint64_t* s3, uint64_t* out, std::size_t steps) {
  for (std::size_t k = 0; k < steps; ++k) {
    uint64_t* o = out + k * kLanes;
    for (int l = 0; l < kLanes; ++l) {  // xoshiro256+ in each lane; its top 53 bits are full quality
      o[l] = s0[l] + s3[l];
      const uint64_t t = s1[l] << 17;
      s2[l] ^= s0[l];
      s3[l] ^= s1[l];
      s1[l] ^= s2[l];
      s0[l] ^= s3[l];
      s2[l] ^= t;
      s3[l] = (s3[l] << 45) | (s3[l] >> 19);
    }
  }
}

inline float bits_to_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
inline uint32_t float_to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Box-Muller on m 64-bit words: the top 32 bits give u1 in (0, 1), bits 8..31 the angle.
// ln is exponent * ln2 + atanh series on a mantissa in [sqrt(1/2), sqrt(2)) (|rel err| < 1e-7);
// sin/cos are Taylor polynomials on [0, pi/2) (|err| < 1e-9) rotated into the quadrant.
MEMGAN_XBAR_SIMD_CLONES
void box_muller(const uint64_t* bits, std::size_t m, float* cos_out, float* sin_out) {
  for (std::size_t k = 0; k < m; ++k) {
    const uint64_t b = bits[k];
    const auto hi = static_cast<uint32_t>(b >> 32);
    const auto lo = static_cast<uint32_t>(b);
    const float u1 = static_cast<float>(static_cast<int32_t>(hi >> 8)) * 0x1.0p-24f +
                     (static_cast<float>(static_cast<int32_t>(hi & 0xFFu)) + 0.5f) * 0x1.0p-32f;
    const uint32_t ub = float_to_bits(u1);
    int e = static_cast<int32_t>(ub >> 23) - 127;
    float mant = bits_to_float((ub & 0x007FFFFFu) | 0x3F800000u);
    const bool big = mant > 1.41421356f;
    mant = big ? mant * 0.5f : mant;
    e = big ? e + 1 : e;
    const float s = (mant - 1.0f) / (mant + 1.0f);
    const float s2 = s * s;
    const float ln_m = 2.0f * s * (1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9)))));
    const float ln_u = static_cast<float>(e) * 0.693147181f + ln_m;
    const float r = std::sqrt(-2.0f * ln_u);

    const uint32_t quadrant = lo >> 30;
    const float x = static_cast<float>(static_cast<int32_t>((lo >> 6) & 0x00FFFFFFu)) * (0x1.0p-24f * 1.57079633f);
    const float x2 = x * x;
    const float sn =
        x * (1.0f + x2 * (-1.0f / 6 + x2 * (1.0f / 120 + x2 * (-1.0f / 5040 + x2 * (1.0f / 362880 +
                                                                              x2 * (-1.0f / 39916800 +
                                                                                    x2 * (1.0f / 6227020800.0f)))))));
    const float cs =
        1.0f + x2 * (-0.5f + x2 * (1.0f / 24 + x2 * (-1.0f / 720 + x2 * (1.0f / 40320 +
                                                                    x2 * (-1.0f / 3628800 +
                                                                          x2 * (1.0f / 479001600.0f -
                                                                                x2 * (1.0f / 87178291200.0f)))))));
    // Rotate (cos x, sin x) by quadrant * 90 degrees.
    const float c_q = quadrant == 0 ? cs : quadrant == 1 ? -sn : quadrant == 2 ? -cs : sn;
    const float s_q = quadrant == 0 ? sn : quadrant == 1 ? cs : quadrant == 2 ? -sn : -cs;
    cos_out[k] = r * c_q;
    sin_out[k] = r * s_q;
  }
}

}  // namespace

NormalFiller::NormalFiller(uint64_t seed) {
  for (int l = 0; l < kLanes; ++l) {
    s0_[l] = splitmix64(seed);
    s1_[l] = splitmix64(seed);
    s2_[l] = splitmix64(seed);
    s3_[l] = splitmix64(seed);
  }
  bits_.resize(kBlockPairs);
  block_.resize(2 * kBlockPairs);
  used_ = block_.size();
}

void NormalFiller::next_block(float* out) {
  step_lanes(s0_, s1_, s2_, s3_, bits_.data(), kBlockPairs / kLanes);
  box_muller(bits_.data(), kBlockPairs, out, out + kBlockPairs);
}

void NormalFiller::fill(float* out, std::size_t n) {
  static_assert(kBlockPairs % kLanes == 0, "blocks hold whole lane steps");
  const std::size_t block = block_.size();
  std::size_t take = std::min(n, block - used_);  // leftovers of the last block first
  std::copy(block_.begin() + std::ptrdiff_t(used_), block_.begin() + std::ptrdiff_t(used_ + take), out);
  used_ += take;
  for (; n - take >= block; take += block) next_block(out + take);  // whole blocks in place
  if (take < n) {
    next_block(block_.data());
    used_ = n - take;
    std::copy(block_.begin(), block_.begin() + std::ptrdiff_t(used_), out + take);
  }
}

}  // namespace memgan::xbar::detail
