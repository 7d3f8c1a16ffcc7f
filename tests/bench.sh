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
$TIME -f "run: %e s wall, %M KiB peak" "$bin" run "$work/bundle" --out "$work/out" --crosswalks "$work/cw" --quiet
echo "== uploads"
echo "upload files: $(find "$work/out/uploads" -type f | wc -l), upload rows: $(($(wc -l < "$work/out/publish/upload_manifest.csv") - 1))"
echo "== identity against the ground truth"
"$bin" identity score --truth "$work/truth/identities.csv" --out "$work/out"
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print('review queue:', s['review_queue'], 'pairs'); [print('pass', p, n) for p, n in s['blocking']]" "$work/out/identity/summary.json"
echo "== rerun, nothing changed"
$TIME -f "rerun: %e s wall, %M KiB peak" "$bin" run "$work/bundle" --out "$work/out" --crosswalks "$work/cw" --quiet | head -n 5
echo "== rerun after editing one crosswalk row"
sed -i 's/^KG,Kindergarten,K,Kindergarten/KG,Kindergarten,KG,Kindergarten/' "$work/cw/grade_levels.csv"
"$bin" crosswalk manifest --crosswalks "$work/cw" >/dev/null
$TIME -f "rerun: %e s wall, %M KiB peak" "$bin" run "$work/bundle" --out "$work/out" --crosswalks "$work/cw" --quiet | head -n 5
