#!/usr/bin/env bash
# Starts (or stops) a throw-away single-node Slurm cluster on this host, for the
# `memgan sweep --engine slurm` test and for CI: a fresh Debian 12 container,
# run as root, possibly without systemd. Everything it writes (slurm.conf, munge
# key and socket, state, spool, pid and log files) lives under STATE_DIR; it
# touches nothing in /etc or /run and does not use any system munged/slurmd.
#
# Usage:
#   eval "$(scripts/slurm-local.sh start STATE_DIR)"   # prints `export SLURM_CONF=...` last
#   sbatch --array=0-3 --wait -o "$STATE_DIR/job_%A_%a.out" --wrap '...'
#   scripts/slurm-local.sh stop STATE_DIR              # cancels jobs, stops the daemons
#   scripts/slurm-local.sh status STATE_DIR            # exit 0 when it is up
#
# `start` is idempotent: when the daemons from STATE_DIR are already up it says so
# and prints the export line again. Progress goes to stderr; stdout carries only
# the export line, so `eval "$(...)"` is safe. It waits (SLURM_LOCAL_TIMEOUT s,
# default 60) for the node to be idle, else prints the daemons' logs and exits 1.
#
# Needs: Debian packages slurm-wlm (slurmctld, slurmd, slurm-client) and munge;
# must run as root (slurmd runs jobs as their submitter, SlurmUser=root).
# Ports: SLURM_LOCAL_CTLD_PORT (6817) and SLURM_LOCAL_SLURMD_PORT (6818).
#
# Authentication: our own munged (--force, it runs as root) with a key and a
# socket under STATE_DIR; slurm.conf's AuthInfo=socket=... points every daemon
# and client (through SLURM_CONF) at it. auth_none.so still ships with 22.05,
# but upstream has since dropped it, so this does not rely on it.
set -euo pipefail

