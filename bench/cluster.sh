#!/usr/bin/env bash
# cluster.sh: sockchat-server through 1, 2 and 3 cluster nodes on one
# redis-server (issue 18), against one node without Redis; run by
# `bench/compare.sh --cluster` (same options), or by itself.
#
#   bench/cluster.sh [--quick] [--bin DIR] [--logs DIR] [--nice N] [--repeat N]
#
# Columns: "alone" is one sockchat-server --mode pool without --cluster; "1
# node", "2 nodes", "3 nodes" are pool-mode nodes started with --cluster
# redis://127.0.0.1:PORT/benchK on a fresh redis-server (no persistence) per
# run. Every node has --workers W, W = cores - 1 divided among the nodes (at
# least 1): on one machine the nodes share its cores with Redis and the load
# generator, so these figures show what the cluster COSTS per message, not
# how it scales out (that takes one machine per node).
# Workloads (sockchat-bench, framed dialect, --port with every node's port:
# the connections go round the nodes, the fanout sender to node 1):
#   rrN    N clients, /ping -> PONG: answered by the client's own node,
#          never through Redis (what a node serves beside the cluster)
#   fanN   one sender on node 1, N receivers spread over the nodes, in
#          lock step: each message is XADDed, read back by every node's
#          tailer (XREAD BLOCK) and delivered; exactly once, in order
#   ack    one sender, one chat message in flight (sockchat-bench push -W 1):
#          the request/reply of a chat line, whose ACK waits for XADD
# Besides the bench's figures, each run of fanout and ack records
# redis-server's CPU time (INFO cpu) and command count (INFO stats) over the
# whole run, divided by the messages sent: Redis's cost per chat message.
# --quick: short and small, a smoke test (about 30 s). --repeat N: every run N
# times (default 3, 1 with --quick); the table shows the median run by rate.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# free_port, listening, wait_port, port_from, stop_pid, sub_options
# shellcheck source=bench/serverctl.sh
. "$here/serverctl.sh"
sub_options cluster.sh --cluster "$@"
for c in redis-server redis-cli; do
    command -v $c >/dev/null || {
        echo "cluster.sh: $c missing (scripts/deps.sh bench installs redis-server)" >&2
        exit 69
    }
done
[ -n "$logs" ] || logs=$(mktemp -d /tmp/sockchat-cluster.XXXXXX)
mkdir -p "$logs"
# TLS is on by default (issue 19): the key a server makes on first start is
# kept in this run's directory, not in the home directory.
unset STATE_DIRECTORY
export XDG_STATE_HOME="$logs/state"
ulimit -n "$(ulimit -Hn)" 2>/dev/null

if [ $quick = 1 ]; then
    WARM=0.2 DUR=1 SIZES="10"
    : "${repeat:=1}"
else
    WARM=1 DUR=5 SIZES="10 100"
    : "${repeat:=3}"
fi
case "$repeat" in
'' | *[!0-9]* | 0) echo "cluster.sh: --repeat: a count of at least 1" >&2; exit 64 ;;
esac
CORES=$(nproc)
PEERS="alone n1 n2 n3"


t_start=$(date +%s.%N)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
note() { printf '[%6.1fs] %s\n' "$(awk -v a="$(date +%s.%N)" -v b="$t_start" 'BEGIN{print a-b}')" "$*" >&2; }

pids=()      # every process of the current run: nodes, then redis
redis_pid="" # and its port, for INFO
redis_port=""
stop_all() {
    local p
    for p in "${pids[@]}"; do stop_pid "$p"; done
    pids=()
    redis_pid=""
}
trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM

# wait_log FILE REGEX PID: up to 10 s for a line matching REGEX in FILE.
wait_log() {
    local _
    for _ in $(seq 200); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# nodes_of PEER: how many nodes (0: alone, no Redis)
nodes_of() { case "$1" in alone) echo 0 ;; n*) echo "${1#n}" ;; esac; }

