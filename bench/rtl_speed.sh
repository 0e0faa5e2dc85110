#!/usr/bin/env bash
# Wall time of the same workload with the RTL blocks swapped in versus pure TLM (docs/rtl.md,
# "Speed"): the MVM job (configs/mvm.yaml: shift-and-add, command decoder) and a short training
# run (configs/default.yaml: address generator, command decoder). Trace off, so the figure is the
# co-simulation itself. Prints the median of N runs per variant and the ratio to TLM.
# Usage: bench/rtl_speed.sh [memgan binary, default build/release/memgan] [runs, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/memgan}
runs=${2:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# time_runs NAME CONFIG SETS...: prints "NAME median runs..."
time_runs() {
  local name=$1 config=$2
  shift 2
  local sets=() times=()
  for s in "$@"; do sets+=(--set "$s"); done
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$bin" run "$config" --out "$out/$name" --quiet --set simulation.trace.enabled=false "${sets[@]}" >/dev/null
    t1=$(date +%s.%N)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')")
  done
  echo "$name $(printf '%s\n' "${times[@]}" | median) ${times[*]}"
}

train=(train.steps=20 train.eval_every=10 train.checkpoint_every=20)
{
  time_runs mvm_tlm configs/mvm.yaml
  time_runs mvm_rtl_shift_add configs/mvm.yaml arch.rtl.shift_add=rtl
  time_runs mvm_rtl_all configs/mvm.yaml arch.rtl.shift_add=rtl arch.rtl.cmd_decoder=rtl
  time_runs train_tlm configs/default.yaml "${train[@]}"
  time_runs train_rtl_all configs/default.yaml "${train[@]}" arch.rtl.red_addr_gen=rtl arch.rtl.cmd_decoder=rtl
} | tee "$out/times.txt"
echo
awk '{m[$1]=$2} END {
  printf "MVM job:   shift_add RTL %.3fx, shift_add + decoder RTL %.3fx the TLM wall time\n",
         m["mvm_rtl_shift_add"] / m["mvm_tlm"], m["mvm_rtl_all"] / m["mvm_tlm"];
  printf "Training:  address generator + decoder RTL %.3fx the TLM wall time\n", m["train_rtl_all"] / m["train_tlm"] }' \
  "$out/times.txt"
