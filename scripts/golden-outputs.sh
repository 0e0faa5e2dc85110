#!/usr/bin/env bash
# Runs the three reference workloads (MVM job, default training, dataflow compare) with one
# memgan binary and writes their outputs under OUT, so two builds can be compared byte for byte:
#   scripts/golden-outputs.sh OLD/memgan /tmp/a && scripts/golden-outputs.sh build/release/memgan /tmp/b
#   scripts/golden-outputs.sh --diff /tmp/a /tmp/b
# --diff ignores only the report's wall-clock lines ("wall_s", ...). --quick trains 20 steps instead of the default config's 600.
set -euo pipefail
cd "$(dirname "$0")/.."
# IGNORE_KEYS="a b": also ignore report.json lines of these keys (config keys one build adds).
strip_wall() {
  local pattern='"wall_'
  for k in ${IGNORE_KEYS:-}; do pattern="$pattern|\"$k\": "; done
  grep -Ev "$pattern" "$1"
}
if [ "${1:-}" = "--diff" ]; then
  status=0
  for f in mvm/report.json mvm/power.csv mvm/trace.vcd default/report.json default/power.csv default/trace.vcd \
           default/train.csv compare/compare.csv compare/compare.json compare/step_zero_free/trace.vcd; do
    if [ -f "$2/$f" ] || [ -f "$3/$f" ]; then
      if [[ $f == */report.json ]]; then
        # Wall-clock figures (wall_s, wall_per_step_s) are the host's, not the simulation's.
        same() { cmp -s <(strip_wall "$1") <(strip_wall "$2"); }
      else
        same() { cmp -s "$1" "$2"; }
      fi
      if same "$2/$f" "$3/$f"; then echo "identical  $f"; else echo "DIFFERENT  $f"; status=1; fi
    fi
  done
  exit $status
fi
quick=()
if [ "${1:-}" = "--quick" ]; then quick=(--set train.steps=20); shift; fi
bin=$(realpath "$1"); out=$2
# Every run writes to the same scratch folder names, so paths inside the outputs agree.
scratch=traces/golden-run
rm -rf "$scratch" && mkdir -p "$scratch" "$out"
"$bin" run configs/mvm.yaml --out "$scratch/mvm" --quiet
"$bin" run configs/default.yaml --out "$scratch/default" --quiet "${quick[@]}"
"$bin" compare configs/dcgan64-compare.yaml --out "$scratch/compare" --quiet
rm -rf "${out:?}"/{mvm,default,compare}
mv "$scratch"/* "$out"/ && rmdir "$scratch"