die() { echo "slurm-local: $*" >&2; exit 1; }
log() { echo "slurm-local: $*" >&2; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
state=$(cd "$2" && pwd -P)

conf=$state/slurm.conf
sock=$state/munge/munge.socket
ctld_port=${SLURM_LOCAL_CTLD_PORT:-6817}
slurmd_port=${SLURM_LOCAL_SLURMD_PORT:-6818}
timeout=${SLURM_LOCAL_TIMEOUT:-60}
host=$(hostname -s 2>/dev/null || uname -n)
host=${host%%.*}

export SLURM_CONF=$conf
# Client commands must not pick up anything else from the caller's environment.
unset SLURM_CLUSTERS SLURM_CONF_SERVER 2>/dev/null || true

# pid from a pid file, if that process is still alive.
alive_pid() {
  local f=$1 pid
  [ -s "$f" ] || return 1
  pid=$(tr -dc '0-9' <"$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

node_state() { { sinfo -h -N -n "$host" -o '%t' 2>/dev/null || true; } | head -n1; }

is_up() {
  alive_pid "$state/munged.pid" >/dev/null &&
    alive_pid "$state/slurmctld.pid" >/dev/null &&
    alive_pid "$state/slurmd.pid" >/dev/null &&
    [ -f "$conf" ] && [ -n "$(node_state)" ]
}

dump_logs() {
  local f
  for f in "$state"/log/munged.log "$state"/log/slurmctld.log "$state"/log/slurmd.log; do
    [ -f "$f" ] || continue
    echo "----- $f (last 40 lines) -----" >&2
    tail -n 40 "$f" >&2
  done
  echo "----- sinfo -----" >&2
  sinfo -N -l >&2 2>&1 || true
}

port_busy() {  # something accepts TCP connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

fail_cleanup() {
  local rc=$?
  [ "$rc" -ne 0 ] || return 0
  log "start failed (rc $rc): stopping what it started"
  stop_pidfile slurmd
  stop_pidfile slurmctld
  stop_pidfile munged
  rm -f "$sock" "$sock.lock"
  exit "$rc"
}

stop_pidfile() {  # stop_pidfile NAME: TERM, wait up to 15 s, then KILL
  local name=$1 f=$state/$1.pid pid i
  if pid=$(alive_pid "$f"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name ($pid) ignored SIGTERM, killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name ($pid)"
  fi
  rm -f "$f"
}

write_conf() {
  local cpus mem_kb mem_mb
  cpus=$(nproc)
  mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  # A bit below the real size so slurmd never finds less than configured.
  mem_mb=$((mem_kb * 9 / 10240))
  [ "$mem_mb" -ge 1 ] || mem_mb=1
  cat >"$conf" <<EOF
# Written by scripts/slurm-local.sh: single-node cluster for memgan tests.
ClusterName=memgan-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
LaunchType=launch/slurm
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# Start queued tasks as soon as CPUs free up (default: every ~3 s).
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MaxArraySize=100001
MaxJobCount=200000
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$state/plugstack.conf
NodeName=$host NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=memgan Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  : >"$state/plugstack.conf"   # keep the system /etc/slurm/plugstack.conf out of it
}

start_munged() {
  if alive_pid "$state/munged.pid" >/dev/null && [ -S "$sock" ]; then
    return 0
  fi
  rm -f "$sock" "$sock.lock" "$state/munged.pid"
  if [ ! -s "$state/munge/munge.key" ]; then
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile="$state/munge/munge.key" >&2
    else
      dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
    fi
  fi
  chmod 0400 "$state/munge/munge.key"
  munged --force \
    --socket="$sock" \
    --key-file="$state/munge/munge.key" \
    --pid-file="$state/munged.pid" \
    --log-file="$state/log/munged.log" \
    --seed-file="$state/munge/munged.seed" \
    || { dump_logs; die "munged failed to start"; }
  local i
  for ((i = 0; i < 50; i++)); do
    [ -S "$sock" ] && break
    sleep 0.1
  done
  [ -S "$sock" ] || { dump_logs; die "munged socket $sock did not appear"; }
  munge -S "$sock" -n | unmunge -S "$sock" >/dev/null ||
    { dump_logs; die "munge round trip failed"; }
}

do_start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (SlurmUser=root, slurmd runs jobs as their submitter)"
  local t
  for t in munged slurmctld slurmd sinfo; do
    command -v "$t" >/dev/null || die "$t not found: apt-get install -y slurm-wlm munge"
  done
  [ ${#sock} -lt 100 ] || die "STATE_DIR path too long for a unix socket: $sock"

  if is_up; then
    log "already running from $state (node $host: $(node_state))"
    echo "export SLURM_CONF=$conf"
    return 0
  fi

  local t0=$SECONDS
  # Partially up (a crash, a half-finished start): restart cleanly.
  stop_pidfile slurmd
  stop_pidfile slurmctld
  local port
  for port in "$ctld_port" "$slurmd_port"; do
    if port_busy "$port"; then
      die "port $port is in use (another Slurm, or slurm-local.sh started with another STATE_DIR?);" \
        "stop it or set SLURM_LOCAL_CTLD_PORT / SLURM_LOCAL_SLURMD_PORT"
    fi
  done
  # From here on, a failed start stops whatever it started.
  trap 'fail_cleanup' EXIT

  mkdir -p "$state"/{ctld,spool,log,munge}
  chmod 0711 "$state" "$state/munge"   # munged wants o+x on its socket dir
  chmod 0755 "$state/log"
  write_conf
  start_munged

  slurmctld -f "$conf" || { dump_logs; die "slurmctld failed to start"; }
  slurmd -f "$conf" -N "$host" || { dump_logs; die "slurmd failed to start"; }

  local st="" d
  while ((SECONDS - t0 < timeout)); do
    for d in munged slurmctld slurmd; do
      # A daemon writes its pid file after it forks: under load that can take a moment.
      if [ -s "$state/$d.pid" ]; then
        alive_pid "$state/$d.pid" >/dev/null || {
          log "$d exited during start"
          dump_logs
          exit 1
        }
      elif ((SECONDS - t0 > 15)); then
        log "$d wrote no pid file within 15 s"
        dump_logs
        exit 1
      fi
    done
    st=$(node_state)
    case $st in
      idle | mix | alloc) break ;;
      drain* | down*) # ReturnToService=2 should handle it; nudge once it registered
        scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  case $st in
    idle | mix | alloc) ;;
    *)
      log "node $host not idle after ${timeout}s (state: '${st:-no answer}')"
      dump_logs
      exit 1
      ;;
  esac
  trap - EXIT
  log "up in $((SECONDS - t0)) s: node $host ($(nproc) CPUs), partition memgan, state $state"
  echo "export SLURM_CONF=$conf"
}

do_stop() {
  if [ -f "$conf" ] && alive_pid "$state/slurmctld.pid" >/dev/null; then
    local jobs i
    jobs=$(squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
      log "cancelling jobs: $jobs"
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do
        [ -z "$(squeue -h -o '%A' 2>/dev/null)" ] && break
        sleep 0.1
      done
    fi
  fi
  stop_pidfile slurmd
  stop_pidfile slurmctld
  stop_pidfile munged
  rm -f "$sock" "$sock.lock"
  log "stopped ($state)"
}

case $cmd in
  start) do_start ;;
  stop) do_stop ;;
  status)
    if is_up; then
      log "running from $state (node $host: $(node_state))"
    else
      log "not running from $state"
      exit 1
    fi
    ;;
  *) usage ;;
esac
