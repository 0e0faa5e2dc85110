#include "core/config/schema.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace memgan::config {
namespace {

std::string number_text(double v) {
  // Shortest text that round-trips, so a resolved config reloads to the same value.
  for (int precision = 6; precision <= 17; ++precision) {
    std::string s = fmt::format("{:.{}g}", v, precision);
    if (std::strtod(s.c_str(), nullptr) == v) return s;
  }
  return fmt::format("{:.17g}", v);
}

// A YAML scalar that reads back as `s`: single-quoted with ' doubled, or double-quoted with
// escapes when `s` holds a control character (a line break in single quotes folds to a space).
std::string yaml_quoted(const std::string& s) {
  bool control = false;
  for (const char c : s) control |= static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  std::string out(1, control ? '"' : '\'');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!control) out += c == '\'' ? std::string("''") : std::string(1, c);
    else if (c == '"' || c == '\\') out += std::string(1, '\\') + c;
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  out += control ? '"' : '\'';
  return out;
}

bool parse_integer(const std::string& s, long long& out) {
  if (s.empty()) return false;
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  out = std::strtoll(begin, &end, hex ? 16 : 10);
  return errno == 0 && end == begin + s.size();
}

bool parse_real(const std::string& s, double& out) {
  if (s.empty()) return false;
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  out = std::strtod(begin, &end);
  return errno == 0 && end == begin + s.size() && std::isfinite(out);
}

struct Builder {
  std::vector<Field> fields;
  void integer(std::string path, int& v, int lo, int hi, std::string doc) {
    fields.push_back({std::move(path), FieldKind::Int, &v, double(lo), double(hi), {}, std::move(doc)});
  }
  void integer64(std::string path, int64_t& v, double lo, double hi, std::string doc) {
    fields.push_back({std::move(path), FieldKind::Int64, &v, lo, hi, {}, std::move(doc)});
  }
  void real(std::string path, double& v, double lo, double hi, std::string doc) {
    fields.push_back({std::move(path), FieldKind::Real, &v, lo, hi, {}, std::move(doc)});
  }
  void auto_real(std::string path, std::optional<double>& v, double lo, double hi, std::string doc) {
    fields.push_back({std::move(path), FieldKind::AutoReal, &v, lo, hi, {}, std::move(doc)});
  }
  void auto_integer64(std::string path, std::optional<int64_t>& v, double lo, double hi, std::string doc) {
    fields.push_back({std::move(path), FieldKind::AutoInt64, &v, lo, hi, {}, std::move(doc)});
  }
  void boolean(std::string path, bool& v, std::string doc) {
    fields.push_back({std::move(path), FieldKind::Bool, &v, 0, 1, {}, std::move(doc)});
  }
  void text(std::string path, std::string& v, std::string doc) {
    fields.push_back({std::move(path), FieldKind::Text, &v, 0, 0, {}, std::move(doc)});
  }
  void file_path(std::string path, std::string& v, std::string doc) {
    fields.push_back({std::move(path), FieldKind::Path, &v, 0, 0, {}, std::move(doc)});
  }
  void choice(std::string path, std::string& v, std::vector<std::string> choices, std::string doc) {
    fields.push_back({std::move(path), FieldKind::Choice, &v, 0, 0, std::move(choices), std::move(doc)});
  }
};

}  // namespace

std::string Field::allowed() const {
  switch (kind) {
    case FieldKind::Int:
    case FieldKind::Int64:
      return fmt::format("integer in [{}, {}]", number_text(min), number_text(max));
    case FieldKind::Real:
      return fmt::format("number in [{}, {}]", number_text(min), number_text(max));
    case FieldKind::AutoInt64:
      return fmt::format("'auto' or an integer in [{}, {}]", number_text(min), number_text(max));
    case FieldKind::AutoReal:
      return fmt::format("'auto' or a number in [{}, {}]", number_text(min), number_text(max));
    case FieldKind::Bool:
      return "true or false";
    case FieldKind::Path:
      return "a file path, relative to the config file's folder ('' = not set)";
    case FieldKind::Text:
      return "text";
    case FieldKind::Choice: {
      std::string s = "one of: ";
      for (size_t i = 0; i < choices.size(); ++i) s += (i ? ", " : "") + choices[i];
      return s;
    }
  }
  return {};
}

