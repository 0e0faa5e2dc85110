// Crossbar MVM speed against the plain sgemm it is built on (docs/numerics.md, "Performance").
// Targets: BM_MvmIdeal >= 0.5x BM_Gemm's rate; BM_MvmFull <= 2x BM_PartialGemms' time.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <random>
#include <vector>

#include "core/xbar/crossbar_array.h"

namespace {

using memgan::xbar::ArrayGeometry;
using memgan::xbar::ConverterParams;
using memgan::xbar::CrossbarArray;
using memgan::xbar::DeviceParams;

std::vector<float> uniform(std::size_t n, float lo, float hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& e : v) e = d(rng);
  return v;
}

std::vector<float> integers(std::size_t n, int lo, int hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<float> v(n);
  for (auto& e : v) e = float(d(rng));
  return v;
}

// Logical shape: rows x cols weights, batch input vectors. Rates count the logical MVM's flops.
void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "cols", "batch"});
  for (const auto& s : std::vector<std::vector<int64_t>>{{128, 128, 1}, {128, 128, 256}, {512, 512, 64},
                                                         {1024, 1024, 64}})
    b->Args(s);
  b->Unit(benchmark::kMicrosecond)->UseRealTime();  // OpenBLAS threads: wall time is what counts
}

void set_counters(benchmark::State& state, int rows, int cols, int batch) {
  state.SetItemsProcessed(state.iterations() * batch);  // MVMs
  state.counters["flops"] =
      benchmark::Counter(2.0 * rows * cols * batch, benchmark::Counter::kIsIterationInvariantRate);
}

// Converters and devices of the full (quantized, non-ideal) mode.
ConverterParams full_converters() { return ConverterParams{}; }  // Bc 2, Bw 8, Bi 8, Bd 1, Ba 8
DeviceParams full_device() {
  DeviceParams d;
  d.program_sigma = 0.05;
  d.read_noise_sigma = 0.02;
  d.stuck_on_rate = 0.01;
  d.stuck_off_rate = 0.01;
  d.pulse.nonlinearity_ltp = 1.0;
  d.pulse.nonlinearity_ltd = 2.0;
  d.pulse.c2c_sigma = 0.05;
  return d;
}

void BM_Gemm(benchmark::State& state) {
  const int rows = int(state.range(0)), cols = int(state.range(1)), batch = int(state.range(2));
  const auto a = uniform(std::size_t(batch) * rows, -1, 1, 1), w = uniform(std::size_t(rows) * cols, -1, 1, 2);
  std::vector<float> c(std::size_t(batch) * cols);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, cols, rows, 1.0f, a.data(), rows, w.data(), cols,
                0.0f, c.data(), cols);
    benchmark::DoNotOptimize(c.data());
  }
  set_counters(state, rows, cols, batch);
}

void BM_MvmIdeal(benchmark::State& state) {
  const int rows = int(state.range(0)), cols = int(state.range(1)), batch = int(state.range(2));
  ConverterParams cp;
  cp.quantize = false;
  CrossbarArray array(ArrayGeometry{rows, 2 * cols}, cp, DeviceParams{}, 1);
  const auto w = uniform(std::size_t(rows) * cols, -1, 1, 2), x = uniform(std::size_t(batch) * rows, -1, 1, 1);
  array.program_weights(0, 0, rows, cols, w.data(), cols);
  std::vector<float> y(std::size_t(batch) * cols);
  for (auto _ : state) {
    array.mvm(x.data(), batch, 0, rows, 0, cols, y.data(), nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(state, rows, cols, batch);
}

// Quantized mode: the array has cols * 2 * ns physical columns so that cols logical outputs fit.
void run_quantized(benchmark::State& state, const DeviceParams& device) {
  const int rows = int(state.range(0)), cols = int(state.range(1)), batch = int(state.range(2));
  const auto cp = full_converters();
  CrossbarArray array(ArrayGeometry{rows, cols * 2 * memgan::xbar::weight_slices(cp)}, cp, device, 1);
  const auto w = integers(std::size_t(rows) * cols, -127, 127, 2);
  const auto x = integers(std::size_t(batch) * rows, -128, 127, 1);
  array.program_weights(0, 0, rows, cols, w.data(), cols);
  std::vector<float> y(std::size_t(batch) * cols);
  memgan::xbar::MvmStats stats;
  for (auto _ : state) {
    array.mvm(x.data(), batch, 0, rows, 0, cols, y.data(), &stats);
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(state, rows, cols, batch);
  state.counters["adc_conv"] =
      benchmark::Counter(double(stats.adc_conversions), benchmark::Counter::kIsRate);
}

void BM_MvmFull(benchmark::State& state) { run_quantized(state, full_device()); }
void BM_MvmQuantIdeal(benchmark::State& state) { run_quantized(state, DeviceParams{}); }

// Exactly the nc * ns partial products of the full mode: one sgemm of each input chunk matrix
// (batch x rows) by each slice matrix (rows x cols).
void BM_PartialGemms(benchmark::State& state) {
  const int rows = int(state.range(0)), cols = int(state.range(1)), batch = int(state.range(2));
  const auto cp = full_converters();
  const int nc = memgan::xbar::input_cycles(cp), ns = memgan::xbar::weight_slices(cp);
  std::vector<std::vector<float>> chunks, slices;
  for (int c = 0; c < nc; ++c) chunks.push_back(integers(std::size_t(batch) * rows, 0, 1, 10 + c));
  for (int s = 0; s < ns; ++s) slices.push_back(integers(std::size_t(rows) * cols, -3, 3, 20 + s));
  std::vector<float> out(std::size_t(batch) * cols);
  for (auto _ : state) {
    for (int c = 0; c < nc; ++c)
      for (int s = 0; s < ns; ++s) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, cols, rows, 1.0f, chunks[c].data(), rows,
                    slices[s].data(), cols, 0.0f, out.data(), cols);
        benchmark::DoNotOptimize(out.data());
      }
  }
  set_counters(state, rows, cols, batch);
}

BENCHMARK(BM_Gemm)->Apply(shapes);
BENCHMARK(BM_MvmIdeal)->Apply(shapes);
BENCHMARK(BM_PartialGemms)->Apply(shapes);
BENCHMARK(BM_MvmQuantIdeal)->Apply(shapes);
BENCHMARK(BM_MvmFull)->Apply(shapes);

}  // namespace

BENCHMARK_MAIN();
