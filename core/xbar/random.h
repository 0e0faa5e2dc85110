// Deterministic random numbers for the crossbar model (internal header).
//
// Xoshiro256ss: xoshiro256** 1.0 (Blackman & Vigna), seeded through SplitMix64; scalar draws
// (faults, programming variation, pulse noise, stochastic rounding).
// LaneBits: a bulk stream of 64-bit words from 16 independent xoshiro256+ lanes stepped in
// lockstep, so the compiler vectorises them (word k comes from lane k mod 16).
// box_muller(): one word -> two N(0,1) values, branch-free polynomial log/sin/cos.
// NormalFiller: bulk N(0,1) floats, LaneBits through box_muller in fixed blocks.
// Every stream depends only on its seed: not on how requests are split, nor on threads.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iosfwd>
#include <vector>

namespace memgan::xbar::detail {

// The largest |value| Xoshiro256ss::normal() (the polar method) can return: u^2 <= s and
// s >= 2^-104 (uniform() has 53 bits), so |u f| <= sqrt(-2 ln s) <= sqrt(208 ln 2) < 12.1.
inline constexpr double kMaxPolarNormal = 12.1;

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Independent streams from one seed: stream ids are mixed in before seeding.
uint64_t stream_seed(uint64_t seed, uint64_t stream);

class Xoshiro256ss {
 public:
  explicit Xoshiro256ss(uint64_t seed);
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal();                                                           // N(0, 1), double precision
  // Checkpoint of the whole stream position (state words and the spare normal).
  void save(std::ostream& os) const;
  void load(std::istream& is, const char* what);

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  bool have_spare_ = false;
  double spare_ = 0.0;
};

class LaneBits {
 public:
  static constexpr int kLanes = 16;
  explicit LaneBits(uint64_t seed);
  void fill(uint64_t* out, std::size_t n);  // the next n words of the stream
  void save(std::ostream& os) const;         // lane states and the words not handed out yet
  void load(std::istream& is, const char* what);

 private:
  alignas(64) uint64_t s0_[kLanes], s1_[kLanes], s2_[kLanes], s3_[kLanes];
  uint64_t spare_[kLanes] = {};  // words of the last lane step not handed out yet (zeroed: states compare equal)
  int spare_used_ = kLanes;
};

// Box-Muller on one word: the top 32 bits give u1 in (0, 1), bits 6..29 the angle, bits 30..31
// its quadrant. Returns t = -2 ln u1 (z1 = sqrt(t) cos, z2 = sqrt(t) sin; |z| < 6.7 since
// u1 >= 2^-33), so callers scaling by a standard deviation take one square root, sqrt(var t).
// Float arithmetic only, no division, inline so that it vectorises inside callers' loops:
// ln u1 = e ln2 + ln(1 + f) with the mantissa 1 + f in [sqrt(1/2), sqrt(2)) and
// ln(1 + f) = f P8(f) (|rel err| < 3e-8); sin x = x S4(x^2), cos x = C5(x^2) on [0, pi/2)
// (|err| < 7e-9); Chebyshev fits, then rotated into the quadrant.
inline void box_muller(uint64_t b, float& t, float& cos_out, float& sin_out) {
  const auto hi = static_cast<uint32_t>(b >> 32);
  const auto lo = static_cast<uint32_t>(b);
  const float u1 = static_cast<float>(static_cast<int32_t>(hi >> 8)) * 0x1.0p-24f +
                   (static_cast<float>(static_cast<int32_t>(hi & 0xFFu)) + 0.5f) * 0x1.0p-32f;
  uint32_t ub;
  std::memcpy(&ub, &u1, 4);
  int e = static_cast<int32_t>(ub >> 23) - 127;
  const uint32_t mb = (ub & 0x007FFFFFu) | 0x3F800000u;
  float mant;
  std::memcpy(&mant, &mb, 4);
  const bool big = mant > 1.41421356f;
  // Halve by one off the exponent field (exact, as mant * 0.5f is): integer selects if-convert,
  // a conditional float multiply (which could trap) does not.
  const uint32_t halved = mb - (big ? 0x00800000u : 0u);
  std::memcpy(&mant, &halved, 4);
  e += static_cast<int>(big);
  const float f = mant - 1.0f;
  const float ln_m =
      f * (0.99999997f +
           f * (-0.49999996f +
                f * (0.33334193f +
                     f * (-0.25001352f +
                          f * (0.19955933f +
                               f * (-0.16577993f + f * (0.14977401f + f * (-0.14269258f + f * 0.08533313f))))))));
  t = -2.0f * (static_cast<float>(e) * 0.693147181f + ln_m);

  const uint32_t quadrant = lo >> 30;
  const float x = static_cast<float>(static_cast<int32_t>((lo >> 6) & 0x00FFFFFFu)) * (0x1.0p-24f * 1.57079633f);
  const float x2 = x * x;
  const float sn =
      x * (0.99999999570f +
           x2 * (-0.16666657948f + x2 * (0.0083330501707f + x2 * (-1.9809017408e-4f + x2 * 2.6051076349e-6f))));
  const float cs =
      0.99999999978f +
      x2 * (-0.49999999355f +
            x2 * (0.041666636160f + x2 * (-0.0013888360285f + x2 * (2.4760109679e-5f + x2 * -2.6050657594e-7f))));
  // Rotate (cos x, sin x) by quadrant * 90 degrees: odd quadrants swap the pair, quadrants 1, 2
  // negate the cosine and 2, 3 the sine. With bit masks, not selects, so the loop stays
  // branch-free on AVX2 (whose vectoriser gives up on the nested selects); same bits.
  uint32_t cb, sb;
  std::memcpy(&cb, &cs, 4);
  std::memcpy(&sb, &sn, 4);
  const uint32_t swap = 0u - (quadrant & 1u);
  const uint32_t cos_bits = ((cb & ~swap) | (sb & swap)) ^ (((quadrant ^ (quadrant >> 1)) & 1u) << 31);
  const uint32_t sin_bits = ((sb & ~swap) | (cb & swap)) ^ ((quadrant >> 1) << 31);
  std::memcpy(&cos_out, &cos_bits, 4);
  std::memcpy(&sin_out, &sin_bits, 4);
}

class NormalFiller {
 public:
  explicit NormalFiller(uint64_t seed);
  void fill(float* out, std::size_t n);  // the next n samples of the stream
  void save(std::ostream& os) const;     // lane states and the unused rest of the current block
  void load(std::istream& is, const char* what);

 private:
  static constexpr std::size_t kBlockPairs = 1024;  // normals per block = 2 * kBlockPairs
  void next_block(float* out);                      // 2 * kBlockPairs samples
  LaneBits bits_;
  std::vector<uint64_t> words_;
  std::vector<float> block_;
  std::size_t used_;  // samples of block_ already handed out
};

}  // namespace memgan::xbar::detail
