#!/usr/bin/env bash
# The whole ctest suite under AddressSanitizer + UndefinedBehaviorSanitizer (the `debug`
# preset, build/debug/). Any sanitizer report fails the test it happens in: UBSan does not
# recover, ASan halts on the first error and LeakSanitizer runs at exit. Suppressions, each
# with its reason, are in scripts/sanitizers/*.supp.
#   scripts/test-sanitizers.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
supp=$(pwd)/scripts/sanitizers
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"
cmake --preset debug
cmake --build --preset debug -j"$(nproc)"
ctest --preset debug -j"$(nproc)" "$@"
