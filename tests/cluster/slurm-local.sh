#!/usr/bin/env bash
# Vendored copy of the workplace tool ../shared/tools/slurm-local.sh (unchanged below this
# comment), so the Slurm test runs on a CI machine that has the repository alone;
# tests/cluster/slurm.sh prefers the shared original when it is there.
# slurm-local.sh — single-node Slurm on loopback (Debian 12, no systemd, cgroup v1/hybrid host).
#
# Installs munge + slurmctld + slurmd (Debian's Slurm 22.05), writes a one-node
# slurm.conf (NodeName=localhost, proctrack/linuxproc, task/none: no cgroups, no
# systemd), starts munged, slurmctld and slurmd as plain daemons, submits a
# 4-task array job and waits for it.
#
# Usage (as root):
#   slurm-local.sh up        install (if needed), configure, start daemons
#   slurm-local.sh test      submit sbatch --array=0-3 and check the 4 outputs
#   slurm-local.sh down      stop the daemons this script started (by PID file)
#   slurm-local.sh all       up + test + down   (default)
#
# Environment: SLURM_CPUS (default: nproc), WORKDIR (default: a fresh mktemp -d)
set -euo pipefail

CPUS="${SLURM_CPUS:-$(nproc)}"
CONF=/etc/slurm/slurm.conf
STATE=/var/lib/slurm
LOGS=/var/log/slurm
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid

log() { printf '[slurm-local %(%H:%M:%S)T] %s\n' -1 "$*"; }

install_pkgs() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
       && command -v sbatch >/dev/null && command -v munged >/dev/null; then
        log "slurm + munge already installed"; return
    fi
    log "apt-get install slurmctld slurmd slurm-client munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # --no-install-recommends keeps it to the daemons + client (the slurm-wlm
    # metapackage drags ~40 packages of plugins and -dev files).
    # Package postinst scripts try to start services; with no init system they
    # are refused by policy-rc.d / invoke-rc.d, which is harmless.
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
}

write_conf() {
    mkdir -p /etc/slurm "$STATE/slurmctld" "$STATE/slurmd" "$LOGS"
    chown -R slurm:slurm "$STATE" "$LOGS"
    cat >"$CONF" <<EOF
# single-node loopback cluster written by slurm-local.sh
ClusterName=local
SlurmctldHost=localhost
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
# no systemd, no cgroup management: track processes via /proc, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmdSpoolDir=$STATE/slurmd
StateSaveLocation=$STATE/slurmctld
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MaxArraySize=100001
MaxJobCount=200000
# no mail program on a bare box (silences 'Configured MailProg is invalid')
MailProg=/bin/true
# default batch_sched_delay=3 s gives ~2 array tasks per 3 s on one node;
# with 0 the controller's 1 s background tick is the floor (~2 tasks/s here)
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    log "wrote $CONF (CPUs=$CPUS)"
}

start_munge() {
    if [ -f "$MUNGE_PID" ] && kill -0 "$(cat "$MUNGE_PID")" 2>/dev/null; then
        log "munged already running (pid $(cat "$MUNGE_PID"))"; return
    fi
    [ -s /etc/munge/munge.key ] || { log "creating munge key"; runuser -u munge -- mungekey --create; }
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge/munge.key
    chmod 0755 /run/munge; chmod 0400 /etc/munge/munge.key
    runuser -u munge -- munged
    for _ in $(seq 50); do [ -S /run/munge/munge.socket.2 ] && break; sleep 0.1; done
    munge -n | unmunge >/dev/null
    log "munged up (pid $(cat "$MUNGE_PID"))"
}

start_slurm() {
    if [ -f "$CTLD_PID" ] && kill -0 "$(cat "$CTLD_PID")" 2>/dev/null; then
        log "slurmctld already running"
    else
        # -i: ignore (missing/old) saved state on first start
        slurmctld -i
    fi
    if [ -f "$SLURMD_PID" ] && kill -0 "$(cat "$SLURMD_PID")" 2>/dev/null; then
        log "slurmd already running"
    else
        # -N: our NodeName is "localhost", whatever `hostname` says
        slurmd -N localhost
    fi
    for _ in $(seq 100); do
        state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
        case "$state" in idle*|mixed*|allocated*) break ;; esac
        sleep 0.2
    done
    sinfo
    case "$state" in idle*|mixed*|allocated*) log "node state: $state" ;;
        *) log "node never became idle (state '$state'); see $LOGS/*.log"; exit 1 ;; esac
}

run_test() {
    local dir="${WORKDIR:-$(mktemp -d -t slurm-local-test.XXXXXX)}"
    mkdir -p "$dir"; cd "$dir"
    local jid
    jid=$(sbatch --parsable --array=0-3 --chdir="$dir" -o 'slurm-%A_%a.log' \
          --wrap 'echo $SLURM_ARRAY_TASK_ID > out_$SLURM_ARRAY_TASK_ID; hostname >> out_$SLURM_ARRAY_TASK_ID')
    log "submitted array job $jid in $dir"
    local t0=$SECONDS
    while squeue -h -j "$jid" 2>/dev/null | grep -q .; do
        (( SECONDS - t0 > 120 )) && { log "timeout waiting for $jid"; squeue; exit 1; }
        sleep 0.5
    done
    log "array job finished after $((SECONDS - t0)) s"
    local ok=1
    for i in 0 1 2 3; do
        if [ "$(head -1 "out_$i" 2>/dev/null)" = "$i" ]; then echo "out_$i: $(tr '\n' ' ' <"out_$i")"
        else echo "out_$i: MISSING/WRONG"; ok=0; fi
    done
    [ "$ok" = 1 ] && log "TEST PASSED" || { log "TEST FAILED"; exit 1; }
}

stop_all() {
    for pf in "$SLURMD_PID" "$CTLD_PID" "$MUNGE_PID"; do
        if [ -f "$pf" ]; then
            pid=$(cat "$pf")
            if kill -0 "$pid" 2>/dev/null; then
                log "stopping pid $pid ($pf)"; kill "$pid"
                for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            fi
            # slurmctld runs as SlurmUser and cannot unlink its root-owned pid
            # file; a stale one makes the package's prerm call scancel.
            kill -0 "$pid" 2>/dev/null || rm -f "$pf"
        fi
    done
}

case "${1:-all}" in
    up)   t0=$SECONDS; install_pkgs; write_conf; start_munge; start_slurm; log "up in $((SECONDS - t0)) s" ;;
    test) run_test ;;
    down) stop_all ;;
    all)  t0=$SECONDS; install_pkgs; write_conf; start_munge; start_slurm; log "up in $((SECONDS - t0)) s"
          trap stop_all EXIT; run_test ;;
    *) echo "usage: $0 [up|test|down|all]" >&2; exit 2 ;;
esac
