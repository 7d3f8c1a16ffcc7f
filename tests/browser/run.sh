#!/usr/bin/env bash
# The reconciliation report in a real headless browser (Debian's chromium):
# the page renders, its charts are present, the console has no errors, and
# no name or birth date from the bundle is on it. Keeps a screenshot at
# target/report-screenshot.png as a test artifact.
set -euo pipefail
cd "$(dirname "$0")/../.."
CHROMIUM=${CHROMIUM:-chromium}
if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    # Without chromium's recommends (Mesa and LLVM, printing, upower: a
    # headless run with --disable-gpu uses none of them); fonts-liberation,
    # one of them, kept so the page renders in the fonts it always did.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium fonts-liberation >/dev/null
  else
    echo "chromium is needed for the report test: apt-get install chromium" >&2
    exit 1
  fi
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run -q --bin cutover -- generate --students 600 --seed 21 --out "$work/bundle" >/dev/null
cargo run -q --bin cutover -- run "$work/bundle" --out "$work/out" --quiet >/dev/null
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$work/profile" --enable-logging=stderr --v=0)
"$CHROMIUM" "${flags[@]}" --dump-dom "file://$work/out/report.html" >"$work/dom.html" 2>"$work/console.log"
mkdir -p "${CARGO_TARGET_DIR:-target}"
shot="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/report-screenshot.png"
"$CHROMIUM" "${flags[@]}" --window-size=1280,2000 --screenshot="$shot" "file://$work/out/report.html" >/dev/null 2>>"$work/console.log"
python3 tests/browser/check_report.py "$work" "$shot"
