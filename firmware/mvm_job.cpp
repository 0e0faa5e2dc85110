#include "firmware/mvm_job.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "spec/regs/dma.h"
#include "spec/memory_map.h"
#include "firmware/program_builder.h"
#include "spec/regs/tile.h"

namespace memgan::firmware {
namespace {

// splitmix64: tiny, well-studied, and identical on every standard library, which the
// byte-identical-output promise needs (std:: distributions are implementation-defined).
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform01() { return double(next() >> 11) * 0x1.0p-53; }
  double gaussian() {  // Box-Muller
    const double u1 = std::max(uniform01(), 1e-300), u2 = uniform01();
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
  }
};

void fill(std::vector<float>& v, const std::string& dist, bool non_negative, SplitMix64& rng) {
  for (auto& e : v) {
    double s = dist == "uniform" ? 2.0 * rng.uniform01() - 1.0 : rng.gaussian() * 0.5;
    if (non_negative && dist == "relu") s = std::max(0.0, s);
    e = static_cast<float>(s);
  }
}

// Symmetric per-tensor quantization to `bits` (code range +-(2^(bits-1)-1)).
double quantize(const std::vector<float>& v, int bits, std::vector<uint8_t>& out) {
  float max_abs = 0;
  for (float e : v) max_abs = std::max(max_abs, std::fabs(e));
  const int qmax = (1 << (bits - 1)) - 1;
  const double scale = max_abs > 0 ? double(max_abs) / qmax : 1.0;
  out.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const long q = std::clamp<long>(std::lround(v[i] / scale), -qmax, qmax);
    out[i] = static_cast<uint8_t>(static_cast<int8_t>(q));
  }
  return scale;
}

uint64_t align(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// The controller program: program the weights, then stream the batch chunk by chunk.
std::vector<uint8_t> emit_program(const MvmJobSpec& spec, const MvmJob& job, uint64_t w_addr, uint64_t x_addr,
                                  uint64_t y_addr) {
  const uint32_t elem = spec.quantize ? 1 : 4;
  const uint64_t in_vec = uint64_t(spec.rows) * elem, out_vec = uint64_t(spec.cols) * 4;
  const uint64_t tile = memory_map::tile_base(spec.tile);
  const auto dma = [](uint32_t reg) { return static_cast<uint32_t>(memory_map::kDmaBase + reg); };
  const auto treg = [&](uint32_t reg) { return static_cast<uint32_t>(tile + reg); };
  using namespace dma_reg;
  ProgramBuilder p;
  const auto dma_copy = [&](uint64_t src, uint64_t dst, uint32_t len, uint32_t rows, uint32_t src_stride,
                            uint32_t dst_stride) {
    p.write32(dma(kSrc), static_cast<uint32_t>(src))
        .write32(dma(kDst), static_cast<uint32_t>(dst))
        .write32(dma(kLen), len)
        .write32(dma(kRows), rows)
        .write32(dma(kSrcStride), src_stride)
        .write32(dma(kDstStride), dst_stride)
        .write32(dma(kCtrl), kCtrlStart)
        .poll32(dma(kStatus), kStatusBusy, 0)
        .expect32(dma(kStatus), kStatusError, 0);
  };
  // 1. Program the weights: one 2-D DMA into the array's weight window, then wait for the
  //    write-and-verify to finish.
  const uint32_t w_row_bytes = spec.cols * elem;
  dma_copy(w_addr, tile + tile_map::kWeights + uint64_t(spec.array) * tile_map::kWeightWindow, w_row_bytes, spec.rows,
           w_row_bytes, spec.weight_pitch_bytes);
  p.poll32(treg(tile_map::kStatus), tile_map::kStatusBusy, 0).expect32(treg(tile_map::kStatus), tile_map::kStatusError, 0);
  // 2. Static layer registers.
  p.write32(treg(tile_map::kArray), spec.array)
      .write32(treg(tile_map::kRows), spec.rows)
      .write32(treg(tile_map::kCols), spec.cols)
      .write32(treg(tile_map::kRow0), 0)
      .write32(treg(tile_map::kCol0), 0)
      .write32(treg(tile_map::kInAddr), 0)
      .write32(treg(tile_map::kOutAddr), 0);
  // 3. Stream the batch in chunks that fit the buffers.
  for (int v0 = 0; v0 < spec.batch; v0 += job.vectors_per_chunk) {
    const int nv = std::min(job.vectors_per_chunk, spec.batch - v0);
    dma_copy(x_addr + uint64_t(v0) * in_vec, tile + tile_map::kInputBuffer, static_cast<uint32_t>(nv * in_vec), 1, 0,
             0);
    p.write32(treg(tile_map::kNumVectors), nv)
        .write32(treg(tile_map::kCtrl), tile_map::kCtrlStart)
        .poll32(treg(tile_map::kStatus), tile_map::kStatusBusy, 0)
        .expect32(treg(tile_map::kStatus), tile_map::kStatusError, 0);
    dma_copy(tile + tile_map::kOutputBuffer, y_addr + uint64_t(v0) * out_vec, static_cast<uint32_t>(nv * out_vec), 1, 0,
             0);
  }
  p.end();
  return p.image();
}

}  // namespace

