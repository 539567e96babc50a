#!/usr/bin/env bash
# Headless-Chromium check of a report.html: it loads with no console error and no failed
# resource load and no external reference, shows the headline table, one <svg> per expected chart and the provenance
# section, and renders to a non-trivial screenshot.
#
#   tests/browser/report.sh [REPORT.html]
#
# Without an argument it builds the demo report (core/examples/report_demo.rs). It installs
# chromium with apt-get when `chromium` is missing. Environment:
#   MIN_SVGS       charts the page must contain (default 13 for the demo; 1 for a given file)
#   SCREENSHOT     where to keep the screenshot (default: a temporary file, removed)
set -euo pipefail

fail() { echo "report.sh: FAIL: $*" >&2; exit 1; }
say() { echo "report.sh: $*"; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v chromium >/dev/null 2>&1; then
    say "chromium missing: installing it (apt-get)"
    start=$SECONDS
    apt-get update -qq >/dev/null || fail "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null \
        || fail "apt-get install chromium failed"
    command -v chromium >/dev/null 2>&1 || fail "chromium still not on PATH after installing"
    say "chromium installed in $((SECONDS - start)) s"
fi

if [[ $# -ge 1 ]]; then
    report="$(realpath "$1")"
    [[ -f "$report" ]] || fail "no such file: $1"
    min_svgs="${MIN_SVGS:-1}"
else
    report="$work/report.html"
    say "building the demo report"
    (cd "$root" && cargo run -q -p xinzhi-core --example report_demo -- "$report") || fail "report_demo failed"
    # Demo: a forest panel and a bar chart per key metric (3 each), 1 time series, 2 sweep
    # paths × 3 key metrics.
    min_svgs="${MIN_SVGS:-13}"
fi

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync)
start=$SECONDS

# (a) The DOM, with the console on stderr.
profile="$(mktemp -d -p "$work")"
chromium "${flags[@]}" --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    --dump-dom "file://$report" >"$work/dom.html" 2>"$work/stderr.txt" \
    || { cat "$work/stderr.txt" >&2; fail "chromium --dump-dom exited with an error"; }
dom="$work/dom.html"
[[ -s "$dom" ]] || fail "empty DOM"
grep -q '<section id="answer">' "$dom" || fail "no answer section in the DOM"
grep -q '<table class="headline">' "$dom" || fail "no headline table in the DOM"
grep -q '<section id="provenance">' "$dom" || fail "no provenance section in the DOM"
svgs=$(grep -o '<svg' "$dom" | wc -l)
(( svgs >= min_svgs )) || fail "$svgs <svg> elements, expected at least $min_svgs"
if grep -E 'CONSOLE|Uncaught|Failed to load resource|net::ERR_' "$work/stderr.txt" >"$work/bad.txt"; then
    cat "$work/bad.txt" >&2
    fail "console errors or failed loads (above)"
fi
if grep -Eoi '(src|href)="[a-z]+:|(src|href)="//|url\(' "$dom" >"$work/urls.txt"; then
    cat "$work/urls.txt" >&2
    fail "the page references external resources (above)"
fi
say "DOM ok: answer, headline table, provenance, $svgs charts, no console error"

# (b) A screenshot.
shot="${SCREENSHOT:-$work/report.png}"
profile="$(mktemp -d -p "$work")"
chromium "${flags[@]}" --user-data-dir="$profile" --screenshot="$shot" --window-size=1280,2400 \
    "file://$report" >"$work/shot.log" 2>&1 || { cat "$work/shot.log" >&2; fail "chromium --screenshot failed"; }
[[ -f "$shot" ]] || fail "no screenshot written"
bytes=$(stat -c %s "$shot")
(( bytes > 50000 )) || fail "screenshot is only $bytes bytes: the page looks blank"
say "screenshot ok: $bytes bytes${SCREENSHOT:+ at $shot}"
say "PASS ($((SECONDS - start)) s in chromium)"