std::string Field::value_text() const {
  switch (kind) {
    case FieldKind::Int: return std::to_string(*static_cast<int*>(target));
    case FieldKind::Int64: return std::to_string(*static_cast<int64_t*>(target));
    case FieldKind::Real: return number_text(*static_cast<double*>(target));
    case FieldKind::AutoReal: {
      const auto& v = *static_cast<std::optional<double>*>(target);
      return v ? number_text(*v) : "auto";
    }
    case FieldKind::AutoInt64: {
      const auto& v = *static_cast<std::optional<int64_t>*>(target);
      return v ? std::to_string(*v) : "auto";
    }
    case FieldKind::Bool: return *static_cast<bool*>(target) ? "true" : "false";
    case FieldKind::Choice: return *static_cast<std::string*>(target);
    case FieldKind::Path:
    case FieldKind::Text: return yaml_quoted(*static_cast<std::string*>(target));
  }
  return {};
}

void Field::assign(const std::string& s) const {
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument(fmt::format("{}; allowed: {}", what, allowed()));
  };
  switch (kind) {
    case FieldKind::Int:
    case FieldKind::Int64:
    case FieldKind::AutoInt64: {
      if (kind == FieldKind::AutoInt64 && s == "auto") {
        *static_cast<std::optional<int64_t>*>(target) = std::nullopt;
        return;
      }
      long long v = 0;
      if (!parse_integer(s, v)) fail(fmt::format("'{}' is not an integer", s));
      if (double(v) < min || double(v) > max) fail(fmt::format("{} is out of range", s));
      if (kind == FieldKind::Int) *static_cast<int*>(target) = static_cast<int>(v);
      else if (kind == FieldKind::Int64) *static_cast<int64_t*>(target) = static_cast<int64_t>(v);
      else *static_cast<std::optional<int64_t>*>(target) = static_cast<int64_t>(v);
      return;
    }
    case FieldKind::Real:
    case FieldKind::AutoReal: {
      if (kind == FieldKind::AutoReal && s == "auto") {
        *static_cast<std::optional<double>*>(target) = std::nullopt;
        return;
      }
      double v = 0;
      if (!parse_real(s, v)) fail(fmt::format("'{}' is not a number", s));
      if (v < min || v > max) fail(fmt::format("{} is out of range", s));
      if (kind == FieldKind::Real) *static_cast<double*>(target) = v;
      else *static_cast<std::optional<double>*>(target) = v;
      return;
    }
    case FieldKind::Bool:
      // Only the two YAML 1.2 spellings: 'yes'/'on' are too easy to mistype into meaning.
      if (s == "true") *static_cast<bool*>(target) = true;
      else if (s == "false") *static_cast<bool*>(target) = false;
      else fail(fmt::format("'{}' is not a boolean", s));
      return;
    case FieldKind::Path:  // empty = not set
    case FieldKind::Text:
      *static_cast<std::string*>(target) = s;
      return;
    case FieldKind::Choice:
      for (const auto& c : choices) {
        if (c == s) {
          *static_cast<std::string*>(target) = s;
          return;
        }
      }
      fail(fmt::format("'{}' is not a valid choice", s));
  }
}

