#!/usr/bin/env bash
# Loads a shipped RTL save file (traces/rtl-mvm.gtkw) in GTKWave itself, headless under Xvfb,
# on the trace of the run it is for, and checks that GTKWave displays every signal it names
# (RTL internals next to TLM blocks). Exit 77 (skip) without the tools.
set -euo pipefail
memgan="$1"; source_dir="$2"
command -v xvfb-run >/dev/null && command -v gtkwave >/dev/null || { echo "SKIP: needs xvfb-run and gtkwave"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$memgan" run "$source_dir/configs/mvm.yaml" --out "$dir/rtl-mvm" --quiet --set job.batch=4 \
  --set arch.rtl.shift_add=rtl --set arch.rtl.cmd_decoder=rtl >/dev/null
cat >"$dir/check.tcl" <<'TCL'
set sigs [gtkwave::getDisplayedSignals]
puts "DISPLAYED [llength $sigs]"
gtkwave::/File/Quit
TCL
cp "$source_dir/traces/rtl-mvm.gtkw" "$dir/"
expected=$(grep -c '^soc\.' "$dir/rtl-mvm.gtkw")
out=$(cd "$dir" && timeout 120 xvfb-run -a gtkwave --script="$dir/check.tcl" rtl-mvm/trace.vcd rtl-mvm.gtkw 2>&1)
shown=$(echo "$out" | sed -n 's/^DISPLAYED //p')
echo "traces/rtl-mvm.gtkw names $expected signals; GTKWave displays ${shown:-none}"
[ -n "$shown" ] && [ "$shown" -eq "$expected" ] && [ "$expected" -gt 10 ]
