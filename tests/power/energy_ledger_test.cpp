#include "core/power/energy_ledger.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace memgan::power {
namespace {

std::string out_path(const std::string& suffix = "") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = std::filesystem::path(MEMGAN_BINARY_DIR) / "test_output" / "power";
  std::filesystem::create_directories(dir);
  return (dir / (std::string(info->name()) + suffix + ".csv")).string();
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  double at(size_t row, const std::string& column) const {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == column) return std::stod(rows.at(row).at(i));
    }
    throw std::out_of_range("no column " + column);
  }
};

Csv read_csv(const std::string& path) {
  Csv csv;
  std::ifstream in(path);
  std::string line;
  auto split = [](const std::string& l) {
    std::vector<std::string> cells;
    std::stringstream ss(l);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    return cells;
  };
  if (std::getline(in, line)) csv.header = split(line);
  while (std::getline(in, line)) csv.rows.push_back(split(line));
  return csv;
}

TEST(EnergyLedger, SplitsEnergyAcrossWindowsExactly) {
  EnergyLedger ledger(1000);
  const ComponentId adc = ledger.add_component("tile0.adc", 0);
  ledger.record(adc, 500, 3000, 100);  // 2.5 windows: 20 + 40 + 40 pJ
  const std::string path = out_path();
  ledger.write_power_csv(path, 3000);
  const Csv csv = read_csv(path);
  ASSERT_EQ(csv.rows.size(), 3u);
  EXPECT_DOUBLE_EQ(csv.at(0, "tile0.adc_dyn_W"), 20.0 / 1000);  // pJ per ps = W
  EXPECT_DOUBLE_EQ(csv.at(1, "tile0.adc_dyn_W"), 40.0 / 1000);
  EXPECT_DOUBLE_EQ(csv.at(2, "tile0.adc_dyn_W"), 40.0 / 1000);
  EXPECT_DOUBLE_EQ(csv.at(0, "cumulative_energy_pJ"), 20);
  EXPECT_DOUBLE_EQ(csv.at(1, "cumulative_energy_pJ"), 60);
  EXPECT_DOUBLE_EQ(csv.at(2, "cumulative_energy_pJ"), 100);
  EXPECT_DOUBLE_EQ(ledger.dynamic_pj(adc), 100);
  EXPECT_EQ(ledger.events(adc), 1);
}

TEST(EnergyLedger, InstantaneousRecordLandsInItsWindow) {
  EnergyLedger ledger(1000);
  const ComponentId c = ledger.add_component("dma", 0);
  ledger.record(c, 1500, 1500, 7);
  ledger.record(c, 2000, 2000, 3);  // a window boundary belongs to the later window
  const std::string path = out_path();
  ledger.write_power_csv(path, 3000);
  const Csv csv = read_csv(path);
  ASSERT_EQ(csv.rows.size(), 3u);
  EXPECT_EQ(csv.at(0, "dma_dyn_W"), 0);
  EXPECT_DOUBLE_EQ(csv.at(1, "dma_dyn_W"), 7.0 / 1000);
  EXPECT_DOUBLE_EQ(csv.at(2, "dma_dyn_W"), 3.0 / 1000);
}

TEST(EnergyLedger, CsvHeaderHasUnitsAndExactTimes) {
  EnergyLedger ledger(1500);
  ledger.add_component("tile0.adc", 1);
  ledger.add_component("noc", 0.5);
  const std::string path = out_path();
  ledger.write_power_csv(path, 4000);
  std::ifstream in(path);
  std::string header, row0, row1, row2, extra;
  std::getline(in, header);
  std::getline(in, row0);
  std::getline(in, row1);
  std::getline(in, row2);
  EXPECT_EQ(header,
            "window_start_ns,window_end_ns,tile0.adc_dyn_W,tile0.adc_leak_W,noc_dyn_W,noc_leak_W,"
            "total_W,cumulative_energy_pJ");
  // 1 mW + 0.5 mW of leakage; 1.5 mW * 1500 ps = 2.25 pJ per full window.
  EXPECT_EQ(row0, "0,1.5,0,0.001,0,0.0005,0.0015,2.25");
  EXPECT_EQ(row1, "1.5,3,0,0.001,0,0.0005,0.0015,4.5");
  EXPECT_EQ(row2, "3,4,0,0.001,0,0.0005,0.0015,6");  // partial window: 1000 ps
  EXPECT_FALSE(std::getline(in, extra));
}

