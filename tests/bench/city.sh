#!/usr/bin/env bash
# City benchmark: Xinzhi's link-queue city vs SUMO meso on identical grids, trips and signal plans
# (issue 12; tests/bench/README.md, section "City vs SUMO").
#
#   A: 10 x 10 grid, 2·10⁴ trips in one hour     B: 30 x 30 grid, 10⁵ trips in one hour
#
# Run from anywhere in the repo:   tests/bench/city.sh
# Knobs (environment):  CASES="A B"   which cases
#                       RUNS=3        timed runs per side and case (medians are reported)
#                       SKIP_SUMO=1   our side only (also automatic when `sumo` is missing)
#                       SKIP_OURS=1   SUMO only (no cargo build)
#                       MICRO=1       also SUMO micro (no --mesosim) on A (≈ a minute)
#                       STRICT=1      exit 1 if a target is missed
#                       CACHE=DIR     generated inputs (default $CARGO_TARGET_DIR/bench-city or
#                                     target/bench-city): B's route generation takes ≈ 100 s
# Option:               --theory      instead, run the slow (#[ignore]d) city theory tests
#                                     (tests/e2e/city.rs; ≈ 20 s)
#
# Every time is CPU time (user + sys from /usr/bin/time), not wall time: the machine is shared.
# The script never installs anything (SUMO: apt-get install sumo sumo-tools; CI does not run it).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)

if [[ "${1:-}" == "--theory" ]]; then
    exec cargo test -p xinzhi-tests --test e2e city:: -- --ignored --test-threads 1
fi

CASES=${CASES:-A B}
RUNS=${RUNS:-3}
SKIP_SUMO=${SKIP_SUMO:-0}
SKIP_OURS=${SKIP_OURS:-0}
MICRO=${MICRO:-0}
STRICT=${STRICT:-0}
export SUMO_HOME=${SUMO_HOME:-/usr/share/sumo}   # sumo validates its XML inputs against $SUMO_HOME/data/xsd

if [[ ! -x /usr/bin/time ]]; then
    echo "city.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 2
fi
if [[ "$SKIP_SUMO" != 1 ]] && ! command -v sumo >/dev/null; then
    echo "city.sh: sumo not found: our side only (apt-get install sumo sumo-tools for the comparison)"
    SKIP_SUMO=1
fi
if ! command -v netgenerate >/dev/null || [[ ! -f "$SUMO_HOME/tools/randomTrips.py" ]]; then
    # The inputs come from SUMO's generators; cached ones still work.
    echo "city.sh: netgenerate or \$SUMO_HOME/tools/randomTrips.py missing: only cached inputs can be used"
fi

if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    TARGET_DIR=$CARGO_TARGET_DIR
else
    TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
fi
CACHE=${CACHE:-$TARGET_DIR/bench-city}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/xinzhi-city-bench.XXXXXX")
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
mkdir -p "$TMP/bin" "$CACHE"

if [[ "$SKIP_OURS" != 1 ]]; then
    echo "== build (release)"
    cargo build --release --quiet -p xinzhi-cli
    # A private copy: a shared target dir may be rebuilt by someone else while we measure.
    cp "$TARGET_DIR/release/xinzhi" "$TMP/bin/"
fi
XINZHI=$TMP/bin/xinzhi

size_of() { case $1 in A) echo 10 ;; B) echo 30 ;; *) echo "unknown case $1" >&2; exit 2 ;; esac; }
trips_of() { case $1 in A) echo 20000 ;; B) echo 100000 ;; esac; }

# timed NAME CMD...: runs CMD (stdout to $TMP/NAME.out, stderr to $TMP/NAME.err) and appends
# "NAME cpu_s rss_kib" to $TMP/times.
timed() {
    local name=$1
    shift
    if ! /usr/bin/time -f '%U %S %M' -o "$TMP/$name.time" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; then
        echo "city.sh: $name failed:" >&2
        tail -20 "$TMP/$name.err" >&2
        exit 1
    fi
    read -r user sys rss <"$TMP/$name.time"
    echo "$name $(python3 -c "print(f'{$user + $sys:.3f}')") $rss" >>"$TMP/times"
}

