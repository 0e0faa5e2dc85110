// The foundation workload: program one weight matrix into one array of one tile, stream a
// batch of input vectors through it, and check the result the chip wrote back to DRAM
// against a float reference.
//
// The host side (this file) makes the operands, quantizes them to the datapath's formats,
// lays them out in DRAM, and emits the controller program that moves and computes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace memgan::firmware {

struct MvmJobSpec {
  int rows = 128, cols = 16, batch = 256;
  bool quantize = true;        // int8 inputs/weights, int32 outputs; else float32 everywhere
  int weight_bits = 8, input_bits = 8;
  std::string distribution = "uniform";
  uint64_t seed = 1;
  int tile = 0, array = 0;
  uint32_t weight_pitch_bytes = 0;   // row pitch of the tile's weight window (tile register WEIGHT_PITCH)
  uint32_t input_buffer_bytes = 0, output_buffer_bytes = 0;
};

struct MvmJob {
  MvmJobSpec spec;
  std::vector<float> w, x;                 // float operands: w rows x cols, x batch x rows
  double w_scale = 1, x_scale = 1;         // float = scale * integer code
  std::vector<uint8_t> w_bytes, x_bytes;   // as placed in DRAM
  uint64_t w_addr = 0, x_addr = 0, y_addr = 0, end_addr = 0;
  int vectors_per_chunk = 0;
  std::vector<uint8_t> image;              // controller program, at the boot address
};

MvmJob build_mvm_job(const MvmJobSpec& spec);

struct MvmCheck {
  double max_abs_error = 0;        // |float reference - dequantized chip result|, worst element
  double max_error_over_bound = 0; // worst |error| / bound (<= 1 means within the bound)
  double rms_error = 0;
  double rms_reference = 0;
  double relative_rms_error = 0;   // rms error / rms reference
  int64_t elements = 0;
  int64_t outside_bound = 0;
  bool bound_applies = true;       // false with device non-idealities: the bound is for an ideal device
};

// `y_bytes` are the batch x cols results read from DRAM; `out_lsb` the value of one output
// count (tile register OUT_LSB); `adc_bound_counts` the per-element ADC error bound in
// integer-product units (core/xbar mvm_error_bound).
MvmCheck check_mvm_result(const MvmJob& job, const uint8_t* y_bytes, double out_lsb, double adc_bound,
                          bool ideal_device);

}  // namespace memgan::firmware
