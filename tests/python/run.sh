#!/usr/bin/env bash
# Reads a real snapshot the way analysts do: pyarrow, DuckDB, pandas and
# polars, installed with pip. Generates a small bundle, runs the pipeline, checks the types and
# the provenance footer.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
PYTHON="$PYTHON" bash tests/python/install.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run -q --bin cutover -- generate --students 400 --seed 7 --out "$work/bundle" >/dev/null
cargo run -q --bin cutover -- run "$work/bundle" --out "$work/out" --quiet >/dev/null
"$PYTHON" tests/python/check_snapshots.py "$work/out"
