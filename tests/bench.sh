#!/usr/bin/env bash
# make bench: at state scale (400,000 students by default, about Maine's
# history), side by side in one run: the floor (polars reading every CSV of
# the bundle as text and writing parquet, `cutover bench-floor parquet`), the
# whole run, each stage's time and peak memory (run.json), rows per second,
# and issue 16's ratios (publish against polars writing the same upload rows
# as one CSV, `cutover bench-floor upload-csv`), and the run's own output
# files written again as the run must write them (`cutover bench-floor
# outputs`: the bytes out, without the work); then identity quality against
# the ground truth and the reruns' shares of the full run.
#
# BENCH_DIR keeps the work folder; BENCH_BUNDLE runs an existing bundle
# (read only; its ground truth from BENCH_TRUTH, default the bundle's
# sibling folder `truth`) instead of generating one; the DuckDB-style
# reference of issue 16 runs when python3 has duckdb; BENCH_LIMIT_GIB (default 16) kills a
# command that passes it (tests/bench/limit.py); BENCH_LOCK=/work/big/.lock
# runs each large command under that lock (flock).
set -euo pipefail
cd "$(dirname "$0")/.."
students=${1:-400000}
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
limit=${BENCH_LIMIT_GIB:-16}
# BENCH_BIN: a binary to time instead of building this checkout's.
bin=${BENCH_BIN:-${CARGO_TARGET_DIR:-target}/debug/cutover}
[ -n "${BENCH_BIN:-}" ] || cargo build -q --bin cutover
if [ ! -x /usr/bin/time ]; then
  echo "GNU time is needed: apt-get install time" >&2
  exit 2
fi
lock=()
if [ -n "${BENCH_LOCK:-}" ]; then lock=(flock "$BENCH_LOCK"); fi
# measured NAME COMMAND...: time and peak memory into $work/NAME.json.
measured() {
  local name=$1; shift
  "${lock[@]}" python3 tests/bench/limit.py --limit-gib "$limit" --json "$work/$name.json" -- "$@"
}
rm -rf "$work/floor" "$work/duckdb_ref" "$work/upload_floor" "$work/output_floor" "$work/out" "$work/cw" "$work/layouts"
if [ -n "${BENCH_BUNDLE:-}" ]; then
  bundle=$(realpath "$BENCH_BUNDLE")
  truth=$(realpath -m "${BENCH_TRUTH:-$bundle/../truth}")
  echo "== bundle $bundle (not generated)"
