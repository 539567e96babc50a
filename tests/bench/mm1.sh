#!/usr/bin/env bash
# M/M/1 at rho = 0.9: the full Xinzhi path vs a bare Rust event loop vs SimPy.
#
# Run from anywhere in the repo:   tests/bench/mm1.sh
# Knobs (environment):  PAIRS=5            framework/bare pairs after one warm-up pair
#                       HORIZON=11111111   minutes for framework and bare loop (~10 M customers)
#                       SIMPY_RUNS=3       SimPy runs (0 = skip SimPy, e.g. offline)
#                       SIMPY_HORIZON=1111111
#                       SIMPY_VERSION=4.1.2
#                       STRICT=1           exit 1 if a target is missed
#
# Every time is CPU time (user + sys from /usr/bin/time), not wall time: the machine is shared,
# and CPU time is what a single-threaded run costs whatever else is running. See README.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
SCENARIO=tests/bench/mm1-rho09.toml
SCENARIO_HORIZON=11111111
PAIRS=${PAIRS:-5}
HORIZON=${HORIZON:-$SCENARIO_HORIZON}
SEED=42
SIMPY_RUNS=${SIMPY_RUNS:-3}
SIMPY_HORIZON=${SIMPY_HORIZON:-1111111}
SIMPY_VERSION=${SIMPY_VERSION:-4.1.2}
STRICT=${STRICT:-0}

if [[ ! -x /usr/bin/time ]]; then
    echo "mm1.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/xinzhi-bench.XXXXXX")
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
mkdir -p "$TMP/bin"

echo "== build (release)"
cargo build --release --quiet -p xinzhi-cli -p xinzhi-tests --bins
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    TARGET_DIR=$CARGO_TARGET_DIR
else
    TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
fi
# Private copies: a shared target dir may be rebuilt by someone else while we measure.
cp "$TARGET_DIR/release/xinzhi" "$TARGET_DIR/release/bare-mm1" "$TMP/bin/"
XINZHI=$TMP/bin/xinzhi
BARE=$TMP/bin/bare-mm1

# timed NAME CMD...: runs CMD with stdout to $TMP/NAME.out and appends "NAME cpu_s rss_kib" to
# $TMP/times.
timed() {
    local name=$1
    shift
    /usr/bin/time -f '%U %S %M' -o "$TMP/$name.time" "$@" >"$TMP/$name.out"
    read -r user sys rss <"$TMP/$name.time"
    echo "$name $(python3 -c "print(f'{$user + $sys:.2f}')") $rss" >>"$TMP/times"
}

framework() {
    local name=$1 out=$TMP/out-$1
    local set=()
    if [[ "$HORIZON" != "$SCENARIO_HORIZON" ]]; then
        set=(--set "scenario.horizon=$HORIZON.0")
    fi
    timed "$name" "$XINZHI" run "$SCENARIO" --out "$out" --quiet --force --threads 1 "${set[@]}"
    # Metrics as `name value` lines, like bare-mm1 prints them.
    awk -F, 'NR > 1 && $1 == "baseline" { print $4, $5 }' "$out/replications.csv" >"$TMP/$name.out"
    rm -rf "$out"
}

bare() {
    timed "$1" "$BARE" --horizon "$HORIZON" --seed "$SEED"
}

echo "== framework vs bare loop: horizon $HORIZON, warm-up pair + $PAIRS pairs, CPU time (user+sys)"
framework warm-fw
bare warm-bare
for i in $(seq 1 "$PAIRS"); do
    framework "fw$i"
    bare "bare$i"
    echo "   pair $i: $(grep "^fw$i " "$TMP/times" | cut -d' ' -f2) s vs $(grep "^bare$i " "$TMP/times" | cut -d' ' -f2) s"
done

if [[ "$SIMPY_RUNS" -gt 0 ]]; then
    echo "== SimPy $SIMPY_VERSION: horizon $SIMPY_HORIZON, $SIMPY_RUNS runs (throwaway venv)"
    python3 -m venv "$TMP/venv"
    "$TMP/venv/bin/pip" install --quiet --disable-pip-version-check "simpy==$SIMPY_VERSION"
    for i in $(seq 1 "$SIMPY_RUNS"); do
        timed "simpy$i" "$TMP/venv/bin/python" tests/bench/mm1_simpy.py --horizon "$SIMPY_HORIZON" --seed "$SEED"
        echo "   run $i: $(grep "^simpy$i " "$TMP/times" | cut -d' ' -f2) s"
    done
fi

echo
python3 - "$TMP" "$PAIRS" "$SIMPY_RUNS" "$HORIZON" "$STRICT" <<'PY'
import statistics as st
import sys

