# All dependencies come from Debian packages (scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED)              # OpenMP::OpenMP_CXX (GCC libgomp): arrays of an MVM read in parallel

# SystemC ships pkg-config files but no CMake package on Debian.
pkg_check_modules(SYSTEMC REQUIRED IMPORTED_TARGET systemc)
add_library(memgan::systemc INTERFACE IMPORTED)
target_link_libraries(memgan::systemc INTERFACE PkgConfig::SYSTEMC Threads::Threads)
# Silence the banner in every binary that links SystemC.
target_compile_definitions(memgan::systemc INTERFACE SC_INCLUDE_DYNAMIC_PROCESSES)

# OpenBLAS, not the reference BLAS: the reference one is ~30x slower for sgemm.
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
add_library(memgan::blas INTERFACE IMPORTED)
target_link_libraries(memgan::blas INTERFACE PkgConfig::OPENBLAS)

find_package(yaml-cpp REQUIRED)          # target: yaml-cpp (no namespace in 0.7)
find_package(CLI11 REQUIRED)             # CLI11::CLI11
find_package(nlohmann_json REQUIRED)     # nlohmann_json::nlohmann_json
find_package(fmt REQUIRED)               # fmt::fmt
find_package(ZLIB REQUIRED)
find_package(PNG REQUIRED)               # PNG::PNG (libpng 1.6): sample grids as PNG files
find_package(Eigen3 3.3 REQUIRED NO_MODULE)  # Eigen3::Eigen (header only): Frechet distance
if(MEMGAN_BUILD_TESTS)
  find_package(GTest REQUIRED)           # GTest::gtest, GTest::gtest_main
endif()
if(MEMGAN_BUILD_BENCH)
  find_package(benchmark REQUIRED)       # benchmark::benchmark
endif()
