// The Verilated pixel_wise address generator behind its transactor (what the layer engine runs
// with arch.rtl.red_addr_gen: rtl) against the C++ model (mapping::RedAddressWalker) on corner
// and random layer geometries, its clock count, and its signals in the run's own trace.
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <systemc>

#include "core/observe/observer.h"
#include "models/red_addr_gen/red_addr_gen_transactor.h"
#include "core/trace/vcd_writer.h"
#include "tests/temp_dir_test.h"

using namespace memgan;

namespace {

struct Driver : sc_core::sc_module {
  rtl::RedAddrGenTransactor xtor;
  std::vector<mapping::RedGeometry> cases;
  int64_t checked = 0;
  bool rejected_oversize = false;
  Driver(sc_core::sc_module_name n, RunObserver* observer)
      : sc_module(n), xtor("red_addr_gen", sc_core::sc_time(1, sc_core::SC_NS), observer) {
    SC_HAS_PROCESS(Driver);
    SC_THREAD(run);
  }
  void run() {
    std::vector<mapping::RedStep> got;
    for (const auto& g : cases) {
      std::vector<mapping::RedStep> want;
      for (mapping::RedAddressWalker w(g); !w.finished(); w.advance()) want.push_back(w.step());
      const uint64_t clocks0 = xtor.clocks();
      const uint64_t clocks = xtor.generate(g, got);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << "step " << i << ": " << mapping::describe(got[i]) << " vs "
                                   << mapping::describe(want[i]);
        ++checked;
      }
      // Load, one step per clock, one idle clock (and one reset clock before the first).
      EXPECT_EQ(clocks, want.size() + 2 + (clocks0 == 0 ? 1 : 0));
    }
    try {
      xtor.generate({1024, 1, 1, 0, 1, 1, 1, 1}, got);  // H does not fit 10 bits
    } catch (const std::invalid_argument& e) {
      rejected_oversize = std::string(e.what()).find("exceeds its fields") != std::string::npos;
    }
  }
};

}  // namespace

class RedAddrGenXtor : public memgan::testing::TempDirTest {
 protected:
  RedAddrGenXtor() : TempDirTest("red_addr_gen_xtor") {}
};

TEST_F(RedAddrGenXtor, MatchesTheModelOnCornerAndRandomGeometriesAndTracesItsSignals) {
  const std::string vcd_path = path("trace.vcd");
  RunObserver observer(1000000, std::make_unique<trace::VcdWriter>(vcd_path));
  Driver d("soc", &observer);
  d.cases = {
      {1, 1, 1, 0, 1, 128, 1, 1},       // one pixel
      {7, 7, 2, 1, 64, 128, 1, 8},      // dcgan28 up1 on 128 x 64 arrays
      {7, 7, 2, 1, 64, 64, 1, 4},       // dcgan28 down2 backward-data
      {1023, 1, 1023, 1023, 1, 1, 1, 1},  // largest dimensions, most negative origins
      {2, 3, 1, 0, 4000, 1000, 4, 63},  // 63 column tiles, several row tiles
  };
  std::mt19937 rng(99);
  for (int i = 0; i < 40; ++i) {
    std::uniform_int_distribution<int> dim(1, 12), tile(1, 5), sp(0, 6);
    mapping::RedGeometry g{dim(rng), dim(rng), 1 + sp(rng), sp(rng), 0, 32, tile(rng), tile(rng)};
    g.channels = 32 * (g.row_tiles - 1) + std::uniform_int_distribution<int>(1, 32)(rng);
    d.cases.push_back(g);
  }
  observer.begin_trace();
  sc_core::sc_start();
  observer.finish();
  int64_t expected = 0;
  for (const auto& g : d.cases) expected += mapping::red_step_count(g);
  EXPECT_EQ(d.checked, expected);
  EXPECT_TRUE(d.rejected_oversize);
  // The RTL's own nets are in the run's trace under the transactor's model.
  std::ifstream in(vcd_path);
  const std::string vcd{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_NE(vcd.find("$scope module red_addr_gen $end\n$scope module rtl $end"), std::string::npos);
  for (const char* leaf : {" clk $end", " step_in_addr [23:0] $end", " end_rt $end", " busy $end"})
    EXPECT_NE(vcd.find(leaf), std::string::npos) << leaf;
  EXPECT_EQ(observer.vcd()->late_changes(), 0u);
}