else
  bundle="$work/bundle" truth="$work/truth"
  echo "== generate: $students students, 2005-2017"
  rm -rf "$bundle" "$truth"
  measured generate "$bin" generate --students "$students" --seed 2017 --out "$bundle" --truth "$truth" >/dev/null
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(f\"generate: {r['seconds']:.1f} s, {r['peak_mib']:,} MiB peak\")" "$work/generate.json"
fi
cp -r crosswalks "$work/cw"
cp -r layouts "$work/layouts"
echo "== floor, the whole run, the upload floor"
measured floor "$bin" bench-floor parquet "$bundle" "$work/floor" >"$work/floor.out"
# The DuckDB-style reference (tests/bench/duckdb_ref.py), when DuckDB is installed.
rm -rf "$work/duckdb_ref" "$work/duckdb_ref.out"
if python3 -c "import duckdb" 2>/dev/null; then
  measured duckdb_ref python3 tests/bench/duckdb_ref.py "$bundle" crosswalks "$work/duckdb_ref" >"$work/duckdb_ref.out" 2>/dev/null
else
  echo "(no DuckDB reference: pip install duckdb==1.1.3)"
fi
status=0
measured run "$bin" run "$bundle" --out "$work/out" --crosswalks "$work/cw" --quiet >/dev/null || status=$?
if [ -d "$work/out/uploads" ]; then
  measured upload_floor "$bin" bench-floor upload-csv "$work/out/uploads" "$work/upload_floor" >"$work/upload_floor.out"
  measured output_floor "$bin" bench-floor outputs "$work/out" "$work/output_floor" >"$work/output_floor.out"
fi
python3 tests/bench/table.py "$work" "$students" || exit 1
[ "$status" -eq 0 ] || { echo "the run failed (exit $status)"; exit 1; }
full=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['seconds'])" "$work/run.json")
echo "== uploads"
echo "upload files: $(find "$work/out/uploads" -type f | wc -l), upload rows: $(($(wc -l < "$work/out/publish/upload_manifest.csv") - 1))"
echo "== identity against the ground truth"
[ -f "$truth/identities.csv" ] && "$bin" identity score --truth "$truth/identities.csv" --out "$work/out"
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print('review queue:', s['review_queue'], 'pairs'); [print('pass', p, n) for p, n in s['blocking']]" "$work/out/identity/summary.json"
# The identity stage's rate against issue 14's target (>= 3 million identity rows a minute).
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); t=[t for t in json.load(open(sys.argv[2]))['timings'] if t['stage']=='identity'][0]; print(f\"identity: {s['identity_rows']} identity rows in {t['seconds']:.1f} s = {s['identity_rows']*60/t['seconds']:,.0f} a minute, {s['pairs_scored']} pairs, {t['peak_rss_bytes']/2**20:.0f} MiB peak\")" "$work/out/identity/summary.json" "$work/out/run.json"
# A rerun's cost as a share of the full run (the target: <= 30% after one
# grade-level row; ingest, crosswalk and identity skipped after publish.as_of).
cp "$work/out/run.json" "$work/full_run.json"
# CPU time (user + system) of the stages that ran, from run.json: on a
# loaded machine wall time says more about the other processes.
cpu() { python3 -c "import json,sys; print(sum(t.get('cpu_seconds', 0) for t in json.load(open(sys.argv[1]))['timings']))" "$1"; }
full_cpu=$(cpu "$work/full_run.json")
rerun() {
  local label=$1; shift
  measured rerun "$bin" run "$@" --quiet | head -n 5
  python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['seconds']; c=float(sys.argv[4]); print(f'{sys.argv[3]}: {d:.1f} s, {100 * d / float(sys.argv[2]):.0f}% of the full run; {c:.1f} s CPU, {100 * c / float(sys.argv[5]):.0f}% of its CPU')" "$work/rerun.json" "$full" "$label" "$(cpu "$work/out/run.json")" "$full_cpu"
  python3 -c "import json,sys; [print(f\"  {t['stage']:<10} {t['seconds']:8.1f} s {t.get('cpu_seconds', 0):8.1f} s CPU\") for t in json.load(open(sys.argv[1]))['timings']]" "$work/out/run.json"
  python3 -c "import json,sys; [print(f\"  {t['stage']}:\", ', '.join(f\"{p['name']} {p['action']}\" for p in t['parts'])) for t in json.load(open(sys.argv[1]))['timings'] if t.get('parts')]" "$work/out/run.json"
}
echo "== results: a three-row Synergy result log read back"
# A log answering the last school year's first Student Enrollment file: its
# rows are tied through the upload manifest, which has a row for every
# upload row (8.5 million at 400,000 students); memory should not grow with it.
first=$(find "$work/out/uploads" -name student_enrollment.csv -path '*2016-17*' | sort | head -n 1)
mkdir -p "$work/logs/2016-17"
python3 - "$first" >"$work/logs/2016-17/student_enrollment.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
print("Row Number, SAU ID, School ID, State Student Number, Error")
for i in sorted({1, 2, len(rows) - 1}):
    print(f"{i}, {rows[i][0]}, {rows[i][1]}, {rows[i][2]}, Unable to resolve Entry Code")
PY
measured results "$bin" results "$work/logs/2016-17/student_enrollment.csv" --out "$work/out" | head -n 1
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(f\"results: {r['seconds']:.1f} s, {r['peak_mib']:,} MiB peak\")" "$work/results.json"
echo "== rerun, nothing changed"
rerun "nothing changed" "$bundle" --out "$work/out" --crosswalks "$work/cw"
echo "== rerun after editing one grade-level row"
sed -i 's/^KG,Kindergarten,K,/KG,Kindergarten,KG,/' "$work/cw/grade_levels.csv"
"$bin" crosswalk manifest --crosswalks "$work/cw" >/dev/null
rerun "one grade-level row" "$bundle" --out "$work/out" --crosswalks "$work/cw"
echo "== rerun after editing publish.as_of"
printf 'bundle = "%s"\noutput = "out"\ncrosswalks = "cw"\nlayouts = "layouts"\n[publish]\nas_of = "2017-06-29"\n' "$bundle" > "$work/run.toml"
rerun "publish.as_of" --config "$work/run.toml"