TEST(EnergyLedger, PartialLastWindowUsesItsRealLength) {
  EnergyLedger ledger(1000);
  const ComponentId c = ledger.add_component("xbar", 0);
  ledger.record(c, 2000, 2500, 50);
  const std::string path = out_path();
  ledger.write_power_csv(path, 2500);
  const Csv csv = read_csv(path);
  ASSERT_EQ(csv.rows.size(), 3u);
  EXPECT_EQ(csv.rows[2][1], "2.5");
  EXPECT_DOUBLE_EQ(csv.at(2, "xbar_dyn_W"), 50.0 / 500);  // not 50 / 1000
}

TEST(EnergyLedger, PerComponentSumsEqualTotalDynamic) {
  EnergyLedger ledger(777);
  std::vector<ComponentId> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(ledger.add_component("c" + std::to_string(i), 0));
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> energy(0, 50);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t t0 = rng() % 1000000;
    ledger.record(ids[rng() % ids.size()], t0, t0 + rng() % 5000, energy(rng));
  }
  double sum = 0;
  int64_t events = 0;
  for (ComponentId id : ids) {
    sum += ledger.dynamic_pj(id);
    events += ledger.events(id);
  }
  EXPECT_NEAR(sum, ledger.total_dynamic_pj(), 1e-9 * ledger.total_dynamic_pj());
  EXPECT_GT(ledger.total_dynamic_pj(), 0);
  EXPECT_EQ(events, 100000);
}

TEST(EnergyLedger, LeakageIsPowerTimesTime) {
  EnergyLedger ledger(1000);
  const ComponentId c = ledger.add_component("sram", 2.0);
  EXPECT_DOUBLE_EQ(ledger.leakage_pj(c, 1000000), 2000);  // 2 mW for 1 us = 2 nJ
  EXPECT_EQ(ledger.leakage_pj(c, 0), 0);
  const auto j = ledger.summary_json(1000000);
  EXPECT_DOUBLE_EQ(j["components"]["sram"]["leakage_pJ"].get<double>(), 2000);
  EXPECT_DOUBLE_EQ(j["totals"]["average_power_W"].get<double>(), 0.002);
}

// The same workload, recorded with any window size, yields the same totals and a CSV whose
// cumulative column ends at dynamic + leakage energy.
TEST(EnergyLedger, WindowSizeDoesNotChangeTotalsAndCsvEndsAtTotal) {
  std::vector<double> totals;
  for (uint64_t window : {1000u, 333u, 7u, 250000u}) {
    EnergyLedger ledger(window);
    const ComponentId a = ledger.add_component("tile0.adc", 0.3);
    const ComponentId b = ledger.add_component("tile0.xbar", 1.7);
    std::mt19937_64 rng(11);  // same workload for every window size
    for (int i = 0; i < 2000; ++i) {
      const uint64_t t0 = rng() % 100000;
      ledger.record((rng() % 2) ? a : b, t0, t0 + rng() % 3000, double(rng() % 1000) / 8);
    }
    const uint64_t end = 100000;
    const auto j = ledger.summary_json(end);
    const double total = j["totals"]["total_pJ"].get<double>();
    const double expected = ledger.total_dynamic_pj() + ledger.leakage_pj(a, j["end_ps"].get<uint64_t>()) +
                            ledger.leakage_pj(b, j["end_ps"].get<uint64_t>());
    EXPECT_NEAR(total, expected, 1e-9 * expected);
    const std::string path = out_path("_" + std::to_string(window));
    ledger.write_power_csv(path, end);
    const Csv csv = read_csv(path);
    ASSERT_FALSE(csv.rows.empty());
    EXPECT_NEAR(csv.at(csv.rows.size() - 1, "cumulative_energy_pJ"), total, 1e-9 * total) << window;
    EXPECT_EQ(std::llround(std::stod(csv.rows.back()[1]) * 1000), j["end_ps"].get<int64_t>())
        << "the last window ends at the run end";
    totals.push_back(total);
  }
  for (double t : totals) EXPECT_NEAR(t, totals.front(), 1e-9 * totals.front());
}

