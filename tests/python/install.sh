#!/usr/bin/env bash
# Installs what tests/python/run.sh reads the snapshots with (pyarrow,
# DuckDB, pandas, polars) with pip; does nothing when they import already.
# Run by run.sh, and by .ci/run in the background while the workspace
# compiles.
set -euo pipefail
PYTHON=${PYTHON:-python3}
if "$PYTHON" -c "import pyarrow, duckdb, pandas, polars" 2>/dev/null; then
  exit 0
fi
# Wheels only (never a source build), and no bytecode compiled for the
# ~2,300 modules installed (~15 s of CPU): the few the check imports are
# compiled as it imports them.
"$PYTHON" -m pip install --quiet --disable-pip-version-check --progress-bar off \
  --only-binary=:all: --no-compile \
  "pyarrow==18.1.0" "duckdb==1.1.3" "pandas==3.1.1" "polars==2.1.0"
# What pip installed must import (a wheel for another Python would not).
"$PYTHON" -c "import pyarrow, duckdb, pandas, polars"
