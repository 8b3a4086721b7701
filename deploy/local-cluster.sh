#!/usr/bin/env bash
# A local multi-process rlft cluster on loopback: one learner+params node, N rollout nodes and M
# reward nodes, each its own JVM (`rlft node`), with a log per node. See docs/operations.md.
#
#   deploy/local-cluster.sh start [options] [-- LEARNER_FLAGS...]   start the nodes, return at once
#   deploy/local-cluster.sh run   [options] [-- LEARNER_FLAGS...]   start, wait for the learner to finish, stop the rest
#   deploy/local-cluster.sh stop  [--dir DIR]                        SIGTERM every node (graceful leave), then wait
#   deploy/local-cluster.sh status [--dir DIR]                       which nodes are running
#
# Options: --rollout N (default 2)   --reward M (default 1)   --base-port P (default 2551)
#          --dir DIR (default .local-cluster: logs/, pids/)
#          --threads T  PyTorch threads of the learner and of each rollout node (default: the cores
#                       shared out, at least 1; nodes that each take every core slow each other down)
# LEARNER_FLAGS are `rlft train` flags for the learner node (e.g. --sft-steps 100 --grpo-steps 10 --seed 2).
# Per-node JVM options: RLFT_JAVA_OPTS (default -Xmx3g).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

cmd="${1:-}"
[[ -n "$cmd" ]] && shift
rollout=2 reward=1 base=2551 dir=".local-cluster" threads=""
learner_flags=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rollout) rollout="$2"; shift 2 ;;
    --reward) reward="$2"; shift 2 ;;
    --base-port) base="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --) shift; learner_flags=("$@"); break ;;
    *) echo "local-cluster: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
logs="$dir/logs" pids="$dir/pids"

node_names() {
  [[ -d "$pids" ]] || return 0
  # rollout and reward nodes first, so the learner (if still up) leaves last
  ls "$pids" | sed 's/\.pid$//' | sort -r
}

alive() { [[ -f "$pids/$1.pid" ]] && kill -0 "$(cat "$pids/$1.pid")" 2>/dev/null; }

stop_all() {
  local n pid
  for n in $(node_names); do
    if alive "$n"; then
      kill -TERM "$(cat "$pids/$n.pid")" && echo "local-cluster: $n leaving (SIGTERM)"
    fi
  done
  for n in $(node_names); do
    pid="$(cat "$pids/$n.pid")"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "local-cluster: $n did not leave within 30 s; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pids/$n.pid"
  done
}

start_node() { # name, flags...
  local name="$1"; shift
  RLFT_JAVA_OPTS="${RLFT_JAVA_OPTS:--Xmx3g} -Dorg.slf4j.simpleLogger.log.dev.rlft.cluster=info \
-Dorg.slf4j.simpleLogger.log.dev.rlft.coordinator=info" \
    "$root/rlft" node "$@" >"$logs/$name.log" 2>&1 &
  echo $! >"$pids/$name.pid"
  echo "local-cluster: $name (pid $!) -> $logs/$name.log"
}

start_all() {
  if [[ -n "$(node_names)" ]]; then
    for n in $(node_names); do
      if alive "$n"; then echo "local-cluster: $n is still running; stop first" >&2; exit 2; fi
    done
    rm -f "$pids"/*.pid
  fi
  mkdir -p "$logs" "$pids"
  "$root/rlft" --version >/dev/null # build once, before the nodes start in parallel
  if [[ -z "$threads" ]]; then
    threads=$(( $(nproc) / (rollout + 1) )); (( threads >= 1 )) || threads=1
  fi
  local seeds="127.0.0.1:$base,127.0.0.1:$((base + 1))" port=$((base + 1)) i
  # the learner's own flags come last, so an explicit --set torch-threads=... wins
  start_node learner --roles learner,params --host 127.0.0.1 --port "$base" --seed-nodes "$seeds" \
    --set "torch-threads=$threads" \
    "${learner_flags[@]}"
  for ((i = 1; i <= reward; i++)); do
    start_node "reward-$i" --roles reward --host 127.0.0.1 --port "$port" --seed-nodes "$seeds"; port=$((port + 1))
  done
  for ((i = 1; i <= rollout; i++)); do
    start_node "rollout-$i" --roles rollout --host 127.0.0.1 --port "$port" --seed-nodes "$seeds" \
      --set "torch-threads=$threads"
    port=$((port + 1))
  done
}

case "$cmd" in
  start) start_all ;;
  run)
    start_all
    trap 'stop_all' INT TERM
    pid="$(cat "$pids/learner.pid")"
    echo "local-cluster: waiting for the learner to finish (tail -f $logs/learner.log)"
    status=0
    wait "$pid" || status=$?
    echo "local-cluster: learner exited with $status"
    stop_all
    exit "$status" ;;
  stop) stop_all ;;
  status)
    for n in $(node_names); do
      if alive "$n"; then echo "$n running (pid $(cat "$pids/$n.pid"))"; else echo "$n stopped"; fi
    done ;;
  *) sed -n '2,18p' "$0"; exit 2 ;;
esac
