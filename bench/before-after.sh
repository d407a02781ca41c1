#!/usr/bin/env bash
# before-after.sh: two builds of sockchat-server side by side, with their
# defaults, against redis-server, in interleaved rounds.
#
#   bench/before-after.sh BEFORE_BIN AFTER_BIN [--repeat N] [--logs DIR]
#
# compare.sh measures one build against its peers and pins the pool's
# --workers; this script measures what a change did to what a user gets:
# each server starts as `sockchat-server --mode M --rate 0 --quiet
# --max-clients 3000 --max-per-addr 0`, nothing else (so a changed default
# shows). The load generator is AFTER_BIN's sockchat-bench for every run,
# so only the server differs. Workloads (issue 17's): threads rr 100 (plain
# /ping), threads fanout 10 and 100 (framed), pool rr 100 and 1,000 (plain);
# redis PING and PUBLISH at the same sizes. Round k runs everything before
# round k+1 (default 3 rounds), so a slow minute hits every server alike.
# Prints a Markdown table: the median run by rate and its latencies, the
# range of the rate, and the ratio of each median to redis's median.
#
# To build a before: git worktree add /tmp/before COMMIT &&
#   cmake -S /tmp/before -B /tmp/before/build && cmake --build /tmp/before/build
set -u

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
[ $# -ge 2 ] || { usage >&2; exit 64; }
before=$1 after=$2
shift 2
repeat=3 logs=""
while [ $# -gt 0 ]; do
    case "$1" in
    --repeat) repeat=$2; shift ;;
    --logs) logs=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "before-after.sh: unknown option: $1" >&2; exit 64 ;;
    esac
    shift
done
case "$repeat" in '' | *[!0-9]* | 0) echo "before-after.sh: --repeat: a count of at least 1" >&2; exit 64 ;; esac
for f in "$before/sockchat-server" "$after/sockchat-server" "$after/sockchat-bench"; do
    [ -x "$f" ] || { echo "before-after.sh: $f: not built" >&2; exit 69; }
done
command -v redis-server >/dev/null || { echo "before-after.sh: redis-server missing (scripts/deps.sh bench)" >&2; exit 69; }
[ -n "$logs" ] || logs=$(mktemp -d /tmp/sockchat-before-after.XXXXXX)
mkdir -p "$logs"
# TLS is on by default (issue 19): the key a server makes on first start is
# kept in this run's directory, not in the home directory.
unset STATE_DIRECTORY
export XDG_STATE_HOME="$logs/state"
ulimit -n "$(ulimit -Hn)" 2>/dev/null
BENCH="$after/sockchat-bench"
pid=""

# free_port, listening, wait_port, port_from, stop_pid
# shellcheck source=bench/serverctl.sh
. "$(cd "$(dirname "$0")" && pwd)/serverctl.sh"

stop() {
    [ -n "$pid" ] || return 0
    stop_pid "$pid"
    pid=""
}
trap stop EXIT
trap 'stop; exit 130' INT TERM

# start WHO MODE: sets pid and port; WHO is before, after or redis.
start() {
    local who=$1 mode=$2 out="$logs/server.out"
    port=""
    if [ "$who" = redis ]; then
        port=$(free_port)
        redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
            --maxclients 3000 --protected-mode no </dev/null >"$out" 2>&1 &
        pid=$!
    else
        local dir=$before
        [ "$who" = after ] && dir=$after
        "$dir/sockchat-server" --bind 127.0.0.1 --port 0 --mode "$mode" --rate 0 --quiet \
            --max-clients 3000 --max-per-addr 0 </dev/null >"$out" 2>&1 &
        pid=$!
        port=$(port_from "$out" "$pid") || return 1
    fi
    wait_port "$port" "$pid"
}

# Rows: NAME WHO MODE DIALECT WORKLOAD CONNS
rows=(
    "threads-rr100 before threads plain rr 100"
    "threads-rr100 after threads plain rr 100"
    "redis-rr100 redis - resp rr 100"
    "threads-fan10 before threads framed fanout 10"
    "threads-fan10 after threads framed fanout 10"
    "redis-fan10 redis - resp fanout 10"
    "threads-fan100 before threads framed fanout 100"
    "threads-fan100 after threads framed fanout 100"
    "redis-fan100 redis - resp fanout 100"
    "pool-rr100 before pool plain rr 100"
    "pool-rr100 after pool plain rr 100"
    "pool-rr1000 before pool plain rr 1000"
    "pool-rr1000 after pool plain rr 1000"
    "redis-rr1000 redis - resp rr 1000"
)

