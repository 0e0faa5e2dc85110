// Typed, validated configuration of one memgan run.
//
// The structs hold the values; schema.cpp binds every field to its YAML key path, type,
// allowed range and documentation, so parsing, validation, --set overrides and the
// resolved-config dump all come from one table. Defaults here are the documented defaults
// of configs/default.yaml (a test checks the two agree).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace memgan::config {

struct ArrayConfig {
  int rows = 128;
  int cols = 128;
};

struct AdcConfig {
  int bits = 8;
  int per_array = 8;                       // ADCs shared by the columns of one array
  // Level units; nullopt = auto (the worst case: never clips). The default is calibrated for
  // the default training run (configs/default.yaml explains the choice).
  std::optional<double> full_scale = 512.0;
};

struct BufferConfig {
  int input_kib = 64;
  int output_kib = 64;
  int bytes_per_cycle = 32;
};

struct BusConfig {
  int width_bytes = 16;
  int latency_cycles = 2;
};

struct DramConfig {
  int size_mib = 64;
  double latency_ns = 50.0;
  double bandwidth_gbps = 12.8;
};

struct DmaConfig {
  int burst_bytes = 64;
};

struct ControllerConfig {
  int cycles_per_command = 4;
  int fetch_bytes = 64;
  int poll_interval_cycles = 16;
  double poll_timeout_us = 10000.0;
};

// The true-random noise block: device read noise of cell pairs (Satyam et al.).
struct NoiseConfig {
  int pairs = 64;
  bool calibrate = true;
  double read_noise_sigma = 0.05;
  int buffer_samples = 4096;
  double sample_ns = 10.0;
};

// The digital unit next to the arrays: batch norm, activations, losses, optimizer math and the
// weight gradients (FP32).
struct DigitalConfig {
  int lanes = 64;         // FP32 operations per clock
  int buffer_kib = 256;   // its operand buffer; larger tensors stream through DRAM
};

struct MappingConfig {
  std::string overflow = "error";  // a network larger than the chip: error | reprogram
};

struct MapperConfig {
  int cycles_per_mvm = 1;
};

// The layer engine's operation scheduling.
struct SchedulerConfig {
  int micro_batch = 8;  // samples per part of a batch-dimension operation, pipelined across layers
};

// Per block: "tlm" (C++ model) or "rtl" (Verilated RTL co-simulated through a transactor).
struct RtlConfig {
  std::string shift_add = "tlm";
  std::string cmd_decoder = "tlm";
  std::string red_addr_gen = "tlm";
};

struct ArchConfig {
  double clock_mhz = 1000.0;
  int tiles = 8;
  int arrays_per_tile = 16;
  ArrayConfig array;
  bool quantize = true;
  int cell_bits = 4;
  int weight_bits = 5;
  int input_bits = 8;
  int dac_bits = 2;
  AdcConfig adc;
  std::string weight_encoding = "differential";
  BufferConfig buffers;
  BusConfig bus;
  DramConfig dram;
  DmaConfig dma;
  ControllerConfig controller;
  NoiseConfig noise;
  MapperConfig mapper;
  SchedulerConfig scheduler;
  MappingConfig mapping;
  DigitalConfig digital;
  RtlConfig rtl;
};

struct PulseConfig {
  int pulses_full_range = 256;
  double nonlinearity_ltp = 1.0;
  double nonlinearity_ltd = 1.0;
  double c2c_sigma = 0.1;
};

struct DeviceConfig {
  double g_min_us = 6.67;
  double g_max_us = 33.3;
  int levels = 16;
  double read_voltage_v = 0.2;
  double program_sigma = 0.02;
  double read_noise_sigma = 0.01;
  double stuck_on_rate = 0.0;
  double stuck_off_rate = 0.0;
  PulseConfig pulse;
  int64_t endurance_writes = 0;
  double write_voltage_v = 4.0;
  double write_pulse_ns = 50.0;
};


struct LeakageConfig {
  double controller_mw = 0.5;
  double bus_mw = 0.2;
  double dram_mw = 5.0;
  double dma_mw = 0.1;
  double input_buffer_mw = 0.4;
  double output_buffer_mw = 0.4;
  double dac_mw = 0.05;
  double array_mw = 0.0;
  double adc_mw = 0.2;
  double shift_add_mw = 0.05;
  double noise_mw = 0.05;
  double digital_mw = 1.0;
};

