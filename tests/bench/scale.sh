#!/usr/bin/env bash
# make bench-scale: generation and a whole run at 50,000 / 200,000 / 800,000
# / 2,000,000 students (SCALE_STUDENTS, a list; BENCH_SIZES is the same),
# each command's wall and CPU time and peak memory, each stage's (run.json),
# and how they grow between sizes (tests/bench/scale.py). SCALE_RUN_MAX runs
# the pipeline only on sizes up to it (generation at every size). A command that
# passes BENCH_LIMIT_GIB (default 10) is killed and recorded as such (with
# the stages it finished), so a size that does not fit cannot take the
# machine down. BENCH_LOCK=/work/big/.lock runs each command under that lock.
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=${SCALE_STUDENTS:-${BENCH_SIZES:-"50000 200000 800000 2000000"}}
run_max=${SCALE_RUN_MAX:-0}
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
limit=${BENCH_LIMIT_GIB:-10}
# BENCH_BIN: a binary to time instead of building this checkout's.
bin=${BENCH_BIN:-${CARGO_TARGET_DIR:-target}/debug/cutover}
[ -n "${BENCH_BIN:-}" ] || cargo build -q --bin cutover
lock=()
if [ -n "${BENCH_LOCK:-}" ]; then lock=(flock "$BENCH_LOCK"); fi
measured() {
  local name=$1; shift
  "${lock[@]}" python3 tests/bench/limit.py --limit-gib "$limit" --json "$work/$name.json" -- "$@" || true
}
rm -rf "$work/cw" "$work/layouts"
cp -r crosswalks "$work/cw"
cp -r layouts "$work/layouts"
for n in $sizes; do
  echo "== $n students"
  rm -rf "$work/bundle" "$work/truth" "$work/out"
  measured "generate_$n" "$bin" generate --students "$n" --seed 2017 --out "$work/bundle" --truth "$work/truth" >/dev/null
  if [ -f "$work/truth/summary.json" ]; then
    cp "$work/truth/summary.json" "$work/summary_$n.json"
  fi
  if [ -f "$work/truth/summary.json" ] && { [ "$run_max" -eq 0 ] || [ "$n" -le "$run_max" ]; }; then
    measured "run_$n" "$bin" run "$work/bundle" --out "$work/out" --crosswalks "$work/cw" --quiet >/dev/null
    # What the run finished (stages.json is written after each stage).
    if [ -f "$work/out/run.json" ]; then cp "$work/out/run.json" "$work/runrecord_$n.json"; fi
    if [ -f "$work/out/stages.json" ]; then cp "$work/out/stages.json" "$work/stages_$n.json"; fi
  fi
  rm -rf "$work/bundle" "$work/truth" "$work/out"
done
python3 tests/bench/scale.py "$work" $sizes
