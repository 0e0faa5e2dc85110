#!/usr/bin/env bash
# Renders a run folder's report.html in headless Chromium and checks what a reader would
# see: a screenshot that is not blank, every section in the rendered DOM, and no console
# errors. Usage: render_report.sh HTML_REPORT_TOOL RUN_DIR WORK_DIR [SECTION_ID...]
# (the sections expected; by default those of the tests/report/data/run fixture)
# Exit 77 (ctest SKIP) when chromium is not installed; 1 on a failed check.
set -euo pipefail
tool=$1 run_dir=$2 work=$3
shift 3
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(summary config energy power counts check training samples compare)

chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
  echo "SKIP: chromium not installed (apt-get install chromium)"
  exit 77
fi

rm -rf "$work"
mkdir -p "$work"
html=$work/report.html
"$tool" "$run_dir" "$html"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chrome_run() {
  # Only local files are read; the flags keep Chromium off the network and quiet.
  timeout 60 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --enable-logging=stderr --v=0 "$@" "file://$html"
}

chrome_run --screenshot="$work/report.png" --window-size=1280,2000 >"$work/screenshot.log" 2>&1 || true
chrome_run --dump-dom >"$work/dom.html" 2>"$work/dom.log" || true

fail() { echo "FAIL: $*"; exit 1; }
[ -s "$work/report.png" ] || fail "no screenshot ($work/screenshot.log)"
# A blank 1280x2000 page compresses to a few KiB; charts and tables make far more.
size=$(stat -c %s "$work/report.png")
[ "$size" -gt 60000 ] || fail "screenshot is only $size bytes: blank page?"
[ "$(head -c 8 "$work/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "screenshot is not a PNG"
for id in "${sections[@]}"; do
  grep -q "<section id=\"$id\">" "$work/dom.html" || fail "section $id missing from the rendered DOM"
done
grep -q '<svg class="chart"' "$work/dom.html" || fail "no chart in the rendered DOM"
if grep -E 'Uncaught|:CONSOLE' "$work/screenshot.log" "$work/dom.log"; then
  fail "console errors while rendering"
fi
echo "OK: $work/report.png ($size bytes), all sections rendered, no console errors"
