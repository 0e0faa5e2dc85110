#!/usr/bin/env bash
# Sets up (dependencies, configure, build) and runs the main job on the default config.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j"$(nproc)" --target memgan
./build/release/memgan run configs/default.yaml "$@"