TEST(EnergyLedger, DoublingRecordedWorkDoublesDynamicEnergy) {
  auto run = [](int repeats) {
    EnergyLedger ledger(1000);
    const ComponentId c = ledger.add_component("xbar", 0.5);
    for (int r = 0; r < repeats; ++r) {
      std::mt19937_64 rng(3);
      for (int i = 0; i < 1000; ++i) {
        const uint64_t t0 = rng() % 50000;
        ledger.record(c, t0, t0 + rng() % 2000, double(rng() % 100) * 0.37);
      }
    }
    return ledger.summary_json(60000);
  };
  const auto once = run(1);
  const auto twice = run(2);
  const double d1 = once["totals"]["dynamic_pJ"].get<double>();
  EXPECT_GT(d1, 0);
  EXPECT_NEAR(twice["totals"]["dynamic_pJ"].get<double>(), 2 * d1, 1e-12 * d1);
  EXPECT_EQ(twice["totals"]["events"].get<int64_t>(), 2 * once["totals"]["events"].get<int64_t>());
  // Leakage depends on time only.
  EXPECT_DOUBLE_EQ(twice["totals"]["leakage_pJ"].get<double>(), once["totals"]["leakage_pJ"].get<double>());
}

TEST(EnergyLedger, CsvCoversActivityPastTheRequestedEnd) {
  EnergyLedger ledger(1000);
  const ComponentId c = ledger.add_component("tile3.adc", 0);
  ledger.record(c, 1500, 2300, 8);  // an initiator ran ahead of the end time
  EXPECT_EQ(ledger.activity_end_ps(), 2300u);
  const std::string path = out_path();
  ledger.write_power_csv(path, 2000);
  const Csv csv = read_csv(path);
  ASSERT_EQ(csv.rows.size(), 3u);
  EXPECT_EQ(csv.rows.back()[1], "2.3");
  EXPECT_DOUBLE_EQ(csv.at(2, "cumulative_energy_pJ"), 8);
  EXPECT_EQ(ledger.summary_json(2000)["end_ps"].get<uint64_t>(), 2300u);
}

TEST(EnergyLedger, SummaryJsonListsEveryComponent) {
  EnergyLedger ledger(100);
  const ComponentId a = ledger.add_component("tile0.adc", 1);
  ledger.add_component("noc", 0);
  ledger.record(a, 0, 100, 5);
  ledger.record(a, 50, 60, 2.5);
  const auto j = ledger.summary_json(1000);
  ASSERT_EQ(j["components"].size(), 2u);
  const auto& adc = j["components"]["tile0.adc"];
  EXPECT_DOUBLE_EQ(adc["dynamic_pJ"].get<double>(), 7.5);
  EXPECT_DOUBLE_EQ(adc["leakage_pJ"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(adc["total_pJ"].get<double>(), 8.5);
  EXPECT_EQ(adc["events"].get<int64_t>(), 2);
  EXPECT_EQ(j["components"]["noc"]["events"].get<int64_t>(), 0);
  EXPECT_DOUBLE_EQ(j["totals"]["total_pJ"].get<double>(), 8.5);
  EXPECT_EQ(j["window_ps"].get<uint64_t>(), 100u);
  EXPECT_EQ(ledger.names(), (std::vector<std::string>{"tile0.adc", "noc"}));
}

TEST(EnergyLedger, InvalidInputThrows) {
  EXPECT_THROW(EnergyLedger(0), std::invalid_argument);
  EnergyLedger ledger(1000);
  const ComponentId c = ledger.add_component("adc", 0);
  EXPECT_THROW(ledger.add_component("adc", 0), std::invalid_argument);
  EXPECT_THROW(ledger.add_component("", 0), std::invalid_argument);
  EXPECT_THROW(ledger.add_component("a,b", 0), std::invalid_argument);
  EXPECT_THROW(ledger.add_component("a b", 0), std::invalid_argument);
  EXPECT_THROW(ledger.add_component("x", -1), std::invalid_argument);
  EXPECT_THROW(ledger.add_component("x", std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_THROW(ledger.record(c, 10, 5, 1), std::invalid_argument);
  EXPECT_THROW(ledger.record(c, 0, 5, -1), std::invalid_argument);
  EXPECT_THROW(ledger.record(c, 0, 5, std::nan("")), std::invalid_argument);
  EXPECT_THROW(ledger.record(7, 0, 5, 1), std::out_of_range);
  EXPECT_THROW(ledger.dynamic_pj(7), std::out_of_range);
  EXPECT_THROW(ledger.write_power_csv("/nonexistent_dir_memgan/p.csv", 10), std::runtime_error);
  EXPECT_EQ(ledger.events(c), 0);  // rejected records left no trace
  EXPECT_EQ(ledger.total_dynamic_pj(), 0);
}

}  // namespace
}  // namespace memgan::power