bool is_section(const std::vector<Field>& fields, const std::string& path) {
  const std::string prefix = path + ".";
  for (const auto& f : fields) {
    if (f.path.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

std::vector<Field> schema(Config& c) {
  Builder b;
  auto& a = c.arch;
  b.real("arch.clock_mhz", a.clock_mhz, 1, 10000, "digital clock of controller, bus, buffers and shift-add, MHz");
  b.integer("arch.tiles", a.tiles, 1, 16, "number of tiles on the bus");
  b.integer("arch.arrays_per_tile", a.arrays_per_tile, 1, 16, "crossbar arrays in each tile");
  b.integer("arch.array.rows", a.array.rows, 2, 4096, "crossbar word lines (inputs)");
  b.integer("arch.array.cols", a.array.cols, 2, 4096, "crossbar bit lines (physical columns)");
  b.boolean("arch.quantize", a.quantize,
            "true: bit-sliced weights, DAC/ADC quantization; false: ideal analog MVM on float data");
  b.integer("arch.cell_bits", a.cell_bits, 1, 4, "bits stored per ReRAM cell");
  b.integer("arch.weight_bits", a.weight_bits, 2, 8, "signed weight width including sign");
  b.integer("arch.input_bits", a.input_bits, 2, 8, "signed input width including sign");
  b.integer("arch.dac_bits", a.dac_bits, 1, 8, "input bits applied per array cycle (1 = bit-serial)");
  b.integer("arch.adc.bits", a.adc.bits, 1, 16, "ADC resolution, signed code");
  b.integer("arch.adc.per_array", a.adc.per_array, 1, 4096, "ADCs shared by the columns of one array");
  b.auto_real("arch.adc.full_scale", a.adc.full_scale, 1e-3, 1e9,
              "ADC input range in level units (one cell step x one DAC step); auto = never clips");
  b.choice("arch.weight_encoding", a.weight_encoding, {"differential", "offset"},
           "signed weights on G+/G- column pairs, or one column plus an offset");
  b.integer("arch.buffers.input_kib", a.buffers.input_kib, 1, 1024, "input buffer per tile, KiB");
  b.integer("arch.buffers.output_kib", a.buffers.output_kib, 1, 1024, "output buffer per tile, KiB");
  b.integer("arch.buffers.bytes_per_cycle", a.buffers.bytes_per_cycle, 1, 4096, "buffer port width, bytes per clock");
  b.integer("arch.bus.width_bytes", a.bus.width_bytes, 1, 256, "interconnect data width, bytes per clock");
  b.integer("arch.bus.latency_cycles", a.bus.latency_cycles, 0, 1000, "interconnect arbitration + routing latency, clocks");
  b.integer("arch.dram.size_mib", a.dram.size_mib, 1, 1024, "DRAM capacity, MiB");
  b.real("arch.dram.latency_ns", a.dram.latency_ns, 0, 1e6, "DRAM access latency, ns");
  b.real("arch.dram.bandwidth_gbps", a.dram.bandwidth_gbps, 0.001, 10000, "DRAM bandwidth, GB/s");
  b.integer("arch.dma.burst_bytes", a.dma.burst_bytes, 1, 65536, "DMA transfer granule, bytes");
  b.integer("arch.controller.cycles_per_command", a.controller.cycles_per_command, 1, 1000,
            "decode + issue time of one program command, clocks");
  b.integer("arch.controller.fetch_bytes", a.controller.fetch_bytes, 16, 65536,
            "program bytes fetched from DRAM per fetch (multiple of 16)");
  b.integer("arch.controller.poll_interval_cycles", a.controller.poll_interval_cycles, 1, 1000000,
            "clocks between two reads of a polled status register");
  b.real("arch.controller.poll_timeout_us", a.controller.poll_timeout_us, 0.001, 1e9,
         "a POLL that has not matched after this long is a firmware error, us");
  b.integer("arch.digital.lanes", a.digital.lanes, 1, 65536, "digital unit: FP32 operations per clock");
  b.integer("arch.digital.buffer_kib", a.digital.buffer_kib, 1, 65536,
            "digital unit operand buffer, KiB; a larger tensor streams through DRAM");
  b.choice("arch.mapping.overflow", a.mapping.overflow, {"error", "reprogram"},
           "training a network larger than the chip: error (naming the layers) or reprogram arrays between layers");
  b.integer("arch.mapper.cycles_per_mvm", a.mapper.cycles_per_mvm, 0, 1000,
            "dataflow mapper unit: clocks to generate the array and buffer addresses of one MVM");
  b.integer("arch.scheduler.micro_batch", a.scheduler.micro_batch, 1, 65536,
            "training: samples per part of each operation along the batch, layer l + 1 starting on a part as soon "
            "as layer l has done it (pipelining across the batch; batch norm waits for the whole batch); "
            ">= network.batch: whole batches");
  b.choice("arch.rtl.shift_add", a.rtl.shift_add, {"tlm", "rtl"},
           "tile shift-and-add: C++ model, or the Verilated RTL via its transactor (docs/rtl.md)");
  b.choice("arch.rtl.cmd_decoder", a.rtl.cmd_decoder, {"tlm", "rtl"},
           "controller command decoder: C++ model, or the Verilated RTL via its transactor");
  b.choice("arch.rtl.red_addr_gen", a.rtl.red_addr_gen, {"tlm", "rtl"},
           "pixel_wise address generator of the dataflow mapper: C++ model, or the Verilated RTL");
  b.integer("arch.noise.pairs", a.noise.pairs, 1, 65536, "cell pairs read round-robin by the noise block");
  b.real("arch.noise.read_noise_sigma", a.noise.read_noise_sigma, 1e-6, 5,
         "relative read noise of the noise block's own cells (read where it is large, on purpose)");
  b.boolean("arch.noise.calibrate", a.noise.calibrate, "subtract each pair's mismatch offset and normalise its gain");
  b.integer("arch.noise.buffer_samples", a.noise.buffer_samples, 1, 262144, "float32 samples the noise window holds");
  b.real("arch.noise.sample_ns", a.noise.sample_ns, 0.001, 1e6, "time to produce one sample (one pair read), ns");

  auto& d = c.device;
  b.real("device.g_min_us", d.g_min_us, 0, 1e6, "lowest programmed conductance (high-resistance state), uS");
  b.real("device.g_max_us", d.g_max_us, 1e-6, 1e6, "highest programmed conductance (low-resistance state), uS");
  b.integer("device.levels", d.levels, 2, 1024, "distinguishable conductance levels of the device");
  b.real("device.read_voltage_v", d.read_voltage_v, 1e-3, 10, "read voltage of one full DAC step, V");
  b.real("device.program_sigma", d.program_sigma, 0, 5, "programming variation, lognormal sigma per device");
  b.real("device.read_noise_sigma", d.read_noise_sigma, 0, 5, "read noise, relative sigma per cell per read");
  b.real("device.stuck_on_rate", d.stuck_on_rate, 0, 1, "fraction of cells stuck at g_max");
  b.real("device.stuck_off_rate", d.stuck_off_rate, 0, 1, "fraction of cells stuck at g_min");
  b.integer("device.pulse.pulses_full_range", d.pulse.pulses_full_range, 1, 1000000,
            "programming pulses from g_min to g_max");
  b.real("device.pulse.nonlinearity_ltp", d.pulse.nonlinearity_ltp, 0, 100, "potentiation nonlinearity (0 = linear)");
  b.real("device.pulse.nonlinearity_ltd", d.pulse.nonlinearity_ltd, 0, 100, "depression nonlinearity (0 = linear)");
  b.real("device.pulse.c2c_sigma", d.pulse.c2c_sigma, 0, 5, "cycle-to-cycle variation of one pulse's step, relative");
  b.integer64("device.endurance_writes", d.endurance_writes, 0, 1e15,
              "write pulses a cell survives before it sticks (0 = unlimited)");
  b.real("device.write_voltage_v", d.write_voltage_v, 0.01, 20, "programming pulse amplitude, V (pulse energy V^2 G t)");
  b.real("device.write_pulse_ns", d.write_pulse_ns, 0.001, 1e6, "programming pulse width, ns");

  auto& e = c.energy;
  b.real("energy.dac_conversion_pj", e.dac_conversion_pj, 0, 1e6, "one DAC conversion (one row, one cycle), pJ");
  b.real("energy.adc_conversion_pj", e.adc_conversion_pj, 0, 1e6, "one ADC conversion, pJ");
  b.real("energy.shift_add_pj", e.shift_add_pj, 0, 1e6, "one shift-and-add operation, pJ");
  b.real("energy.input_buffer_read_pj_per_byte", e.input_buffer_read_pj_per_byte, 0, 1e6, "input buffer read, pJ/byte");
  b.real("energy.input_buffer_write_pj_per_byte", e.input_buffer_write_pj_per_byte, 0, 1e6, "input buffer write, pJ/byte");
  b.real("energy.output_buffer_read_pj_per_byte", e.output_buffer_read_pj_per_byte, 0, 1e6, "output buffer read, pJ/byte");
  b.real("energy.output_buffer_write_pj_per_byte", e.output_buffer_write_pj_per_byte, 0, 1e6, "output buffer write, pJ/byte");
  b.real("energy.bus_pj_per_byte", e.bus_pj_per_byte, 0, 1e6, "interconnect transfer, pJ/byte");
  b.real("energy.dram_read_pj_per_byte", e.dram_read_pj_per_byte, 0, 1e6, "DRAM read, pJ/byte");
  b.real("energy.dram_write_pj_per_byte", e.dram_write_pj_per_byte, 0, 1e6, "DRAM write, pJ/byte");
  b.real("energy.register_access_pj", e.register_access_pj, 0, 1e6, "one memory-mapped register access, pJ");
  b.real("energy.controller_command_pj", e.controller_command_pj, 0, 1e6, "fetch-decode-issue of one command, pJ");
  b.real("energy.dma_pj_per_byte", e.dma_pj_per_byte, 0, 1e6, "DMA engine per byte moved, pJ/byte");
  b.real("energy.mapper_pj_per_mvm", e.mapper_pj_per_mvm, 0, 1e6,
         "dataflow mapper unit: address generation of one MVM, pJ");
  b.real("energy.digital_op_pj", e.digital_op_pj, 0, 1e6, "digital unit: one FP32 add, compare or multiply, pJ");
  b.real("energy.digital_mac_pj", e.digital_mac_pj, 0, 1e6, "digital unit: one FP32 multiply-accumulate, pJ");
  b.real("energy.noise_sample_pj", e.noise_sample_pj, 0, 1e6,
         "noise block sense + digitize per sample, on top of its two cell reads, pJ");
  auto& l = e.leakage;
  b.real("energy.leakage.controller_mw", l.controller_mw, 0, 1e6, "controller leakage, mW");
  b.real("energy.leakage.bus_mw", l.bus_mw, 0, 1e6, "interconnect leakage, mW");
  b.real("energy.leakage.dram_mw", l.dram_mw, 0, 1e6, "DRAM background power, mW");
  b.real("energy.leakage.dma_mw", l.dma_mw, 0, 1e6, "DMA leakage, mW");
  b.real("energy.leakage.input_buffer_mw", l.input_buffer_mw, 0, 1e6, "input buffer leakage per tile, mW");
  b.real("energy.leakage.output_buffer_mw", l.output_buffer_mw, 0, 1e6, "output buffer leakage per tile, mW");
  b.real("energy.leakage.dac_mw", l.dac_mw, 0, 1e6, "DAC bank leakage per array, mW");
  b.real("energy.leakage.array_mw", l.array_mw, 0, 1e6, "crossbar leakage per array (non-volatile: usually 0), mW");
  b.real("energy.leakage.adc_mw", l.adc_mw, 0, 1e6, "ADC bank leakage per array, mW");
  b.real("energy.leakage.shift_add_mw", l.shift_add_mw, 0, 1e6, "shift-and-add leakage per array, mW");
  b.real("energy.leakage.noise_mw", l.noise_mw, 0, 1e6, "noise block leakage, mW");
  b.real("energy.leakage.digital_mw", l.digital_mw, 0, 1e6, "digital unit leakage, mW");

  auto& t = c.latency;
  b.real("latency.dac_ns", t.dac_ns, 0, 1e6, "DAC settling per input cycle, ns");
  b.real("latency.array_read_ns", t.array_read_ns, 1e-3, 1e6, "crossbar read (integration) time per input cycle, ns");
  b.real("latency.adc_ns", t.adc_ns, 1e-3, 1e6, "one ADC conversion, ns");
  b.integer("latency.shift_add_cycles", t.shift_add_cycles, 0, 1000, "shift-and-add pipeline depth, clocks");
  b.real("latency.row_write_ns", t.row_write_ns, 0, 1e9, "write-and-verify of one array row, ns");
  b.integer("latency.register_access_cycles", t.register_access_cycles, 0, 1000, "register file access, clocks");

  auto& s = c.simulation;
  b.integer64("simulation.seed", s.seed, 0, 9.2e18, "seed of every random draw (same seed, same bytes out)");
  b.real("simulation.quantum_ns", s.quantum_ns, 1e-3, 1e9, "TLM temporal-decoupling quantum, ns");
  b.integer("simulation.threads", s.threads, 0, 256,
            "host threads for the arrays' reads (0 = every core); results are the same bits for any count");
  b.real("simulation.power_window_ns", s.power_window_ns, 1e-3, 1e12, "power log window, ns");
  b.choice("simulation.log_level", s.log_level, {"error", "warning", "info", "debug"},
           "messages printed on stderr, '[W 1.234567 us] soc.tile0: text' (--log-level sets it too)");
  b.boolean("simulation.log_transactions", s.log_transactions,
            "one log line per bus transaction: command, address, size, first word, target, response, times");
  b.boolean("simulation.trace.enabled", s.trace.enabled, "write the waveform trace");
  b.choice("simulation.trace.format", s.trace.format, {"vcd", "fst"}, "waveform format (fst: compressed, GTKWave's own)");
  b.text("simulation.trace.signals", s.trace.signals,
         "signals to trace: glob patterns on hierarchical names, '!' excludes, last match wins");
  b.real("simulation.trace.start_ns", s.trace.start_ns, 0, 1e15, "trace window start, ns of simulated time");
  b.auto_real("simulation.trace.stop_ns", s.trace.stop_ns, 0, 1e15, "trace window end, ns; auto = the end of the run");
  b.integer64("simulation.trace.start_step", s.trace.start_step, 0, 1e12,
              "training runs: trace from the start of this step (0-based)");
  b.auto_integer64("simulation.trace.stop_step", s.trace.stop_step, 1, 1e12,
                   "training runs: trace until this many steps are done; auto = the end of the run");
  b.real("simulation.trace.max_mb", s.trace.max_mb, 0.001, 1e6, "stop writing the trace past this size, MB");
  b.boolean("simulation.timeline.enabled", s.timeline.enabled, "write timeline.json (Chrome trace events / Perfetto)");
  b.integer64("simulation.timeline.max_events", s.timeline.max_events, 1, 1e9,
              "events kept in timeline.json; later ones are counted and dropped");

  auto& j = c.job;
  b.choice("job.kind", j.kind, {"mvm", "train"},
           "workload: train (a GAN, section train) or mvm (program one weight matrix, stream vectors through it)");
  b.integer("job.rows", j.rows, 1, 4096, "weight matrix rows (input vector length)");
  b.integer("job.cols", j.cols, 1, 4096, "weight matrix columns (outputs per vector)");
  b.integer("job.batch", j.batch, 1, 1 << 24, "input vectors in the batch");
  b.integer("job.tile", j.tile, 0, 15, "tile that runs the job");
  b.integer("job.array", j.array, 0, 15, "array of that tile that holds the weights");
  b.choice("job.distribution", j.distribution, {"uniform", "gaussian", "relu"},
           "random weights and inputs: uniform [-1,1], gaussian, or ReLU-like non-negative inputs");

  auto& n = c.network;
  b.file_path("network.file", n.file, "network description (configs/nets/*.yaml) for memgan map and compare");
  b.choice("network.dataflow", n.dataflow, {"zero_insertion", "zero_free", "pixel_wise"},
           "transposed-convolution dataflow: baseline zero insertion, ZARA zero-free, RED pixel-wise");
  b.integer("network.batch", n.batch, 1, 65536, "samples per training step");

  auto& tr = c.train;
  b.choice("train.mode", tr.mode, {"analog", "digital", "timing"},
           "analog: every MVM on the modeled arrays, updates as pulses; digital: exact float reference; "
           "timing: no numerics, the chip's time and energy from closed-form event counts (sweeps)");
  b.auto_real("train.timing_pulses_per_weight", tr.timing_pulses_per_weight, 0, 1e6,
              "timing mode: programming pulses per weight per update; auto = 1 (manhattan) or "
              "lr / weight step of one pulse (adam: its step when |m|/sqrt(v) = 1)");
  b.integer64("train.steps", tr.steps, 1, 1e9, "training steps (one discriminator + one generator update each)");
  b.choice("train.optimizer", tr.optimizer, {"manhattan", "sgd", "adam"},
           "manhattan: one pulse against the gradient sign; sgd: pulses ~ lr x gradient; adam: digital moments, pulses");
  b.real("train.lr_generator", tr.lr_generator, 0, 10, "generator learning rate (manhattan: digital step of biases)");
  b.real("train.lr_discriminator", tr.lr_discriminator, 0, 10, "discriminator learning rate");
  b.real("train.beta1", tr.beta1, 0, 0.999999, "Adam first-moment decay");
  b.real("train.beta2", tr.beta2, 0, 0.999999, "Adam second-moment decay");
  b.real("train.manhattan_threshold", tr.manhattan_threshold, 0, 1e9, "manhattan: no pulse where |gradient| <= this");
  b.real("train.init_std", tr.init_std, 0, 10, "initial weights ~ N(0, init_std) (DCGAN: 0.02)");
  b.real("train.weight_range", tr.weight_range, 1e-6, 1e6, "weights map to [-range, range] on the cells (clipped beyond)");
  b.choice("train.latent", tr.latent, {"device", "prng"},
           "latent vectors: device read noise (arch.noise) or a seeded pseudo-random generator");
  b.file_path("train.data", tr.data, "folder with the Fashion-MNIST IDX files (Debian dataset-fashion-mnist)");
  b.integer("train.images", tr.images, 1, 60000, "training images used (the first ones of the set)");
  b.integer("train.eval_every", tr.eval_every, 1, 1 << 30, "steps between sample grids, scores and train.csv rows");
  b.integer("train.eval_samples", tr.eval_samples, 1, 1024, "images in the sample grid (fixed latents)");
  b.integer("train.score_samples", tr.score_samples, 2, 65536, "generated images per quality score (fixed latents)");
  b.integer("train.score_components", tr.score_components, 1, 256, "principal components of the score's feature space");
  b.integer("train.score_reference", tr.score_reference, 2, 60000, "real images that fit the feature space and its statistics");
  b.integer("train.checkpoint_every", tr.checkpoint_every, 0, 1 << 30,
            "steps between checkpoints (a multiple of eval_every; 0 = only at the end)");
  return std::move(b.fields);
}

}  // namespace memgan::config
