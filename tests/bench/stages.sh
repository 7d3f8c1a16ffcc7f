#!/usr/bin/env bash
# A run a stage at a time, each stage its own process (`cutover run --from S
# --to S`) under tests/bench/limit.py, so each stage's own wall, CPU and peak
# are measured and a stage that does not fit is killed (LIMIT_GIB, default
# 14) and named: how the 2,000,000-student figures of docs/scale.md were
# taken. Each stage's run.json is kept as run_<stage>.json and its limit.py
# record as limit_<stage>.json in WORK; LOCK (e.g. /work/big/.lock) runs each
# stage under that lock.
#
#   tests/bench/stages.sh CONFIG WORK [BIN]    # STAGES="ingest crosswalk ..."
set -uo pipefail
config=$1; work=$2; bin=${3:-${CARGO_TARGET_DIR:-target}/debug/cutover}
here=$(cd "$(dirname "$0")" && pwd)
limit=${LIMIT_GIB:-14}
lock=()
if [ -n "${LOCK:-}" ]; then lock=(flock "$LOCK"); fi
out=$(python3 -c 'import sys,tomllib,os; c=tomllib.load(open(sys.argv[1],"rb")); print(os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), c.get("output","out")))' "$config")
mkdir -p "$work"
for s in ${STAGES:-ingest crosswalk identity rekey publish report}; do
  echo "== $s $(date -u +%T)"
  "${lock[@]}" python3 "$here/limit.py" --limit-gib "$limit" --json "$work/limit_$s.json" -- \
    "$bin" run --config "$config" --from "$s" --to "$s" --quiet > "$work/out_$s.log" 2>&1
  rc=$?
  cp "$out/run.json" "$work/run_$s.json" 2>/dev/null
  echo "   rc=$rc $(cat "$work/limit_$s.json")"
  [ $rc -eq 0 ] || break
done
