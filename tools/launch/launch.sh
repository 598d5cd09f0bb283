#!/usr/bin/env bash
# Starts N local processes of one program for data-parallel training, with the variables
# every task binary reads (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), each line
# of their output prefixed with the rank. When one process exits with an error the others
# are stopped (SIGTERM, then SIGKILL after a grace period) and the launcher exits with that
# status; Ctrl-C reaches every process, which checkpoints and stops.
#
#   tools/launch/launch.sh --nproc=2 -- bazel-bin/tasks/imdb/imdb --threads=1 --max_steps=40
#   tools/launch/launch.sh --nproc=2 --master_port=29600 -- bazel-bin/tasks/wiki/wiki ...
#
# For several machines run each process yourself with --world_size, --rank and
# --dist_init=tcp://<rank 0's address>:<port> (or the variables above).
set -uo pipefail

nproc=2
master_addr=127.0.0.1
master_port=29500
grace_seconds=10

usage() {
  echo "usage: $0 [--nproc=N] [--master_addr=HOST] [--master_port=PORT] [--grace=SECONDS]" \
       "[--] program [args...]" >&2
  exit 2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --nproc=*) nproc="${1#*=}" ;;
    --master_addr=*) master_addr="${1#*=}" ;;
    --master_port=*) master_port="${1#*=}" ;;
    --grace=*) grace_seconds="${1#*=}" ;;
    --) shift; break ;;
    -*) echo "launch: unknown option '$1'" >&2; usage ;;
    *) break ;;
  esac
  shift
done
[[ $# -ge 1 ]] || usage
if ! [[ "$nproc" =~ ^[1-9][0-9]*$ ]]; then
  echo "launch: --nproc must be a positive integer, got '$nproc'" >&2
  exit 2
fi
if ! [[ "$master_port" =~ ^[0-9]+$ ]] || (( master_port < 1 || master_port > 65535 )); then
  echo "launch: --master_port must be in 1-65535, got '$master_port'" >&2
  exit 2
fi
if ! [[ "$grace_seconds" =~ ^[0-9]+$ ]]; then
  echo "launch: --grace must be a whole number of seconds, got '$grace_seconds'" >&2
  exit 2
fi

fifo_dir=$(mktemp -d "${TMPDIR:-/tmp}/launch.XXXXXX") || exit 1
declare -a pids=()
declare -A rank_of=()
readers=()

cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  rm -rf "$fifo_dir"
}
trap cleanup EXIT

# Copies one stream of a rank to ours with a "[rank R] " prefix on every line.
prefix_lines() {
  local rank=$1 line
  while IFS= read -r line || [[ -n "$line" ]]; do
    printf '[rank %s] %s\n' "$rank" "$line"
  done
}

stop_others() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  if [[ ${#pids[@]} -gt 0 ]]; then
    (sleep "$grace_seconds"; kill -KILL "${pids[@]}" 2>/dev/null) &
    watchdog=$!
  fi
}

for (( rank = 0; rank < nproc; ++rank )); do
  mkfifo "$fifo_dir/out.$rank" "$fifo_dir/err.$rank" || exit 1
  prefix_lines "$rank" < "$fifo_dir/out.$rank" &
  readers+=($!)
  prefix_lines "$rank" < "$fifo_dir/err.$rank" >&2 &
  readers+=($!)
  WORLD_SIZE=$nproc RANK=$rank LOCAL_RANK=$rank MASTER_ADDR=$master_addr \
    MASTER_PORT=$master_port "$@" > "$fifo_dir/out.$rank" 2> "$fifo_dir/err.$rank" &
  pids+=($!)
  rank_of[$!]=$rank
done

# SIGTERM to the launcher stops the ranks the same way (they checkpoint and stop); Ctrl-C
# already reaches them through the terminal.
trap 'for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done' TERM
trap ':' INT

status=0
watchdog=
while [[ ${#pids[@]} -gt 0 ]]; do
  finished=
  wait -n -p finished "${pids[@]}"
  code=$?
  # A trapped signal interrupts the wait and leaves `finished` unset (not just empty).
  [[ -n "${finished:-}" ]] || continue
  remaining=()
  for pid in "${pids[@]}"; do [[ "$pid" != "$finished" ]] && remaining+=("$pid"); done
  pids=("${remaining[@]}")
  if [[ $code -ne 0 && $status -eq 0 ]]; then
    status=$code
    echo "launch: rank ${rank_of[$finished]} exited with status $code; stopping the other" \
         "${#pids[@]} process(es)" >&2
    stop_others
  fi
done
[[ -n "$watchdog" ]] && kill "$watchdog" 2>/dev/null
wait "${readers[@]}" 2>/dev/null
exit "$status"