touch "$TMP/times"
for case in $CASES; do
    n=$(size_of "$case")
    dir=$CACHE/$case
    echo "== case $case: ${n}x$n grid, $(trips_of "$case") trips (inputs in $dir)"
    python3 tests/bench/city/make_grid.py --size "$n" --trips "$(trips_of "$case")" --out "$dir"
    echo "   $(($(wc -l <"$dir/trips.csv") - 1)) trips in trips.csv"

    if [[ "$SKIP_OURS" != 1 ]]; then
        # One untimed run without --quiet: it prints the event count.
        "$XINZHI" run "$dir/grid.toml" --replications 1 --threads 1 --force --out "$TMP/ours-$case" \
            >"$TMP/ours-$case-warm.out" 2>"$TMP/ours-$case-warm.err" || {
            echo "city.sh: xinzhi failed on case $case:" >&2
            tail -20 "$TMP/ours-$case-warm.err" >&2
            exit 1
        }
        grep -oE '[0-9]+ events in' "$TMP/ours-$case-warm.out" | head -1 | cut -d' ' -f1 >"$TMP/ours-$case.events"
        for i in $(seq 1 "$RUNS"); do
            timed "ours-$case-$i" "$XINZHI" run "$dir/grid.toml" --replications 1 --threads 1 --quiet \
                --force --out "$TMP/ours-$case"
            echo "   ours run $i: $(grep "^ours-$case-$i " "$TMP/times" | cut -d' ' -f2) s"
        done
        cp "$TMP/ours-$case/summary.csv" "$TMP/ours-$case.summary.csv"
    fi

    if [[ "$SKIP_SUMO" != 1 ]]; then
        for i in $(seq 1 "$RUNS"); do
            timed "meso-$case-$i" sumo -n "$dir/grid.net.xml" -r "$dir/fringe.rou.xml" --mesosim \
                --meso-junction-control --end 36000 --no-step-log --duration-log.statistics \
                --tripinfo-output "$TMP/meso-$case.xml" --seed 42
            echo "   SUMO meso run $i: $(grep "^meso-$case-$i " "$TMP/times" | cut -d' ' -f2) s"
        done
        if [[ "$MICRO" == 1 && "$case" == A ]]; then
            timed "micro-$case-1" sumo -n "$dir/grid.net.xml" -r "$dir/fringe.rou.xml" \
                --end 36000 --no-step-log --duration-log.statistics \
                --tripinfo-output "$TMP/micro-$case.xml" --seed 42
            echo "   SUMO micro: $(grep "^micro-$case-1 " "$TMP/times" | cut -d' ' -f2) s"
        fi
    fi
done

echo
python3 - "$TMP" "$RUNS" "$STRICT" "$SKIP_SUMO" "$SKIP_OURS" $CASES <<'PY'
import csv
import os
import re
import statistics as st
import sys

tmp, runs, strict, skip_sumo, skip_ours = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", \
    sys.argv[4] == "1", sys.argv[5] == "1"
cases = sys.argv[6:]
times = {}
for line in open(f"{tmp}/times"):
    name, cpu, rss = line.split()
    times[name] = (float(cpu), int(rss) / 1024.0)


def side(prefix, k):
    got = [times[f"{prefix}-{i}"] for i in range(1, k + 1) if f"{prefix}-{i}" in times]
    if not got:
        return None
    return st.median(c for c, _ in got), max(r for _, r in got)


def sumo_stats(name):
    """SUMO's stdout: the 'Performance' block's Duration (simulation only) and the 'Statistics'
    block's per-trip means."""
    text = open(f"{tmp}/{name}.out").read()
    out = {}
    perf = re.search(r"Performance:.*?Duration: ([0-9.]+)(ms|s)", text, re.S)
    if perf:
        out["sim_s"] = float(perf.group(1)) / (1000.0 if perf.group(2) == "ms" else 1.0)
    stats = text.split("Statistics", 1)[1] if "Statistics" in text else ""
    for key in ("RouteLength", "Duration", "TimeLoss", "DepartDelay", "WaitingTime"):
        m = re.search(rf"{key}: ([0-9.]+)", stats)
        if m:
            out[key] = float(m.group(1))
    for key in ("Inserted", "Running", "Waiting"):
        m = re.search(rf" {key}: ([0-9]+)", text)
        if m:
            out[key] = int(m.group(1))
    m = re.search(r"Teleports: ([0-9]+)", text + open(f"{tmp}/{name}.err").read())
    out["teleports"] = int(m.group(1)) if m else 0
    return out


