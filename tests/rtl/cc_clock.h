// One clock of a plain C++ Verilated model (--cc) driven directly by a test: a low then a high
// evaluation of its `clk` input.
#pragma once

namespace memgan::rtl::test {

template <class Dut>
void clock_cycle(Dut& dut) {
  dut.clk = 0;
  dut.eval();
  dut.clk = 1;
  dut.eval();
}

}  // namespace memgan::rtl::test
