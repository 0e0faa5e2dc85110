// GoogleTest inside sc_main: SystemC owns main(), and a suite may elaborate one
// platform per process, so each SystemC suite is its own executable.
#include <gtest/gtest.h>
#include <systemc>

int sc_main(int argc, char* argv[]) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
