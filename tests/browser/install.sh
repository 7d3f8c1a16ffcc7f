#!/usr/bin/env bash
# Installs Debian's chromium for tests/browser/run.sh with apt-get when run
# as root; does nothing when $CHROMIUM (chromium) is there already. Run by
# run.sh, and by .ci/run in the background while the workspace compiles.
set -euo pipefail
CHROMIUM=${CHROMIUM:-chromium}
if command -v "$CHROMIUM" >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is needed for the report test: apt-get install chromium" >&2
  exit 1
fi
apt-get update -qq >/dev/null
# Without chromium's recommends (Mesa and LLVM, printing, upower: a
# headless run with --disable-gpu uses none of them); fonts-liberation,
# one of them, kept so the page renders in the fonts it always did.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  chromium fonts-liberation >/dev/null
