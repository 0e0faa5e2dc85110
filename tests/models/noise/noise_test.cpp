// The noise block on its own: COUNT samples from the device's read noise appear in the
// read-only sample window; bad COUNT and MODE values are rejected.
#include <gtest/gtest.h>
#include <systemc>

#include <cstdint>
#include <set>
#include <vector>

#include "models/base/log.h"
#include "models/noise/noise_block.h"
#include "spec/regs/noise.h"
#include "tests/models/stimulus.h"

using namespace memgan;
using namespace memgan::noise_reg;
using memgan::test::Stimulus;

namespace {

constexpr uint32_t kWindowSamples = 64;

xbar::DeviceParams noisy_cells() {
  xbar::DeviceParams d;
  d.read_noise_sigma = 0.05;  // the source needs read noise
  return d;
}

// 1 ns clock, 1 cycle per register access, 2 ns per sample.
struct NoiseBench : sc_core::sc_module {
  RunObserver obs{1'000'000, nullptr};
  NoiseBlock noise{"noise", NoiseParams{ns(1), 1, 2.0, 0.5, 0.0, kWindowSamples}, noisy_cells(),
                   xbar::NoiseSourceParams{16, true}, 42, obs, 0.0};
  Stimulus cpu;

  NoiseBench(sc_core::sc_module_name name, Stimulus::Body body) : sc_module(name), cpu("cpu", std::move(body)) {
    set_log_level(LogLevel::Error);
    cpu.socket.bind(noise.socket);
  }
};

std::vector<float> read_window(Stimulus& s, uint32_t n) {
  std::vector<float> v(n, -1.0f);
  EXPECT_EQ(s.read(kWindow, v.data(), n * 4), tlm::TLM_OK_RESPONSE);
  return v;
}

}  // namespace

TEST(NoiseBlock, RegisterFileIsTheSpecTable) {
  NoiseBench b("soc", [](Stimulus&) {});
  test::expect_register_file(b.noise, kRegisters);
  test::run(b.cpu);
}

TEST(NoiseBlock, ResetValuesReadBack) {
  NoiseBench b("soc", [&](Stimulus& s) {
    test::expect_resets_read_back(s, 0, kRegisters, kIdValue);
    EXPECT_EQ(s.read32(kMode), kModeGaussian);
    EXPECT_EQ(s.read32(kStatus), 0u);
    EXPECT_EQ(s.read32(kSamples), 0u);
  });
  test::run(b.cpu);
}

TEST(NoiseBlock, RejectedAccessesAreFaultsOfTheBlock) {
  NoiseBench b("soc", [&](Stimulus& s) { test::expect_access_rules(s, b.obs, b.noise, 0, SAMPLES, CTRL, 0x40); });
  test::run(b.cpu);
}

TEST(NoiseBlock, RegisterAccessTakesItsCycles) {
  NoiseBench b("soc", [&](Stimulus& s) { test::expect_register_timing(s, 0, ID, COUNT, ns(1)); });
  test::run(b.cpu);
}

TEST(NoiseBlock, UniformSamplesFillCountSlotsOfTheWindow) {
  constexpr uint32_t kN = 40;
  NoiseBench b("soc", [&](Stimulus& s) {
    s.set(kMode, kModeUniform);
    s.set(kCount, kN);
    s.sync();
    s.set(kCtrl, kCtrlStart);
    // Busy for COUNT x 2 ns from the START's access.
    const sc_core::sc_time end = s.local_time() + ns(2.0 * kN);
    EXPECT_EQ(s.read32(kStatus), kStatusBusy);
    s.start_at(end - ns(1) - ps(1));
    EXPECT_EQ(s.read32(kStatus), kStatusBusy);
    s.start_at(end - ns(1));
    EXPECT_EQ(s.read32(kStatus), 0u);
    EXPECT_EQ(s.read32(kSamples), kN);
    EXPECT_EQ(s.read32(kError), 0u);

    const std::vector<float> w = read_window(s, kWindowSamples);
    std::set<float> distinct;
    for (uint32_t i = 0; i < kN; ++i) {
      EXPECT_GE(w[i], 0.0f) << i;
      EXPECT_LT(w[i], 1.0f) << i;
      distinct.insert(w[i]);
    }
    EXPECT_GT(distinct.size(), kN - 2) << "random samples hardly repeat";
    for (uint32_t i = kN; i < kWindowSamples; ++i) EXPECT_EQ(w[i], 0.0f) << "slot " << i << " beyond COUNT";

    // A second START (gaussian) adds COUNT more and replaces the window's first COUNT.
    s.sync();
    s.set(kMode, kModeGaussian);
    s.set(kCount, 8);
    s.set(kCtrl, kCtrlStart);
    s.delay += ns(100);
    EXPECT_EQ(s.read32(kSamples), kN + 8);
    const std::vector<float> g = read_window(s, kN);
    for (uint32_t i = 0; i < 8; ++i) EXPECT_NE(g[i], w[i]) << i;
    for (uint32_t i = 8; i < kN; ++i) EXPECT_EQ(g[i], w[i]) << i;
  });
  test::run(b.cpu);
  EXPECT_EQ(b.noise.samples(), 48);
  EXPECT_TRUE(b.obs.faults().empty()) << b.obs.last_fault();
}

TEST(NoiseBlock, BadCountOrModeIsAnErrorAndTheWindowIsReadOnly) {
  NoiseBench b("soc", [&](Stimulus& s) {
    s.sync();
    size_t n = b.obs.faults().size();
    EXPECT_EQ(s.write32(kCtrl, kCtrlStart), tlm::TLM_GENERIC_ERROR_RESPONSE) << "COUNT resets to 0";
    test::expect_fault(b.obs, n++, "soc.noise", "COUNT 0 must be in [1, 64]");
    EXPECT_EQ(s.read32(kError), 1u);
    EXPECT_EQ(s.read32(kStatus), kStatusError);
    EXPECT_EQ(s.read32(kSamples), 0u);
    s.sync();
    s.set(kCount, kWindowSamples + 1);
    s.sync();  // faults are stamped when the access is issued: the kernel time after a sync
    EXPECT_EQ(s.write32(kCtrl, kCtrlStart), tlm::TLM_GENERIC_ERROR_RESPONSE);
    test::expect_fault(b.obs, n++, "soc.noise", "COUNT 65");

    s.sync();
    EXPECT_EQ(s.write32(kMode, 2), tlm::TLM_GENERIC_ERROR_RESPONSE);
    test::expect_fault(b.obs, n++, "soc.noise", "MODE must be 0 (uniform) or 1 (gaussian)");
    EXPECT_EQ(s.read32(kMode), kModeGaussian) << "a vetoed value is not stored";

    // A good START clears ERROR.
    s.set(kCount, 4);
    s.set(kCtrl, kCtrlStart);
    EXPECT_EQ(s.read32(kError), 0u);

    // The window: writes are address errors, and so are reads past its end.
    s.sync();
    const float v = 0.5f;
    EXPECT_EQ(s.write(kWindow, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    test::expect_fault(b.obs, n++, "soc.noise", "read-only");
    float past[2];
    s.sync();
    EXPECT_EQ(s.read(kWindow + kWindowSamples * 4 - 4, past, 8), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    test::expect_fault(b.obs, n++, "soc.noise", "holds 64 samples");
    EXPECT_EQ(s.read(kWindow + kWindowSamples * 4 - 4, past, 4), tlm::TLM_OK_RESPONSE) << "the last slot";
  });
  test::run(b.cpu);
}
