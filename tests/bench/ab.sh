#!/usr/bin/env bash
# A/B: did a change make the engine slower? CPU time of two `xinzhi` binaries on the M/M/1
# benchmark scenario, run alternately (OLD, NEW, OLD, NEW, …) after one warm-up each, so drift
# of a shared machine hits both alike. Prints every pair and the medians and median pair ratio.
#
#   tests/bench/ab.sh OLD_BINARY NEW_BINARY          (PAIRS=9, HORIZON=11111111 by default)
#
# Build the old binary from the base commit in its own worktree and target dir, e.g.
#   git worktree add /tmp/base REV && (cd /tmp/base && CARGO_TARGET_DIR=/tmp/t cargo build --release -p xinzhi-cli)
# A median ratio within ±3 % is noise on a shared 2-core machine; `perf record -e cpu-clock`
# on both binaries shows where a real difference goes (callgrind counts instructions, and a
# stall on store forwarding costs time without costing instructions).
set -euo pipefail
if [[ $# -ne 2 ]]; then
    echo "usage: tests/bench/ab.sh OLD_BINARY NEW_BINARY" >&2
    exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "ab.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 2
fi
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
SCENARIO=tests/bench/mm1-rho09.toml
PAIRS=${PAIRS:-9}
HORIZON=${HORIZON:-11111111}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/xinzhi-ab.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# Copies, so that a build in a shared target dir cannot swap a binary mid-run.
cp "$1" "$TMP/old"
cp "$2" "$TMP/new"
run() {
    /usr/bin/time -f '%U %S' -o "$TMP/time" "$TMP/$1" run "$SCENARIO" --out "$TMP/out" --force --quiet \
        --threads 1 --set "scenario.horizon=$HORIZON.0" >/dev/null
    awk '{ print $1 + $2 }' "$TMP/time"
}
run old >/dev/null
run new >/dev/null
echo "CPU s: old new (M/M/1 rho=0.9, horizon $HORIZON, $PAIRS pairs)"
for _ in $(seq "$PAIRS"); do
    echo "$(run old) $(run new)"
done | tee "$TMP/pairs"
python3 - "$TMP/pairs" <<'PY'
import statistics as st
import sys
pairs = [tuple(map(float, line.split())) for line in open(sys.argv[1])]
old, new = st.median(a for a, _ in pairs), st.median(b for _, b in pairs)
ratio = st.median(b / a for a, b in pairs)
print(f"median old {old:.3f} s, new {new:.3f} s; median pair ratio new/old {ratio:.3f}")
PY
