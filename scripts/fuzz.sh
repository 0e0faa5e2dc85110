#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, -fsanitize=fuzzer,address,undefined, UBSan
# fatal) and runs each one for SECONDS from its shipped seed corpus fuzz/corpus/<target>/
# (copied to a scratch folder: the shipped corpus is never written).
#
#   scripts/fuzz.sh SECONDS [TARGET...]      e.g. scripts/fuzz.sh 60, scripts/fuzz.sh 300 fuzz_config
#
# Exits non-zero on any crash, leak, timeout (-timeout=10 s per input), out-of-memory or
# sanitizer report, naming the target and the input that caused it (under the scratch
# folder's <target>/artifacts/). Prints the executions of each target (libFuzzer's
# stat::number_of_executed_units, -print_final_stats=1).
#
# Environment: FUZZ_BUILD_DIR (default build/fuzz), FUZZ_WORK (scratch folder, default a new
# one under ${TMPDIR:-/tmp}), FUZZ_BUILD_JOBS (default 1), CC / CXX (default clang / clang++),
# FUZZ_NO_BUILD=1 (use the binaries as they are), MEMGAN_FUZZ_NO_GUARDS=1 (targets: skip any
# guard around a known open issue; none today, fuzz/README.md).
# Needs the Debian packages clang and libclang-rt-14-dev (libFuzzer) besides the project's.
set -euo pipefail

usage() { echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
SECONDS_PER_TARGET=$1
shift
[[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] && [ "$SECONDS_PER_TARGET" -gt 0 ] || usage

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build/fuzz}
ALL_TARGETS=(fuzz_config fuzz_program_image fuzz_npy fuzz_idx fuzz_soc_registers fuzz_checkpoint)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target '$t' (${ALL_TARGETS[*]})" >&2; exit 2; }
done

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
  echo "== building ${TARGETS[*]} in $BUILD"
  cmake -S "$ROOT/fuzz" -B "$BUILD" -DCMAKE_C_COMPILER="${CC:-clang}" -DCMAKE_CXX_COMPILER="${CXX:-clang++}" >/dev/null
  cmake --build "$BUILD" -j"${FUZZ_BUILD_JOBS:-1}" --target "${TARGETS[@]}"
fi

WORK=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/memgan-fuzz-run.XXXXXX")}
mkdir -p "$WORK"
echo "== fuzzing ${#TARGETS[@]} target(s) for ${SECONDS_PER_TARGET} s each; scratch: $WORK"

export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
# OpenBLAS (the crossbar numerics) spins worker threads: one thread is ~50x faster here.
export OPENBLAS_NUM_THREADS=1
# Leaks are errors; UBSan reports are fatal and come with a stack (-fno-sanitize-recover=all too).
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

# The seeds fuzz/make_corpus.py makes from nothing (.npy, IDX) are generated, not tracked.
python3 "$ROOT/fuzz/make_corpus.py" --generated-only "$WORK/generated"

failed=()
summary=()
for t in "${TARGETS[@]}"; do
  dir="$WORK/$t"
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  [ -d "$ROOT/fuzz/corpus/$t" ] && cp -R "$ROOT/fuzz/corpus/$t/." "$dir/corpus/"
  [ -d "$WORK/generated/$t" ] && cp -R "$WORK/generated/$t/." "$dir/corpus/"
  args=(-max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1
        -artifact_prefix="$dir/artifacts/" -close_fd_mask=1)
  [ -f "$ROOT/fuzz/dict/$t.dict" ] && args+=(-dict="$ROOT/fuzz/dict/$t.dict")
  echo "-- $t"
  set +e
  (cd "$dir" && "$BUILD/$t" "${args[@]}" "$dir/corpus") >"$dir/log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  artifacts=$(find "$dir/artifacts" -type f | sort)
  if [ $rc -ne 0 ] || [ -n "$artifacts" ]; then
    failed+=("$t")
    summary+=("$(printf '%-20s %12s executions  FAILED (exit %d)' "$t" "${execs:-?}" "$rc")")
    echo "   FAILED (exit $rc): log $dir/log"
    grep -m3 -E "^(SUMMARY|==[0-9]+==ERROR)|fuzz_[a-z_]+: |Test unit written|Timeout|out-of-memory" "$dir/log" | sed 's/^/   /' || true
    for a in $artifacts; do echo "   input: $a"; done
  else
    summary+=("$(printf '%-20s %12s executions  ok' "$t" "${execs:-?}")")
    echo "   ok: ${execs:-?} executions, corpus $(find "$dir/corpus" -type f | wc -l) inputs"
  fi
done

echo "== summary (${SECONDS_PER_TARGET} s per target)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]} (inputs and logs under $WORK)" >&2
  exit 1
fi