# start PEER TAG: starts Redis and the nodes (or the one server alone); sets
# ports (comma list); 1 on failure.
start() {
    local peer=$1 tag=$2 n k workers out err
    local -a url=()
    n=$(nodes_of "$peer")
    ports=""
    workers=$(((CORES > 1 ? CORES - 1 : 1) / (n > 0 ? n : 1)))
    [ "$workers" -ge 1 ] || workers=1
    if [ "$n" -gt 0 ]; then
        redis_port=$(free_port)
        nice -n "$nice" redis-server --bind 127.0.0.1 --port "$redis_port" --save '' \
            --appendonly no --protected-mode no --daemonize no \
            </dev/null >"$logs/$tag.redis.log" 2>&1 &
        redis_pid=$!
        pids+=("$redis_pid")
        wait_port "$redis_port" "$redis_pid" || return 1
    fi
    for k in $(seq "$((n > 0 ? n : 1))"); do
        out="$logs/$tag.node$k.out" err="$logs/$tag.node$k.err"
        [ "$n" -gt 0 ] && url=(--cluster "redis://127.0.0.1:$redis_port/bench$tag" --node "node$k")
        nice -n "$nice" "$SERVER" --bind 127.0.0.1 --port 0 --mode pool --workers "$workers" \
            --rate 0 --quiet --max-clients 2000 --max-per-addr 0 "${url[@]}" \
            </dev/null >"$out" 2>"$err" &
        local pid=$! p
        pids+=("$pid")
        p=$(port_from "$out" "$pid") || return 1
        if [ "$n" -gt 0 ]; then
            wait_log "$err" "cluster: node node$k joined" "$pid" || return 1
        fi
        ports=${ports:+$ports,}$p
    done
    return 0
}

declare -A R # R[peer/run/key] = value

# redis_usage: "CPU_SECONDS COMMANDS" of the run's Redis so far, from one
# INFO (which counts the commands before it, not itself).
redis_usage() {
    redis-cli -p "$redis_port" INFO all 2>/dev/null | tr -d '\r' | awk -F: '
        $1 == "used_cpu_user" || $1 == "used_cpu_sys" { cpu += $2 }
        $1 == "total_commands_processed" { cmds = $2 }
        END { print cpu + 0, cmds + 0 }'
}

# run PEER NAME WORKLOAD [bench options]: one fresh start, one bench run.
run() {
    local peer=$1 name=$2 work=$3 tag cpu0 cmd0 line kv rc
    shift 3
    tag="$peer.$name"
    if ! start "$peer" "$tag"; then
        note "$peer: did not start (see $logs/$tag.*)"
        stop_all
        R[$peer/$name/rc]=no-start
        return
    fi
    [ -n "$redis_pid" ] && read -r cpu0 cmd0 < <(redis_usage)
    note "$peer $name: sockchat-bench -p $ports $* $work"
    nice -n "$nice" "$BENCH" -p "$ports" -D framed --label "$peer" "$@" "$work" \
        >"$logs/$tag.txt" 2>&1
    rc=$?
    line=$(grep '^RESULT ' "$logs/$tag.txt" | tail -1)
    R[$peer/$name/rc]=$rc
    for kv in $line; do
        case "$kv" in *=*) R[$peer/$name/${kv%%=*}]=${kv#*=} ;; esac
    done
    if [ -n "$redis_pid" ]; then
        local cpu1 cmd1 sent=${R[$peer/$name/sent]:-0}
        read -r cpu1 cmd1 < <(redis_usage)
        if [ "$sent" -gt 0 ] 2>/dev/null; then
            R[$peer/$name/redis_us]=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$sent" \
                'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')
            # The first INFO is among the commands counted between the two.
            R[$peer/$name/redis_cmds]=$(awk -v a="$cmd0" -v b="$cmd1" -v n="$sent" \
                'BEGIN { printf "%.2f", (b - a - 1) / n }')
        fi
    fi
    stop_all
}

