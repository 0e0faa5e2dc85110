#!/usr/bin/env bash
# Step time and energy of a training config on the simulated chip, per dataflow and for a few
# chip variants (tiles, bus width): a markdown table from each run's report.json. The figures of
# the "train on the chip" closing note; a stand-in until `memgan sweep` exists.
#
#   scripts/chip-figures.sh [MEMGAN] [CONFIG] [STEPS] [-- extra --set ...]
# Defaults: build/release/memgan configs/default.yaml 2. Runs go to traces/chip-figures/.
# TILES="8 16" and WIDTHS="4 64" choose the variants (default 4 8 16 and 4 16 64).
set -euo pipefail
memgan=${1:-build/release/memgan}
config=${2:-configs/default.yaml}
steps=${3:-2}
shift $(( $# < 3 ? $# : 3 )) || true
[ "${1:-}" = "--" ] && shift
extra=("$@")
out=traces/chip-figures/$(basename "$config" .yaml)
mkdir -p "$out"

run() {  # label, then --set values
  local label=$1; shift
  local sets=()
  for s in "$@" "${extra[@]}"; do sets+=(--set "$s"); done
  "$memgan" run "$config" --out "$out/$label" --quiet --set train.steps="$steps" \
    --set simulation.trace.enabled=false --set simulation.timeline.enabled=false "${sets[@]}" >/dev/null
  python3 - "$out/$label/report.json" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); t = r["training"]
sp = t["step_split_ns"]; tot = sum(sp.values()) or 1
e = t["energy_split_pJ"]; steps = max(1, t["steps_this_run"])
print(f"| {sys.argv[2]} | {t['time_per_step_ns']/1e6:.3f} | {t['serial_per_step_ns']/1e6:.3f} | {100*sp['compute']/tot:.0f} / {100*sp['movement']/tot:.0f} / "
      f"{100*sp['stall']/tot:.0f} | {t['bottleneck']} | {t['energy_per_step_pJ']/1e6:.1f} | "
      f"{e['compute']/1e6/steps:.1f} / {e['movement']/1e6/steps:.1f} | {t['placement']['arrays_used']} / "
      f"{t['placement']['residency_groups']} |")
PY
}

echo "$config, $steps steps ($memgan):"
echo
echo "| variant | step ms | ops' own ms (serial) | compute / movement / stall % of serial | busiest | energy uJ/step | compute / movement uJ/step | arrays used / groups |"
echo "|---|---|---|---|---|---|---|---|"
# A variant the chip cannot place (a layer larger than the chip) is reported, not fatal.
try() { run "$@" || echo "| $1 | does not fit (see $out/$1) | | | | | | |"; }
for flow in zero_insertion zero_free pixel_wise; do try "$flow" network.dataflow=$flow; done
for tiles in ${TILES:-4 8 16}; do try "tiles$tiles" arch.tiles=$tiles arch.mapping.overflow=reprogram; done
for width in ${WIDTHS:-4 16 64}; do try "bus$width" arch.bus.width_bytes=$width; done
