// Deterministic random numbers for the crossbar model (internal header).
//
// Xoshiro256ss: xoshiro256** 1.0 (Blackman & Vigna), seeded through SplitMix64; scalar draws
// (faults, programming variation, pulse noise, stochastic rounding).
// NormalFiller: bulk N(0,1) floats for read noise. 16 independent xoshiro256+ lanes step in
// lockstep so the compiler vectorises them; each 64-bit output gives two normals by Box-Muller
// with branch-free polynomial log/sin/cos (float accuracy, |z| < 6.7 since u1 >= 2^-33).
// The stream is produced in fixed blocks, so it depends only on the seed: not on how requests
// are split, nor on threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace memgan::xbar::detail {

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

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  bool have_spare_ = false;
  double spare_ = 0.0;
};

class NormalFiller {
 public:
  static constexpr int kLanes = 16;
  explicit NormalFiller(uint64_t seed);
  // Fills out[0, n) with the next n samples of the stream.
  void fill(float* out, std::size_t n);

 private:
  void next_block(float* out);  // 2 * kBlockPairs samples

  static constexpr std::size_t kBlockPairs = 1024;  // normals per block = 2 * kBlockPairs
  alignas(64) uint64_t s0_[kLanes], s1_[kLanes], s2_[kLanes], s3_[kLanes];
  std::vector<uint64_t> bits_;
  std::vector<float> block_;
  std::size_t used_;  // samples of block_ already handed out
};

}  // namespace memgan::xbar::detail
