#!/usr/bin/env bash
# The README's screenshots of the report pages, regenerated from the demo plant.
#
#   scripts/screenshots.sh          (what `make screenshots` runs)
#
# Generates the demo plant into a fresh temporary folder (removed afterwards) with
# `twin demo` (7 days, every night), runs the what-if of the README
# (`twin scenario --name rush --demand P1=1.5`), and photographs the first screen
# (1400x900) of each page in Debian's headless Chromium into docs/:
#   docs/report-plant.png      reports/<as_of>/index.html
#   docs/report-quality.png    reports/<as_of>/quality.html
#   docs/report-scenario.png   reports/scenarios/<id>/index.html
# SCREENSHOT_HOME=<a TWIN_HOME that has reports and a scenario report>: photograph those
# instead (nothing is generated). Overridable: VENV (.venv), SCREENSHOT_SIZE (1400,900), CHROMIUM.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
BIN="${VENV:-$REPO/.venv}/bin"
SIZE="${SCREENSHOT_SIZE:-1400,900}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [[ -z "$CHROMIUM" ]]; then
    echo "chromium is not installed: apt-get install -y --no-install-recommends chromium" >&2
    exit 2
fi

own_home=""
if [[ -z "${SCREENSHOT_HOME:-}" ]]; then
    SCREENSHOT_HOME="$(mktemp -d)/home"
    own_home="$(dirname "$SCREENSHOT_HOME")"
fi
profile="$(mktemp -d)"
cleanup() {
    rm -rf "$profile"
    if [[ -n "$own_home" ]]; then rm -rf "$own_home"; fi
}
trap cleanup EXIT

export TWIN_HOME="$SCREENSHOT_HOME"
if [[ -n "$own_home" ]]; then
    echo "demo plant into $TWIN_HOME"
    "$BIN/twin" demo --days 7 --fresh >/dev/null
    "$BIN/twin" scenario --name rush --demand P1=1.5 >/dev/null
else
    echo "reports of $TWIN_HOME"
fi

latest="$(ls -d "$TWIN_HOME"/reports/2* | sort | tail -n 1)"
scenario="$(ls -td "$TWIN_HOME"/reports/scenarios/*/ | head -n 1)"

shoot() {
    local page="$1" out="$2"
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --window-size="$SIZE" \
        --screenshot="$REPO/$out" "file://$page" 2>/dev/null
    chmod 0644 "$REPO/$out"
    echo "  $out  <- $page"
}
mkdir -p docs
shoot "$latest/index.html" docs/report-plant.png
shoot "$latest/quality.html" docs/report-quality.png
shoot "${scenario%/}/index.html" docs/report-scenario.png
