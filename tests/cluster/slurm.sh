#!/usr/bin/env bash
# End-to-end test of `xinzhi slurm` on a real single-node Slurm (loopback, started here).
#
# 1. builds `xinzhi` (dev profile: `cargo build -p xinzhi-cli --locked`, reusing CI's build);
# 2. starts Slurm with ../shared/tools/slurm-local.sh up (or its copy tests/cluster/slurm-local.sh) (needs root and apt: installs munge and
#    Debian's Slurm on a fresh machine), and stops it on exit unless it was already running;
# 3. runs a small scenario once on this machine (`xinzhi run --out single`);
# 4. generates the submit script (`xinzhi slurm --shards 3`), submits it, waits for the array
#    and the merge job;
# 5. checks that slurm/merged/{replications,summary,comparison,timeseries}.csv, summary.json and report.html (those that the
#    single run wrote) are byte-identical to the single run's.
#
# Usage (as root, from anywhere in the repository):
#   bash tests/cluster/slurm.sh           # the real thing
#   bash tests/cluster/slurm.sh --fake    # same pipeline, but the jobs run a stub xinzhi (a bash
#                                         # script that fakes run --shard and merge): tests the
#                                         # generated script against Slurm without the real ones
#   XINZHI_FAKE_FAIL=1 bash tests/cluster/slurm.sh --fake   # shard 1 fails: the test must fail
# Environment: SCENARIO (default scenarios/mm1.toml), SHARDS (3), TIMEOUT (seconds, 300),
#              KEEP=1 to keep the work folder.
set -euo pipefail

fake=0
case "${1:-}" in
    "") ;;
    --fake) fake=1 ;;
    *) echo "usage: $0 [--fake]" >&2; exit 2 ;;
esac

say() { printf '[slurm-test %(%H:%M:%S)T] %s\n' -1 "$*"; }
fail() { say "FAILED: $*" >&2; exit 1; }

# Not `git rev-parse`: git refuses a clone owned by another user ("dubious ownership").
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ -f "$root/Cargo.toml" ] || fail "not inside the repository ($root)"
cd "$root"
# The workplace's shared tool when it sits beside the repository, else the vendored copy.
slurm_local="${SLURM_LOCAL:-}"
for candidate in "$root/../shared/tools/slurm-local.sh" "$root/tests/cluster/slurm-local.sh"; do
    if [ -z "$slurm_local" ] && [ -f "$candidate" ]; then slurm_local="$candidate"; fi
done
[ -n "$slurm_local" ] && [ -f "$slurm_local" ] || fail "no slurm-local.sh found (set SLURM_LOCAL)"
[ "$(id -u)" = 0 ] || fail "run as root: slurm-local.sh installs packages with apt-get and starts daemons"

scenario="$root/${SCENARIO:-scenarios/mm1.toml}"
shards="${SHARDS:-3}"
timeout="${TIMEOUT:-300}"
# Small and quick: 6 replications per variant over a short horizon.
overrides=(--replications 6 --set scenario.horizon=20000)

work=$(mktemp -d -t xinzhi-slurm-test.XXXXXX)
slurm_was_up=0
if [ -f /run/slurmctld.pid ] && kill -0 "$(cat /run/slurmctld.pid)" 2>/dev/null; then slurm_was_up=1; fi
array=; merge=
cleanup() {
    local rc=$?
    # Never leave our jobs behind (a merge job whose shard failed would stay pending forever).
    if [ -n "$array$merge" ] && [ "$rc" != 0 ]; then scancel $array $merge 2>/dev/null || true; fi
    if [ "$slurm_was_up" = 1 ]; then
        say "Slurm was already running before this test: leaving it up"
    else
        bash "$slurm_local" down || true
    fi
    if [ "${KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then say "work folder kept: $work"; else rm -rf "$work"; fi
    exit "$rc"
}
trap cleanup EXIT

t0=$SECONDS
say "building xinzhi (cargo build -p xinzhi-cli --locked)"
cargo build -p xinzhi-cli --locked --quiet
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
xinzhi="$target/debug/xinzhi"
[ -x "$xinzhi" ] || fail "no binary at $xinzhi after the build"
say "built in $((SECONDS - t0)) s: $xinzhi"

# The binary the jobs run: the real one, or in --fake mode a stub that writes, for
# `run --shard i/N`, one line per replication r with r mod N = i, and for `merge`, the sorted union.
job_xinzhi="$xinzhi"
single_xinzhi="$xinzhi"
if [ "$fake" = 1 ]; then
    job_xinzhi="$work/fake bin/xinzhi"
    single_xinzhi="$job_xinzhi"
    mkdir -p "$work/fake bin"
    cat >"$job_xinzhi" <<'EOF'
#!/usr/bin/env bash
# fake xinzhi: `run FILE [--shard i/N] --out DIR [--replications R|--replications=R] ...`, `merge DIR... --out DIR`
set -euo pipefail
cmd=$1; shift
out=; shard=0/1; reps=8; dirs=()
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$2; shift ;;
        --shard) shard=$2; shift ;;
        --replications) reps=$2; shift ;;
        --replications=*) reps=${1#*=} ;;
        --threads|--set|--seed|--load) shift ;;
        --*) ;;
        *) dirs+=("$1") ;;
    esac
    shift