// Energy per event, picojoules. The array's read energy is not in this table: it is
// computed from the programmed conductances (V^2 * G * t), see core/xbar.
struct EnergyConfig {
  double dac_conversion_pj = 0.004;
  double adc_conversion_pj = 2.0;
  double shift_add_pj = 0.05;
  double input_buffer_read_pj_per_byte = 0.2;
  double input_buffer_write_pj_per_byte = 0.2;
  double output_buffer_read_pj_per_byte = 0.2;
  double output_buffer_write_pj_per_byte = 0.2;
  double bus_pj_per_byte = 0.5;
  double dram_read_pj_per_byte = 20.0;
  double dram_write_pj_per_byte = 20.0;
  double register_access_pj = 0.5;
  double controller_command_pj = 2.0;
  double dma_pj_per_byte = 0.1;
  double noise_sample_pj = 0.5;
  double mapper_pj_per_mvm = 0.2;
  double digital_op_pj = 1.0;   // one FP32 add / compare / multiply
  double digital_mac_pj = 4.6;  // one FP32 multiply-accumulate
  LeakageConfig leakage;
};

struct LatencyConfig {
  double dac_ns = 1.0;
  double array_read_ns = 10.0;
  double adc_ns = 1.0;
  int shift_add_cycles = 1;
  double row_write_ns = 50.0;
  int register_access_cycles = 1;
};

struct TraceConfig {
  bool enabled = true;
  std::string format = "vcd";
  std::string signals = "*";              // glob patterns, '!' excludes (core/trace/trace_filter.h)
  double start_ns = 0;
  std::optional<double> stop_ns;          // nullopt: to the end
  int64_t start_step = 0;                 // training: from the start of this step
  std::optional<int64_t> stop_step;       // training: until this many steps are done; nullopt: to the end
  double max_mb = 200;
};

struct TimelineConfig {
  bool enabled = true;
  int64_t max_events = 1000000;
};

struct SimulationConfig {
  int64_t seed = 1;
  double quantum_ns = 1000.0;
  int threads = 0;  // host threads for the crossbar numerics; 0 = every core
  double power_window_ns = 1e6;
  TraceConfig trace;
  TimelineConfig timeline;
  std::string log_level = "warning";  // error | warning | info | debug (also --log-level)
  bool log_transactions = false;      // one log line per bus transaction
};

struct JobConfig {
  std::string kind = "train";
  int rows = 128;
  int cols = 16;
  int batch = 256;
  int tile = 0;
  int array = 0;
  std::string distribution = "uniform";
};

// A GAN network mapped onto the arrays (memgan map / compare).
struct NetworkConfig {
  std::string file;  // network YAML; resolved next to the config file (training needs one)
  std::string dataflow = "pixel_wise";
  int batch = 64;
};

// GAN training on the chip (job.kind: train): the layer engine runs the network's layer
// programs; see core/train/gan_trainer.h for where each piece of work runs.
struct TrainConfig {
  std::string mode = "analog";     // analog (crossbar arrays) | digital (exact float reference) | timing
  // timing: programming pulses per weight per update (nullopt: the optimizer's closed form).
  std::optional<double> timing_pulses_per_weight;
  int64_t steps = 600;
  std::string optimizer = "adam";  // manhattan | sgd | adam
  double lr_generator = 1e-3;
  double lr_discriminator = 1e-3;
  double beta1 = 0.5;
  double beta2 = 0.999;
  double manhattan_threshold = 0.0;
  double init_std = 0.02;
  double weight_range = 0.1;
  std::string latent = "device";   // device (read noise of cell pairs) | prng
  std::string data = "/usr/share/datasets/fashion-mnist";
  int images = 60000;              // training images used (the first ones of the set)
  int eval_every = 50;
  int eval_samples = 64;
  int score_samples = 512;
  int score_components = 32;
  int score_reference = 5000;
  int checkpoint_every = 100;
};

struct Config {
  ArchConfig arch;
  DeviceConfig device;
  EnergyConfig energy;
  LatencyConfig latency;
  SimulationConfig simulation;
  JobConfig job;
  NetworkConfig network;
  TrainConfig train;
};

}  // namespace memgan::config