for k in $(seq "$repeat"); do
    for p in $PEERS; do
        for n in $SIZES; do
            run "$p" "rr$n.$k" rr -c "$n" -t 10 -w "$WARM" -d "$DUR"
            run "$p" "fan$n.$k" fanout -c "$n" -w "$WARM" -d "$DUR"
        done
        run "$p" "ack.$k" push -W 1 -m 1000000 -d "$DUR"
    done
done

# median PEER NAME KEY: copies the median run of NAME by KEY into R[PEER/NAME/*].
median() {
    local p=$1 name=$2 key=$3 k v bad=0
    local -a runs=()
    for k in $(seq "$repeat"); do
        v=${R[$p/$name.$k/rc]:-}
        [ -n "$v" ] || continue
        [ "$v" = 0 ] || bad=$((bad + 1))
        v=${R[$p/$name.$k/$key]:-}
        [ -n "$v" ] && runs+=("$v $k")
    done
    R[$p/$name/unclean]=$bad
    [ ${#runs[@]} -gt 0 ] || return 0
    v=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(((${#runs[@]} + 1) / 2))p")
    local kv
    for kv in "${!R[@]}"; do
        case "$kv" in "$p/$name.${v#* }/"*) R[$p/$name/${kv##*/}]=${R[$kv]} ;; esac
    done
}
for p in $PEERS; do
    for n in $SIZES; do
        median "$p" "rr$n" rps
        median "$p" "fan$n" dps
    done
    median "$p" ack mps
done

cell() { # PEER NAME KEY: the median run's figure, or why there is none
    local v=${R[$1/$2/$3]:-} bad=${R[$1/$2/unclean]:-0}
    if [ "$bad" != 0 ]; then
        echo "${v:-failed} (not clean in $bad of $repeat)"
    else
        echo "${v:--}"
    fi
}
row() { # NAME LABEL MEASURE KEY
    local p out="| $2 | $3 |"
    for p in $PEERS; do out="$out $(cell "$p" "$1" "$4") |"; done
    echo "$out"
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "## sockchat-server through a cluster (issue 18)"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $CORES cores, ${cpu:-unknown CPU}, Linux $(uname -r); redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
echo "- load average (1, 5, 15 min) before: $load_start; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- every node, Redis and the load generator on this one machine: the cost of the cluster per message, not its scale-out"
echo "- warm-up ${WARM} s, measured ${DUR} s; $repeat run(s) each, the median by rate shown"
[ $quick = 1 ] && echo "- **--quick run: short and small, for a smoke test only**"
echo
echo "| workload | measure | alone (no Redis) | 1 node | 2 nodes | 3 nodes |"
echo "|---|---|---:|---:|---:|---:|"
for n in $SIZES; do
    row "rr$n" "rr $n clients" "replies/s" rps
    row "rr$n" "rr $n clients" "p99 latency (us)" p99_us
    row "fan$n" "fanout $n receivers" "deliveries/s" dps
    row "fan$n" "fanout $n receivers" "p50 latency (us)" p50_us
    row "fan$n" "fanout $n receivers" "p99 latency (us)" p99_us
    row "fan$n" "fanout $n receivers" "exactly once, in order" in_order
    row "fan$n" "fanout $n receivers" "Redis CPU us per message" redis_us
    row "fan$n" "fanout $n receivers" "Redis commands per message" redis_cmds
done
row ack "chat MSG -> ACK, one in flight" "messages/s" mps
row ack "chat MSG -> ACK, one in flight" "Redis CPU us per message" redis_us
row ack "chat MSG -> ACK, one in flight" "Redis commands per message" redis_cmds
echo
echo "Bench outputs and server logs: $logs"

status=0
for p in $PEERS; do
    for name in $(for n in $SIZES; do echo "rr$n fan$n"; done) ack; do
        for k in $(seq "$repeat"); do
            if [ "${R[$p/$name.$k/rc]:-}" != 0 ]; then
                note "$p $name run $k: not clean (exit ${R[$p/$name.$k/rc]:-none}, see $logs/$p.$name.$k.*)"
                status=1
            fi
        done
    done
done
exit $status