def ours_metrics(case):
    out = {}
    with open(f"{tmp}/ours-{case}.summary.csv") as f:
        for row in csv.DictReader(f):
            if row["variant"] == "baseline":
                out[row["metric"]] = float(row["mean"])
    return out


fails = []


def check(label, ok):
    print(f"  {'PASS' if ok else 'FAIL'}  {label}")
    if not ok:
        fails.append(label)


for case in cases:
    print(f"case {case}: CPU = user + sys, median of {runs} runs; RSS = max")
    print(f"  {'':18} {'CPU s':>8} {'RSS MiB':>8} {'events':>10} {'M ev/s':>7} {'delay s':>9} {'insert s':>9}")
    meso = None if skip_sumo else side(f"meso-{case}", runs)
    ours = None if skip_ours else side(f"ours-{case}", runs)
    if meso:
        s = sumo_stats(f"meso-{case}-1")
        print(f"  {'SUMO meso':18} {meso[0]:8.3f} {meso[1]:8.1f} {'':>10} {'':>7} "
              f"{s.get('TimeLoss', float('nan')):9.1f} {s.get('DepartDelay', float('nan')):9.1f}")
        print(f"  {'':18} SUMO's own 'Duration' (wall clock of its simulation loop, first run) "
              f"{s.get('sim_s', float('nan')):.2f} s; "
              f"inserted {s.get('Inserted')}, still running {s.get('Running')}, waiting "
              f"{s.get('Waiting')}; mean route {s.get('RouteLength', float('nan')):.0f} m; "
              f"teleports {s['teleports']} (delay = TimeLoss, insert = DepartDelay)")
    micro = None if skip_sumo else side(f"micro-{case}", 1)
    if micro:
        s = sumo_stats(f"micro-{case}-1")
        print(f"  {'SUMO micro':18} {micro[0]:8.3f} {micro[1]:8.1f} {'':>10} {'':>7} "
              f"{s.get('TimeLoss', float('nan')):9.1f} {s.get('DepartDelay', float('nan')):9.1f}")
    if ours:
        m = ours_metrics(case)
        try:
            events = int(open(f"{tmp}/ours-{case}.events").read().split()[0])
        except (IndexError, ValueError):
            events = 0
        eps = f"{events / ours[0] / 1e6:7.2f}" if events else f"{'n/a':>7}"
        print(f"  {'xinzhi':18} {ours[0]:8.3f} {ours[1]:8.1f} {events:10d} {eps} "
              f"{m.get('city.delay_mean', float('nan')):9.1f} "
              f"{m.get('city.insertion_delay_mean', float('nan')):9.1f}")
        print(f"  {'':18} arrived {m.get('city.arrived_total', float('nan')):.0f}, unfinished "
              f"{m.get('city.unfinished', float('nan')):.0f}, gridlocks "
              f"{m.get('city.gridlocks_total', float('nan')):.0f}, travel time "
              f"{m.get('city.travel_time_mean', float('nan')):.1f} s (delay = city.delay_mean, "
              f"insert = city.insertion_delay_mean)")
    if meso and ours:
        ratio = meso[0] / ours[0]
        print(f"  SUMO meso CPU / xinzhi CPU = {ratio:.1f}x (whole processes, inputs read and "
              "per-trip outputs written on both sides)")
        check(f"{case}: xinzhi >= 10x faster than SUMO meso ({ratio:.1f}x)", ratio >= 10.0)
    if ours:
        if case == "B":
            check(f"B: xinzhi <= 5 s CPU ({ours[0]:.2f} s)", ours[0] <= 5.0)
        check(f"{case}: xinzhi peak RSS <= 200 MB ({ours[1] * 1.048576:.0f} MB)", ours[1] * 1.048576 <= 200.0)
    print()

if fails and strict:
    sys.exit(1)
PY