MvmJob build_mvm_job(const MvmJobSpec& spec) {
  MvmJob job;
  job.spec = spec;
  SplitMix64 rng{spec.seed * 0xD1B54A32D192ED03ull + 0x5EED};
  job.w.resize(size_t(spec.rows) * spec.cols);
  job.x.resize(size_t(spec.batch) * spec.rows);
  fill(job.w, spec.distribution == "relu" ? "gaussian" : spec.distribution, false, rng);
  fill(job.x, spec.distribution, true, rng);

  const uint32_t elem = spec.quantize ? 1 : 4;
  if (spec.quantize) {
    job.w_scale = quantize(job.w, spec.weight_bits, job.w_bytes);
    job.x_scale = quantize(job.x, spec.input_bits, job.x_bytes);
  } else {
    // Ideal analog path: weights as fractions of the conductance range, inputs as voltages.
    float max_abs = 0;
    for (float e : job.w) max_abs = std::max(max_abs, std::fabs(e));
    job.w_scale = max_abs > 0 ? max_abs : 1.0;
    std::vector<float> frac(job.w.size());
    for (size_t i = 0; i < frac.size(); ++i) frac[i] = static_cast<float>(job.w[i] / job.w_scale);
    job.w_bytes.resize(frac.size() * 4);
    std::memcpy(job.w_bytes.data(), frac.data(), job.w_bytes.size());
    job.x_bytes.resize(job.x.size() * 4);
    std::memcpy(job.x_bytes.data(), job.x.data(), job.x_bytes.size());
  }

  const uint64_t in_vec = uint64_t(spec.rows) * elem, out_vec = uint64_t(spec.cols) * 4;
  job.vectors_per_chunk = static_cast<int>(
      std::min<uint64_t>({uint64_t(spec.batch), spec.input_buffer_bytes / in_vec, spec.output_buffer_bytes / out_vec}));
  if (job.vectors_per_chunk < 1) throw std::invalid_argument("one vector does not fit the tile buffers");

  // DRAM layout: program at the boot address, then weights, inputs, outputs (4 KiB aligned).
  // The program's length does not depend on the addresses: emit once to size it.
  job.image = emit_program(spec, job, 0, 0, 0);
  job.w_addr = align(memory_map::kBootAddress + job.image.size(), 4096);
  job.x_addr = align(job.w_addr + job.w_bytes.size(), 4096);
  job.y_addr = align(job.x_addr + job.x_bytes.size(), 4096);
  job.end_addr = job.y_addr + uint64_t(spec.batch) * spec.cols * 4;
  job.image = emit_program(spec, job, job.w_addr, job.x_addr, job.y_addr);
  return job;
}

MvmCheck check_mvm_result(const MvmJob& job, const uint8_t* y_bytes, double out_lsb, double adc_bound,
                          bool ideal_device) {
  const auto& s = job.spec;
  MvmCheck c;
  c.bound_applies = ideal_device;
  const double sx = job.x_scale, sw = job.w_scale;
  double sum_sq_err = 0, sum_sq_ref = 0;
  for (int b = 0; b < s.batch; ++b) {
    for (int j = 0; j < s.cols; ++j) {
      double ref = 0, bound = 0;
      for (int i = 0; i < s.rows; ++i) {
        const double x = job.x[size_t(b) * s.rows + i], w = job.w[size_t(i) * s.cols + j];
        ref += x * w;
        if (s.quantize) {
          // x*w - (sx*qx)(sw*qw) = (sx*qx) ew + ex (sw*qw) + ex ew, |ex| <= sx/2, |ew| <= sw/2.
          const double qx = static_cast<int8_t>(job.x_bytes[size_t(b) * s.rows + i]);
          const double qw = static_cast<int8_t>(job.w_bytes[size_t(i) * s.cols + j]);
          bound += std::fabs(qx) * sx * sw / 2 + sx / 2 * std::fabs(qw) * sw + sx * sw / 4;
        } else {
          bound += std::fabs(x * w) * 1e-5;  // float32 rounding of the analog-ideal GEMM
        }
      }
      const size_t k = size_t(b) * s.cols + j;
      double chip;
      if (s.quantize) {
        int32_t counts;
        std::memcpy(&counts, y_bytes + 4 * k, 4);
        chip = double(counts) * out_lsb * sx * sw;
        bound += adc_bound * sx * sw;
      } else {
        float y;
        std::memcpy(&y, y_bytes + 4 * k, 4);
        chip = double(y) * sw;
      }
      const double err = std::fabs(chip - ref);
      // A tiny absolute slack for the float32 operands themselves.
      bound += 1e-6 * (1 + std::fabs(ref));
      c.max_abs_error = std::max(c.max_abs_error, err);
      c.max_error_over_bound = std::max(c.max_error_over_bound, err / bound);
      if (err > bound) ++c.outside_bound;
      sum_sq_err += err * err;
      sum_sq_ref += ref * ref;
      ++c.elements;
    }
  }
  c.rms_error = std::sqrt(sum_sq_err / double(c.elements));
  c.rms_reference = std::sqrt(sum_sq_ref / double(c.elements));
  c.relative_rms_error = c.rms_reference > 0 ? c.rms_error / c.rms_reference : 0;
  return c;
}

}  // namespace memgan::firmware