done
mkdir -p "$out"
case $cmd in
    run)
        i=${shard%/*}; n=${shard#*/}
        if [ "${XINZHI_FAKE_FAIL:-}" = "$i" ]; then echo "error: fake failure of shard $i" >&2; exit 1; fi
        for ((r = 0; r < reps; r++)); do
            if ((r % n == i)); then echo "baseline,$r,${dirs[0]##*/}"; fi
        done >"$out/replications.csv"
        wc -l <"$out/replications.csv" >"$out/summary.csv" ;;
    merge)
        for d in "${dirs[@]}"; do cat "$d/replications.csv"; done | sort -t, -k2,2n >"$out/replications.csv"
        wc -l <"$out/replications.csv" >"$out/summary.csv" ;;
    *) echo "fake xinzhi: unknown command $cmd" >&2; exit 2 ;;
esac
EOF
    chmod +x "$job_xinzhi"
    say "--fake: the jobs run the stub $job_xinzhi"
fi

t0=$SECONDS
say "starting Slurm ($slurm_local up)"
bash "$slurm_local" up
say "Slurm up in $((SECONDS - t0)) s"

say "single run: xinzhi run $scenario ${overrides[*]}"
"$single_xinzhi" run "$scenario" --out "$work/single" --quiet "${overrides[@]}"

say "generating the submit script: xinzhi slurm --shards $shards"
"$xinzhi" slurm "$scenario" --shards "$shards" --out "$work/slurm" --xinzhi "$job_xinzhi" "${overrides[@]}" \
    >"$work/submit.sh"
bash -n "$work/submit.sh" || fail "the generated script is not valid bash: $work/submit.sh"

t0=$SECONDS
say "submitting"
bash "$work/submit.sh" | tee "$work/submitted"
array=$(awk '/^array job /{print $3}' "$work/submitted" | tr -d :)
merge=$(awk '/^merge job /{print $3}' "$work/submitted" | tr -d :)
[[ "$array" =~ ^[0-9]+$ && "$merge" =~ ^[0-9]+$ ]] || fail "could not read the job ids from the script's output"

show_logs() {
    squeue 2>&1 || true
    for id in "$array" "$merge"; do scontrol show job "$id" 2>&1 | grep -E 'JobId=|JobState=|Reason=' || true; done
    for f in "$work/slurm/logs/"*; do
        [ -f "$f" ] || continue
        echo "---- $f"; tail -n 40 "$f"
    done
}

# Wait until neither job is queued or running any more.
while :; do
    left=$(squeue -h -j "$array,$merge" -o '%i %T %r' 2>/dev/null || true)
    [ -z "$left" ] && break
    if grep -q DependencyNeverSatisfied <<<"$left"; then
        show_logs >&2; fail "a shard failed, so the merge job can never start (logs above)"
    fi
    if ((SECONDS - t0 > timeout)); then
        show_logs >&2; fail "jobs not finished after $timeout s (logs above)"
    fi
    sleep 0.5
done
say "array + merge finished $((SECONDS - t0)) s after submission"

# Every array task and the merge job must have COMPLETED (no accounting here, so ask the
# controller, which remembers finished jobs for MinJobAge = 300 s).
states=$( { scontrol -o show job "$array"; scontrol -o show job "$merge"; } | grep -o 'JobState=[A-Z_]*' | sort | uniq -c)
echo "$states"
if grep -v -q 'JobState=COMPLETED' <<<"$states"; then show_logs >&2; fail "a job did not complete (states above)"; fi
ntasks=$(scontrol -o show job "$array" | grep -c 'JobState=COMPLETED')
[ "$ntasks" = "$shards" ] || { show_logs >&2; fail "$ntasks of $shards array tasks completed"; }

# The merged folder holds exactly what the single run wrote, byte for byte.
checked=0
for f in replications.csv summary.csv summary.json comparison.csv timeseries.csv report.html; do
    if [ -f "$work/single/$f" ]; then
        [ -f "$work/slurm/merged/$f" ] || { show_logs >&2; fail "slurm/merged/$f is missing"; }
        cmp "$work/single/$f" "$work/slurm/merged/$f" || fail "slurm/merged/$f differs from the single run's"
        say "identical: $f ($(wc -l <"$work/single/$f") lines)"
        checked=$((checked + 1))
    fi
done
[ -f "$work/single/replications.csv" ] || fail "the single run wrote no replications.csv"
say "PASSED: $checked file(s) byte-identical between one machine and $shards Slurm shards + merge$([ "$fake" = 1 ] && echo ' (--fake: stub xinzhi)')"