declare -A R # R[name/who/k] = "rate p50 p90 p99"
for k in $(seq "$repeat"); do
    for row in "${rows[@]}"; do
        read -r name who mode dialect work conns <<<"$row"
        if ! start "$who" "$mode"; then
            echo "before-after.sh: $who $mode did not start (see $logs/server.out)" >&2
            stop
            continue
        fi
        log="$logs/$name.$who.$k.txt"
        "$BENCH" -p "$port" -D "$dialect" -c "$conns" -w 1 -d 5 -t 30 "$work" >"$log" 2>&1
        stop
        line=$(grep '^RESULT ' "$log" | tail -1)
        rate="" p50="" p90="" p99="" errors=""
        for kv in $line; do
            case "$kv" in
            rps=* | dps=*) rate=${kv#*=} ;;
            p50_us=*) p50=${kv#*=} ;;
            p90_us=*) p90=${kv#*=} ;;
            p99_us=*) p99=${kv#*=} ;;
            errors=*) errors=${kv#*=} ;;
            esac
        done
        [ "$errors" = 0 ] || echo "before-after.sh: $name $who round $k: errors=${errors:-?} (see $log)" >&2
        [ -n "$rate" ] && R[$name/$who/$k]="$rate $p50 $p90 $p99"
        printf '[round %d] %s %s: %s\n' "$k" "$name" "$who" "${R[$name/$who/$k]:-failed}" >&2
    done
done

# median NAME WHO: the median run by rate (of an even count, the slower of
# the middle two), as "rate p50 p90 p99 lo hi".
median() {
    local k v
    local -a runs=()
    for k in $(seq "$repeat"); do
        v=${R[$1/$2/$k]:-}
        [ -n "$v" ] && runs+=("$v")
    done
    [ ${#runs[@]} -gt 0 ] || return 0
    printf '%s\n' "${runs[@]}" | sort -n | awk '{ r[NR] = $0; lo = (NR == 1 || $1 < lo) ? $1 : lo;
        hi = (NR == 1 || $1 > hi) ? $1 : hi } END { print r[int((NR + 1) / 2)], lo, hi }'
}

echo "## before-after.sh: $before (before) vs $after (after), $repeat interleaved rounds"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; load before the report: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- each cell: the median run by rate, its p50 / p90 / p99 in us, the range of the rate over the runs, and the median's ratio to redis's median"
echo
echo "| workload | server | rate (median) | range | p50 / p90 / p99 (us) | vs redis |"
echo "|---|---|---:|---|---|---:|"
for name in threads-rr100 threads-fan10 threads-fan100 pool-rr100 pool-rr1000; do
    case "$name" in
    threads-rr100 | pool-rr100) ref=redis-rr100 ;;
    pool-rr1000) ref=redis-rr1000 ;;
    *) ref=redis-${name#threads-} ;;
    esac
    read -r rrate _ _ rp99 _ _ <<<"$(median "$ref" redis)"
    for who in before after; do
        m=$(median "$name" "$who")
        [ -n "$m" ] || { echo "| $name | $who | failed | | | |"; continue; }
        read -r rate p50 p90 p99 lo hi <<<"$m"
        ratio=$(awk -v a="$rate" -v b="${rrate:-0}" -v p="$p99" -v q="${rp99:-0}" \
            'BEGIN { if (b == 0) print "-"; else printf "%.2fx (p99 %.2fx)", a / b, p / q }')
        echo "| $name | $who | $rate | $lo-$hi | $p50 / $p90 / $p99 | $ratio |"
    done
    m=$(median "$ref" redis)
    if [ -n "$m" ]; then
        read -r rate p50 p90 p99 lo hi <<<"$m"
        echo "| $name | redis | $rate | $lo-$hi | $p50 / $p90 / $p99 | 1.00x |"
    fi
done
echo
echo "Bench outputs: $logs"
