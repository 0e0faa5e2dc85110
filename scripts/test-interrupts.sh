#!/usr/bin/env bash
# Interrupts a short training run at N random points (SIGINT, every other one SIGTERM) and
# checks that each run folder is complete and valid: report.json, timeline.json and
# checkpoint.json parse, power.csv and train.csv are rectangular CSV, trace.vcd converts with
# vcd2fst, and --resume from the folder's checkpoint ends on the same final checkpoint.bin as
# an uninterrupted run.
#   scripts/test-interrupts.sh [N=20] [MEMGAN=build/release/memgan] [SEED]
# Prints one line per point and "N passed, M failed"; exits 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
points=${1:-20}
memgan=$(realpath "${2:-build/release/memgan}")
seed=${3:-$RANDOM}
RANDOM=$seed
work=$(mktemp -d /tmp/memgan-interrupts.XXXXXX)
trap 'rm -rf "$work"' EXIT

args=(configs/default.yaml --quiet --set train.steps=8 --set train.eval_every=2 --set train.checkpoint_every=2)
start=$(date +%s.%N)
"$memgan" run "${args[@]}" --out "$work/full" > /dev/null || { echo "reference run failed"; exit 1; }
wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
echo "reference run: ${wall} s wall; interrupting at random points in [0.2, $wall] s (seed $seed)"

check_folder() {  # $1: run folder. Prints what is wrong, nothing if it is valid.
  local d=$1
  for f in report.json power.csv trace.vcd timeline.json config.yaml program.bin; do
    [ -s "$d/$f" ] || echo "missing or empty $f"
  done
  python3 - "$d" <<'EOF' || echo "a JSON or CSV file does not parse"
import csv, json, os, sys
d = sys.argv[1]
for f in ("report.json", "timeline.json", "checkpoint.json"):
    p = os.path.join(d, f)
    if os.path.exists(p):
        json.load(open(p))
for f in ("power.csv", "train.csv"):
    p = os.path.join(d, f)
    if os.path.exists(p):
        rows = list(csv.reader(open(p)))
        assert rows and all(len(r) == len(rows[0]) for r in rows), f + " is not rectangular"
r = json.load(open(os.path.join(d, "report.json")))
assert r["outcome"] in ("interrupted", "completed"), r["outcome"]
EOF
  vcd2fst "$d/trace.vcd" "$d/trace.fst" > /dev/null 2>&1 || echo "trace.vcd does not convert with vcd2fst"
}

passed=0 failed=0
for i in $(seq 1 "$points"); do
  sig=INT
  [ $((i % 2)) -eq 0 ] && sig=TERM
  delay=$(awk -v w="$wall" -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.2 + (w - 0.2) * r / 32767 }')
  out="$work/p$i"
  "$memgan" run "${args[@]}" --out "$out" > /dev/null 2>"$out.err" &
  pid=$!
  sleep "$delay"
  kill -s "$sig" "$pid" 2> /dev/null
  wait "$pid"
  code=$?
  problems=""
  if [ "$code" -ne 130 ] && [ "$code" -ne 0 ]; then problems="exit $code ($(tail -1 "$out.err"))"; fi
  [ -z "$problems" ] && problems=$(check_folder "$out")
  resumed="no checkpoint yet"
  if [ -z "$problems" ] && [ -f "$out/checkpoint.json" ] && [ "$code" -eq 130 ]; then
    if "$memgan" run "${args[@]}" --resume "$out" --out "$out-resumed" > /dev/null 2>&1 &&
       cmp -s "$out-resumed/checkpoint.bin" "$work/full/checkpoint.bin"; then
      resumed="resumed to the same final checkpoint"
    else
      problems="--resume did not reach the uninterrupted run's final checkpoint"
    fi
  fi
  [ "$code" -eq 0 ] && resumed="finished before the signal"
  if [ -z "$problems" ]; then
    passed=$((passed + 1))
    printf 'point %2d: SIG%-4s at %6.3f s: exit %3d, valid, %s\n' "$i" "$sig" "$delay" "$code" "$resumed"
  else
    failed=$((failed + 1))
    printf 'point %2d: SIG%-4s at %6.3f s: exit %3d, FAILED: %s\n' "$i" "$sig" "$delay" "$code" "$(echo "$problems" | tr '\n' ';')"
  fi
  rm -rf "$out" "$out-resumed" "$out.err"
done
# A full disk: the MVM job into tmpfs folders too small for its outputs. Each must exit 1 naming
# the reason, and every file left under its final name must be whole (unfinished ones are *.part).
disk="$work/disk"
mkdir -p "$disk"
for kib in 64 200 600 1200; do
  if ! mount -t tmpfs -o size=${kib}k tmpfs "$disk" 2> /dev/null; then
    echo "full disk: skipped (cannot mount a tmpfs here; needs root)"
    break
  fi
  "$memgan" run configs/mvm.yaml --quiet --out "$disk/run" > /dev/null 2> "$work/disk.err"
  code=$?
  problems=""
  [ "$code" -eq 1 ] || problems="exit $code instead of 1"
  grep -q "No space left on device" "$work/disk.err" || problems="$problems; no 'No space left on device' in: $(cat "$work/disk.err")"
  for f in "$disk"/run/*; do
    case "$f" in
      *.part) ;;
      *.json) python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$f" 2> /dev/null || problems="$problems; $(basename "$f") truncated" ;;
      *.vcd) vcd2fst "$f" "$work/disk.fst" > /dev/null 2>&1 || problems="$problems; $(basename "$f") truncated" ;;
    esac
  done
  left=$(cd "$disk/run" && ls | tr '\n' ' ')
  umount "$disk"
  if [ -z "$problems" ]; then
    passed=$((passed + 1))
    echo "full disk ${kib} KiB: exit 1, '$(head -c 100 "$work/disk.err")', left: $left"
  else
    failed=$((failed + 1))
    echo "full disk ${kib} KiB: FAILED:$problems (left: $left)"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