tmp, pairs, simpy_runs, horizon, strict = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
times = {}
for line in open(f"{tmp}/times"):
    name, cpu, rss = line.split()
    times[name] = (float(cpu), int(rss) / 1024.0)


def metrics(name):
    out = {}
    for line in open(f"{tmp}/{name}.out"):
        key, value = line.split()
        out[key] = value
    return out


fw = [times[f"fw{i}"] for i in range(1, pairs + 1)]
bare = [times[f"bare{i}"] for i in range(1, pairs + 1)]
fw_m, bare_m = metrics("fw1"), metrics("bare1")
# The framework prints nothing under --quiet: its events are arrivals + departures, about
# 2 x completions (= throughput x horizon). When its metrics equal the bare loop's bit for bit the
# trajectories are the same, and so is the exact event count.
shared = sorted(set(fw_m) & set(bare_m))
identical = all(fw_m[k] == bare_m[k] for k in shared)
bare_events = int(bare_m["events"])
fw_events = bare_events if identical else 2 * round(float(fw_m["throughput"]) * horizon)

fw_cpu, bare_cpu = st.median(c for c, _ in fw), st.median(c for c, _ in bare)
ratio = st.median(f[0] / b[0] for f, b in zip(fw, bare))
fw_eps, bare_eps = fw_events / fw_cpu, bare_events / bare_cpu
fw_rss, bare_rss = max(r for _, r in fw), max(r for _, r in bare)

print(f"M/M/1 rho=0.9, horizon {horizon:.0f}: CPU time = user+sys, medians of {pairs} runs")
print(f"  {'':10} {'CPU s':>8} {'events':>11} {'M events/s':>11} {'peak RSS MiB':>13}")
print(f"  {'framework':10} {fw_cpu:8.3f} {fw_events:11d} {fw_eps / 1e6:11.2f} {fw_rss:13.1f}")
print(f"  {'bare loop':10} {bare_cpu:8.3f} {bare_events:11d} {bare_eps / 1e6:11.2f} {bare_rss:13.1f}")
print(f"  framework / bare CPU: median of pair ratios {ratio:.2f}x "
      f"(pairs: {', '.join(f'{f[0] / b[0]:.2f}' for f, b in zip(fw, bare))})")
note = "exact (bit-identical trajectory)" if identical else "estimated as 2 x completions"
print(f"  framework events: {note}")
print("  metrics framework vs bare loop:" + (" identical" if identical else ""))
for k in shared:
    if not identical or k in ("wait_time_mean", "throughput"):
        print(f"    {k:20} {fw_m[k]:>22} {bare_m[k]:>22}")
print(f"  mean wait Wq: framework {float(fw_m['wait_time_mean']):.4f}, "
      f"bare loop {float(bare_m['wait_time_mean']):.4f}, theory 9.0 (single runs vary about +-0.3)")

verdicts = []


def verdict(ok, text):
    verdicts.append(ok)
    print(f"  {'PASS' if ok else 'FAIL'}  {text}")


print()
if simpy_runs > 0:
    runs = [(times[f"simpy{i}"][0], int(metrics(f"simpy{i}")["events"])) for i in range(1, simpy_runs + 1)]
    simpy_eps = st.median(e / c for c, e in runs)
    simpy_m = metrics("simpy1")
    print(f"SimPy (scaled comparison: per-event CPU cost; SimPy ran {runs[0][1]} events, "
          f"the Rust runs {fw_events}):")
    print(f"  SimPy      {st.median(c for c, _ in runs):8.3f} CPU s  {simpy_eps / 1e6:8.3f} M events/s "
          f"({1e6 / simpy_eps:.2f} us/event; Wq {float(simpy_m['wait_time_mean']):.3f}, own RNG)")
    print(f"  framework  {1e6 / fw_eps:8.3f} us/event = {fw_eps / simpy_eps:.0f}x SimPy's events/s")
    print(f"  bare loop  {1e6 / bare_eps:8.3f} us/event = {bare_eps / simpy_eps:.0f}x SimPy's events/s")
    print()

print("Targets:")
verdict(ratio <= 2.5, f"framework CPU <= 2.5x bare loop (stretch 2.0x: {'met' if ratio <= 2.0 else 'not met'}): {ratio:.2f}x")
if simpy_runs > 0:
    verdict(fw_eps >= 60 * simpy_eps, f"framework >= 60x SimPy in events/s: {fw_eps / simpy_eps:.0f}x")
verdict(fw_rss < 64, f"framework peak RSS < 64 MiB: {fw_rss:.1f} MiB")
sys.exit(1 if strict and not all(verdicts) else 0)
PY
