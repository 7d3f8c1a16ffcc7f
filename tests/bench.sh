#!/usr/bin/env bash
# make bench: generation and run time at full state scale, with peak memory
# (GNU time's maximum resident set size). Writes to a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
students=${1:-200000}
work=${BENCH_DIR:-$(mktemp -d)}
bin=${CARGO_TARGET_DIR:-target}/debug/cutover
cargo build -q --bin cutover
TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then
  echo "GNU time is needed: apt-get install time" >&2
  exit 2
fi
echo "== generate: $students students, 2005-2017"
$TIME -f "generate: %e s wall, %M KiB peak" "$bin" generate --students "$students" --seed 2017 --out "$work/bundle" --truth "$work/truth" >/dev/null
ls -l "$work/bundle"
echo "== run"
$TIME -f "run: %e s wall, %M KiB peak" "$bin" run "$work/bundle" --out "$work/out" --quiet | tail -n 30
