#!/usr/bin/env bash
# Loads a run's trace with its memgan.gtkw in GTKWave itself, headless under Xvfb, and
# checks that every signal the save file names is displayed. Exit 77 (skip) without the tools.
set -euo pipefail
memgan="$1"; config="$2"
command -v xvfb-run >/dev/null && command -v gtkwave >/dev/null || { echo "SKIP: needs xvfb-run and gtkwave"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$memgan" run "$config" --out "$dir/run" --set job.batch=16 >/dev/null
cat >"$dir/check.tcl" <<'TCL'
set sigs [gtkwave::getDisplayedSignals]
puts "DISPLAYED [llength $sigs]"
gtkwave::/File/Quit
TCL
expected=$(grep -c '^soc\.' "$dir/run/memgan.gtkw")
out=$(cd "$dir/run" && timeout 120 xvfb-run -a gtkwave --script="$dir/check.tcl" trace.vcd memgan.gtkw 2>&1)
shown=$(echo "$out" | sed -n 's/^DISPLAYED //p')
echo "gtkw names $expected signals; GTKWave displays ${shown:-none}"
[ -n "$shown" ] && [ "$shown" -eq "$expected" ] && [ "$expected" -gt 20 ]
