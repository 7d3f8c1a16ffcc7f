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
$TIME -o "$work/time.full" -f "%e %U %S %M" "$bin" run "$work/bundle" --out "$work/out" --crosswalks "$work/cw" --quiet
read -r full full_user full_sys full_peak < "$work/time.full"
echo "run: $full s wall, $full_user s user + $full_sys s sys, $full_peak KiB peak"
echo "== stages (run.json): seconds, rows in, peak memory"
python3 -c "import json,sys; [print(f\"{t['stage']:<10} {t['seconds']:8.1f} s {t.get('cpu_seconds', 0):8.1f} s CPU {t['rows_in']:>10} rows {t['peak_rss_bytes']/2**20:8.0f} MiB\") for t in json.load(open(sys.argv[1]))['timings']]" "$work/out/run.json"
echo "== uploads"
echo "upload files: $(find "$work/out/uploads" -type f | wc -l), upload rows: $(($(wc -l < "$work/out/publish/upload_manifest.csv") - 1))"
echo "== identity against the ground truth"
"$bin" identity score --truth "$work/truth/identities.csv" --out "$work/out"
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print('review queue:', s['review_queue'], 'pairs'); [print('pass', p, n) for p, n in s['blocking']]" "$work/out/identity/summary.json"
echo "== rerun, nothing changed"
$TIME -f "rerun: %e s wall, %M KiB peak" "$bin" run "$work/bundle" --out "$work/out" --crosswalks "$work/cw" --quiet | head -n 6
# A rerun's cost as a share of the full run (the target: <= 30% after one
# grade-level row; ingest, crosswalk and identity skipped after publish.as_of),
# in wall time and in CPU time (user + sys: what a loaded machine distorts less).
rerun() {
  local label=$1; shift
  $TIME -o "$work/time.rerun" -f "%e %U %S %M" "$bin" run "$@" --quiet | head -n 6
  python3 -c "
import sys
w, u, s, m = map(float, open(sys.argv[1]).read().split())
fw, fu, fs = map(float, sys.argv[2:5])
print(f'{sys.argv[5]}: {w:.1f} s wall, {100 * w / fw:.0f}% of the full run; {u + s:.1f} s CPU, {100 * (u + s) / (fu + fs):.0f}%; {m / 1024:.0f} MiB peak')
" "$work/time.rerun" "$full" "$full_user" "$full_sys" "$label"
  python3 -c "import json,sys; [print(f\"  {t['stage']:<10} {t['seconds']:8.1f} s {t.get('cpu_seconds', 0):8.1f} s CPU\") for t in json.load(open(sys.argv[1]))['timings']]" "$work/out/run.json"
}
echo "== rerun after editing one grade-level row"
sed -i 's/^KG,Kindergarten,K,/KG,Kindergarten,KG,/' "$work/cw/grade_levels.csv"
"$bin" crosswalk manifest --crosswalks "$work/cw" >/dev/null
rerun "one grade-level row" "$work/bundle" --out "$work/out" --crosswalks "$work/cw"
echo "== rerun after editing publish.as_of"
printf 'bundle = "bundle"\noutput = "out"\ncrosswalks = "cw"\nlayouts = "layouts"\n[publish]\nas_of = "2017-06-29"\n' > "$work/run.toml"
rerun "publish.as_of" --config "$work/run.toml"
