#include "core/xbar/random.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/xbar/crossbar_array.h"
#include "core/xbar/simd.h"

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

void Xoshiro256ss::save(std::ostream& os) const {
  for (const uint64_t w : s_) state_io::write(os, w);
  state_io::write<uint8_t>(os, have_spare_);
  state_io::write(os, spare_);
}

// Box-Muller on 32-bit words (box_muller): u1 >= 2^-33, so r <= sqrt(66 ln 2) < 6.8; the
// polynomial log leaves a margin below 7.
constexpr float kMaxBlockNormal = 7.0f;

void Xoshiro256ss::load(std::istream& is, const char* what) {
  uint64_t s[4];
  for (auto& w : s) w = state_io::read<uint64_t>(is, what);
  // All-zero is the one state xoshiro never reaches: it would return 0 for ever (and normal()
  // would never leave its loop).
  if ((s[0] | s[1] | s[2] | s[3]) == 0) throw std::runtime_error(std::string(what) + ": corrupt random stream state (all zero)");
  const auto have = state_io::read<uint8_t>(is, what);
  const auto spare = state_io::read<double>(is, what);
  if (have > 1) throw std::runtime_error(std::string(what) + ": corrupt random stream state (spare flag)");
  // A finite but impossible spare normal (1e4 sigma) would program cells to astronomical
  // conductances on the next write.
  if (have && !(std::fabs(spare) <= kMaxPolarNormal))
    throw std::runtime_error(std::string(what) + ": corrupt random stream state (a stored normal value " +
                             std::to_string(spare) + " beyond what the generator can produce)");
  std::copy_n(s, 4, s_);
  have_spare_ = have != 0;
  spare_ = spare;
}

namespace {

constexpr int kLanes = LaneBits::kLanes;

// xoshiro256+ in each lane (its top 53 bits are full quality). The state lives in locals for the
// whole call, so it stays in registers (no aliasing with out).
MEMGAN_XBAR_SIMD_CLONES
void step_lanes(uint64_t* s0_io, uint64_t* s1_io, uint64_t* s2_io, uint64_t* s3_io, uint64_t* out,
                std::size_t steps) {
  uint64_t s0[kLanes], s1[kLanes], s2[kLanes], s3[kLanes];
  std::copy_n(s0_io, kLanes, s0);
  std::copy_n(s1_io, kLanes, s1);
  std::copy_n(s2_io, kLanes, s2);
  std::copy_n(s3_io, kLanes, s3);
  for (std::size_t k = 0; k < steps; ++k) {
    uint64_t o[kLanes];
    for (int l = 0; l < kLanes; ++l) {
      o[l] = s0[l] + s3[l];
      const uint64_t t = s1[l] << 17;
      s2[l] ^= s0[l];
      s3[l] ^= s1[l];
      s1[l] ^= s2[l];
      s0[l] ^= s3[l];
      s2[l] ^= t;
      s3[l] = (s3[l] << 45) | (s3[l] >> 19);
    }
    std::copy_n(o, kLanes, out + k * kLanes);
  }
  std::copy_n(s0, kLanes, s0_io);
  std::copy_n(s1, kLanes, s1_io);
  std::copy_n(s2, kLanes, s2_io);
  std::copy_n(s3, kLanes, s3_io);
}

MEMGAN_XBAR_SIMD_CLONES
void normals_from(const uint64_t* words, std::size_t m, float* cos_out, float* sin_out) {
  for (std::size_t k = 0; k < m; ++k) {
    float t, c, s;
    box_muller(words[k], t, c, s);
    const float r = std::sqrt(t);
    cos_out[k] = r * c;
    sin_out[k] = r * s;
  }
}

}  // namespace

LaneBits::LaneBits(uint64_t seed) {
  for (int l = 0; l < kLanes; ++l) {
    s0_[l] = splitmix64(seed);
    s1_[l] = splitmix64(seed);
    s2_[l] = splitmix64(seed);
    s3_[l] = splitmix64(seed);
  }
}

void LaneBits::save(std::ostream& os) const {
  for (const uint64_t* s : {s0_, s1_, s2_, s3_, spare_}) state_io::write_bytes(os, s, sizeof(uint64_t) * kLanes);
  state_io::write<int32_t>(os, spare_used_);
}

void LaneBits::load(std::istream& is, const char* what) {
  for (uint64_t* s : {s0_, s1_, s2_, s3_, spare_}) state_io::read_bytes(is, s, sizeof(uint64_t) * kLanes, what);
  const auto used = state_io::read<int32_t>(is, what);
  if (used < 0 || used > kLanes) throw std::runtime_error(std::string(what) + ": corrupt random stream state");
  for (int l = 0; l < kLanes; ++l)
    if ((s0_[l] | s1_[l] | s2_[l] | s3_[l]) == 0)
      throw std::runtime_error(std::string(what) + ": corrupt random stream state (a lane is all zero)");
  spare_used_ = used;
}

void LaneBits::fill(uint64_t* out, std::size_t n) {
  const std::size_t take = std::min<std::size_t>(n, kLanes - spare_used_);
  std::copy_n(spare_ + spare_used_, take, out);
  spare_used_ += static_cast<int>(take);
  const std::size_t steps = (n - take) / kLanes;
  step_lanes(s0_, s1_, s2_, s3_, out + take, steps);
  const std::size_t done = take + steps * kLanes;
  if (done < n) {
    step_lanes(s0_, s1_, s2_, s3_, spare_, 1);
    spare_used_ = static_cast<int>(n - done);
    std::copy_n(spare_, spare_used_, out + done);
  }
}

NormalFiller::NormalFiller(uint64_t seed) : bits_(seed), words_(kBlockPairs), block_(2 * kBlockPairs) {
  used_ = block_.size();
}

void NormalFiller::save(std::ostream& os) const {
  bits_.save(os);
  state_io::write<uint64_t>(os, used_);
  state_io::write_bytes(os, block_.data() + used_, (block_.size() - used_) * sizeof(float));
}

void NormalFiller::load(std::istream& is, const char* what) {
  bits_.load(is, what);
  const auto used = state_io::read<uint64_t>(is, what);
  if (used > block_.size()) throw std::runtime_error(std::string(what) + ": corrupt random stream state");
  used_ = std::size_t(used);
  state_io::read_bytes(is, block_.data() + used_, (block_.size() - used_) * sizeof(float), what);
  for (std::size_t k = used_; k < block_.size(); ++k)
    if (!(std::fabs(block_[k]) <= kMaxBlockNormal))
      throw std::runtime_error(std::string(what) + ": corrupt random stream state (a stored normal value " +
                               std::to_string(block_[k]) + " beyond what the generator can produce)");
}

void NormalFiller::next_block(float* out) {
  bits_.fill(words_.data(), kBlockPairs);
  normals_from(words_.data(), kBlockPairs, out, out + kBlockPairs);
}

void NormalFiller::fill(float* out, std::size_t n) {
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
