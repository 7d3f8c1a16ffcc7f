#!/usr/bin/env bash
# make bench: generation and a full run at state scale, with peak memory (GNU
# time's maximum resident set size); identity quality against the ground
# truth; and a rerun after editing one crosswalk row (what the skip saves).
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
rm -rf "$work/cw" "$work/layouts" "$work/out"
cp -r crosswalks "$work/cw"
cp -r layouts "$work/layouts"
echo "== run"
start=$(date +%s.%N)
$TIME -f "run: %e s wall, %M KiB peak" "$bin" run "$work/bundle" --out "$work/out" --crosswalks "$work/cw" --quiet
full=$(python3 -c "import sys; print(float(sys.argv[1]) - float(sys.argv[2]))" "$(date +%s.%N)" "$start")
echo "== stages (run.json): seconds, rows in, peak memory"
python3 -c "import json,sys; [print(f\"{t['stage']:<10} {t['seconds']:8.1f} s {t['rows_in']:>10} rows {t['peak_rss_bytes']/2**20:8.0f} MiB\") for t in json.load(open(sys.argv[1]))['timings']]" "$work/out/run.json"
echo "== uploads"
echo "upload files: $(find "$work/out/uploads" -type f | wc -l), upload rows: $(($(wc -l < "$work/out/publish/upload_manifest.csv") - 1))"
echo "== identity against the ground truth"
"$bin" identity score --truth "$work/truth/identities.csv" --out "$work/out"
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print('review queue:', s['review_queue'], 'pairs'); [print('pass', p, n) for p, n in s['blocking']]" "$work/out/identity/summary.json"
# The identity stage's rate against issue 14's target (>= 3 million identity rows a minute).
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); t=[t for t in json.load(open(sys.argv[2]))['timings'] if t['stage']=='identity'][0]; print(f\"identity: {s['identity_rows']} identity rows in {t['seconds']:.1f} s = {s['identity_rows']*60/t['seconds']:,.0f} a minute, {s['pairs_scored']} pairs, {t['peak_rss_bytes']/2**20:.0f} MiB peak\")" "$work/out/identity/summary.json" "$work/out/run.json"
echo "== rerun, nothing changed"
$TIME -f "rerun: %e s wall, %M KiB peak" "$bin" run "$work/bundle" --out "$work/out" --crosswalks "$work/cw" --quiet | head -n 5
# A rerun's cost as a share of the full run (the target: <= 30% after one
# grade-level row; ingest, crosswalk and identity skipped after publish.as_of).
rerun() {
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" run "$@" --quiet | head -n 5
  t1=$(date +%s.%N)
  python3 -c "import sys; d = float(sys.argv[2]) - float(sys.argv[1]); print(f'{sys.argv[4]}: {d:.1f} s, {100 * d / float(sys.argv[3]):.0f}% of the full run')" "$t0" "$t1" "$full" "$label"
}
echo "== rerun after editing one grade-level row"
sed -i 's/^KG,Kindergarten,K,/KG,Kindergarten,KG,/' "$work/cw/grade_levels.csv"
"$bin" crosswalk manifest --crosswalks "$work/cw" >/dev/null
rerun "one grade-level row" "$work/bundle" --out "$work/out" --crosswalks "$work/cw"
echo "== rerun after editing publish.as_of"
printf 'bundle = "bundle"\noutput = "out"\ncrosswalks = "cw"\nlayouts = "layouts"\n[publish]\nas_of = "2017-06-29"\n' > "$work/run.toml"
rerun "publish.as_of" --config "$work/run.toml"
