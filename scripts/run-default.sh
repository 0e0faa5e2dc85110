#!/usr/bin/env bash
# Sets up (dependencies, configure, build) and runs the main job on the default config.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# A lean build: the simulator only (the test command builds everything, RTL included).
cmake --preset run
cmake --build --preset run -j"$(nproc)"
./build/run/memgan run configs/default.yaml "$@"
