#!/usr/bin/env bash
# Installs everything memgan needs to build, test and run, from Debian 12 packages.
# Idempotent and non-interactive; run as root (or through sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libsystemc-dev            # SystemC 2.3.4 + TLM-2.0 (built as C++17)
  libyaml-cpp-dev           # config files
  libcli11-dev              # command line
  libfmt-dev                # formatting
  nlohmann-json3-dev        # report.json, power summaries
  libopenblas-dev           # fast sgemm for the crossbar numerics (not the reference BLAS)
  zlib1g-dev                # program-image checksums, gzip data sets
  libpng-dev                # PNG grids of generated samples
  libeigen3-dev             # eigendecompositions of the Frechet distance
  dataset-fashion-mnist     # Fashion-MNIST (IDX, gzip) for GAN training
  libgtest-dev libgmock-dev # tests
  libbenchmark-dev          # bench/
  verilator                 # RTL co-simulation
  gtkwave                   # vcd2fst (trace validation) and the viewer
  chromium                  # headless render test of report.html (tests/report)
  xvfb                      # headless GTKWave load of the save files
  clang libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer targets with ASan + UBSan (fuzz/)
  python3                   # scripts/test-interrupts.sh, fuzz/make_corpus.py: JSON and CSV checks
  parallel                  # memgan sweep --engine parallel (GNU parallel)
  slurm-wlm munge           # memgan sweep --engine slurm; scripts/slurm-local.sh starts a one-node cluster
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
