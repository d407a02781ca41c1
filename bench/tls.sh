#!/usr/bin/env bash
# tls.sh: what TLS costs (issue 19), sockchat-server and redis-server each
# measured in clear text and over TLS; run by `bench/compare.sh --tls` (same
# options), or by itself.
#
#   bench/tls.sh [--quick] [--bin DIR] [--logs DIR] [--nice N] [--repeat N]
#
# Peers: sockchat-server --mode threads and --mode pool (pool with --workers
# = cores - 1, as in compare.sh), started with a throwaway self-signed
# ECDSA P-256 certificate (--tls-cert/--tls-key, made with the openssl CLI in
# the log directory) and a throwaway XDG_STATE_HOME; the clear-text column
# talks to the very same server (it takes both on one port), so the
# difference is TLS and nothing else. redis-server with --port and --tls-port
# on the same certificate (Debian's build links libssl; --tls-auth-clients
# no). Each run starts a fresh server.
# Workloads (sockchat-bench, with and without --tls; no resumption, so each
# connection pays a full handshake):
#   rr1      one client, one ping in flight: the latency TLS adds to a
#            request/reply (two records, an AEAD seal and open each way)
#   rrN      N closed loops of ping -> pong
#   fanN     one sender, N receivers in lock step: every delivery encrypted
#            for its receiver (N seals per message on the server)
#   hold     H idle connections: server KB per connection and the time to
#            connect them all (H full handshakes); our servers only
#   redis-benchmark PING (-c 10, --tls --insecure against the TLS port)
# Figures: each cell the median run by rate; the ratio table is TLS / clear.
# --quick: short and small, a smoke test (about 40 s). --repeat N: every run
# N times (default 3, 1 with --quick).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# free_port, listening, wait_port, port_from, stop_pid, sub_options
# shellcheck source=bench/serverctl.sh
. "$here/serverctl.sh"
sub_options tls.sh --tls "$@"
command -v openssl >/dev/null || {
    echo "tls.sh: openssl missing (scripts/deps.sh bench installs it)" >&2
    exit 69
}
[ -n "$logs" ] || logs=$(mktemp -d /tmp/sockchat-tls.XXXXXX)
mkdir -p "$logs"
ulimit -n "$(ulimit -Hn)" 2>/dev/null

if [ $quick = 1 ]; then
    WARM=0.2 DUR=1 SIZES="1 10" FANS="10" HOLD=200 PINGS=20000
    : "${repeat:=1}"
else
    WARM=1 DUR=5 SIZES="1 10 100" FANS="10 100" HOLD=2000 PINGS=200000
    : "${repeat:=3}"
fi
case "$repeat" in
'' | *[!0-9]* | 0) echo "tls.sh: --repeat: a count of at least 1" >&2; exit 64 ;;
esac
CORES=$(nproc)
POOL_WORKERS=$((CORES > 1 ? CORES - 1 : 1))
MODES="threads pool"
have_redis=0
command -v redis-server >/dev/null && have_redis=1
PEERS=$MODES
[ $have_redis = 1 ] && PEERS="$PEERS redis"


t_start=$(date +%s.%N)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
note() { printf '[%6.1fs] %s\n' "$(awk -v a="$(date +%s.%N)" -v b="$t_start" 'BEGIN{print a-b}')" "$*" >&2; }
[ $have_redis = 1 ] || note "redis-server missing (scripts/deps.sh bench), its columns skipped"

# The throwaway identity every server here uses; the servers' own state
# (a generated key, should one be made) stays in the log directory too.
CERT="$logs/cert.pem" KEY="$logs/key.pem"
unset STATE_DIRECTORY
export XDG_STATE_HOME="$logs/state"
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$KEY" -out "$CERT" >"$logs/openssl.log" 2>&1; then
    echo "tls.sh: openssl req failed: $(tail -1 "$logs/openssl.log")" >&2
    exit 70
fi

server_pid="" port="" tls_port=""
stop_server() {
    [ -n "$server_pid" ] || return 0
    stop_pid "$server_pid"
    server_pid=""
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

# start PEER TAG: one fresh server; sets server_pid, port (clear text) and
# tls_port (the same for ours); 1 on failure.
start() {
    local peer=$1 out="$logs/$2.server.out" err="$logs/$2.server.err" extra=()
    port="" tls_port=""
    case "$peer" in
    redis)
        port=$(free_port)
        tls_port=$(free_port)
        nice -n "$nice" redis-server --bind 127.0.0.1 --port "$port" --tls-port "$tls_port" \
            --tls-cert-file "$CERT" --tls-key-file "$KEY" --tls-ca-cert-file "$CERT" \
            --tls-auth-clients no --save '' --appendonly no --protected-mode no \
            --maxclients $((HOLD + 100)) </dev/null >"$out" 2>"$err" &
        server_pid=$!
        wait_port "$port" "$server_pid" && wait_port "$tls_port" "$server_pid"
        return
        ;;
    pool) extra=(--workers "$POOL_WORKERS") ;;
    esac
    nice -n "$nice" "$SERVER" --bind 127.0.0.1 --port 0 --mode "$peer" --rate 0 --quiet \
        --max-clients $((HOLD + 100)) --max-per-addr 0 --tls-cert "$CERT" --tls-key "$KEY" \
        "${extra[@]}" </dev/null >"$out" 2>"$err" &
    server_pid=$!
    port=$(port_from "$out" "$server_pid") || return 1
    tls_port=$port
    wait_port "$port" "$server_pid"
}

declare -A R # R[peer/column/run/key] = value; column: clear or tls

# run PEER COL NAME WORKLOAD [bench options]: one fresh server, one run. An
# option "PID" is replaced by the server's PID (for hold's RSS).
run() {
    local peer=$1 col=$2 name=$3 work=$4 tag dialect=framed tls=() p a args=() line kv rc
    shift 4
    tag="$peer.$col.$name"
    if ! start "$peer" "$tag"; then
        note "$peer: did not start (see $logs/$tag.server.err)"
        stop_server
        R[$peer/$col/$name/rc]=no-start
        return
    fi
    p=$port
    [ "$col" = tls ] && p=$tls_port tls=(--tls)
    [ "$peer" = redis ] && dialect=resp
    for a in "$@"; do
        [ "$a" = PID ] && a=$server_pid
        args+=("$a")
    done
    note "$peer $col $name: sockchat-bench -p $p -D $dialect ${tls[*]} ${args[*]} $work"
    nice -n "$nice" "$BENCH" -p "$p" -D "$dialect" "${tls[@]}" --label "$peer/$col" \
        "${args[@]}" "$work" >"$logs/$tag.txt" 2>&1
    rc=$?
    stop_server
    line=$(grep '^RESULT ' "$logs/$tag.txt" | tail -1)
    R[$peer/$col/$name/rc]=$rc
    for kv in $line; do
        case "$kv" in *=*) R[$peer/$col/$name/${kv%%=*}]=${kv#*=} ;; esac
    done
}

# redis_bench COL NAME: redis-benchmark PING_MBULK against a fresh
# redis-server, its requests/s into R[redis/COL/NAME/rps].
redis_bench() {
    local col=$1 name=$2 tag="redis.$1.$2" p tls=() v
    if ! start redis "$tag"; then
        R[redis/$col/$name/rc]=no-start
        stop_server
        return
    fi
    p=$port
    [ "$col" = tls ] && p=$tls_port tls=(--tls --insecure)
    note "redis $col $name: redis-benchmark -p $p ${tls[*]} -c 10 -n $PINGS -t ping"
    nice -n "$nice" redis-benchmark -h 127.0.0.1 -p "$p" "${tls[@]}" -c 10 -n "$PINGS" \
        -t ping_mbulk --csv >"$logs/$tag.txt" 2>&1
    R[redis/$col/$name/rc]=$?
    stop_server
    v=$(awk -F'"' '/PING_MBULK/ { print $4 }' "$logs/$tag.txt")
    [ -n "$v" ] && R[redis/$col/$name/rps]=$v
    [ -n "$v" ] || R[redis/$col/$name/rc]=no-figure
}

for k in $(seq "$repeat"); do
    for p in $PEERS; do
        for col in clear tls; do
            for n in $SIZES; do
                run "$p" $col "rr$n.$k" rr -c "$n" -t 10 -w "$WARM" -d "$DUR"
            done
            for n in $FANS; do
                run "$p" $col "fan$n.$k" fanout -c "$n" -w "$WARM" -d "$DUR"
            done
            [ "$p" = redis ] && redis_bench $col "rb.$k"
        done
    done
done
# Held connections once: memory does not jitter.
for p in $MODES; do
    for col in clear tls; do
        run "$p" $col hold hold -c "$HOLD" -d 1 -W 64 -t 120 -P PID
    done
done

# median PEER COL NAME KEY: the median run of NAME by KEY into R[PEER/COL/NAME/*].
median() {
    local p=$1 c=$2 name=$3 key=$4 k v bad=0 kv
    local -a runs=()
    for k in $(seq "$repeat"); do
        v=${R[$p/$c/$name.$k/rc]:-}
        [ -n "$v" ] || continue
        [ "$v" = 0 ] || bad=$((bad + 1))
        v=${R[$p/$c/$name.$k/$key]:-}
        [ -n "$v" ] && runs+=("$v $k")
    done
    R[$p/$c/$name/unclean]=$bad
    [ ${#runs[@]} -gt 0 ] || return 0
    v=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(((${#runs[@]} + 1) / 2))p")
    for kv in "${!R[@]}"; do
        case "$kv" in "$p/$c/$name.${v#* }/"*) R[$p/$c/$name/${kv##*/}]=${R[$kv]} ;; esac
    done
}
for p in $PEERS; do
    for c in clear tls; do
        for n in $SIZES; do median "$p" $c "rr$n" rps; done
        for n in $FANS; do median "$p" $c "fan$n" dps; done
        [ "$p" = redis ] && median redis $c rb rps
    done
done
for p in $MODES; do
    for c in clear tls; do R[$p/$c/hold/unclean]=$([ "${R[$p/$c/hold/rc]:-}" = 0 ] && echo 0 || echo 1); done
done

cell() { # PEER COL NAME KEY: the median run's figure, or why there is none
    local v=${R[$1/$2/$3/$4]:-} bad=${R[$1/$2/$3/unclean]:-}
    if [ -z "$bad" ]; then
        echo "n/a"
    elif [ "$bad" != 0 ]; then
        echo "${v:-failed} (not clean)"
    else
        echo "${v:--}"
    fi
}
row() { # NAME LABEL MEASURE KEY
    local p c out="| $2 | $3 |"
    for p in $PEERS; do
        for c in clear tls; do out="$out $(cell "$p" $c "$1" "$4") |"; done
    done
    echo "$out"
}
ratio() { # A B: A/B with two decimals, "-" if either is missing
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-";
        else printf "%.2f", a / b }'
}
rrow() { # NAME LABEL MEASURE KEY: TLS over clear for each peer
    local p out="| $2 | $3 |"
    for p in $PEERS; do
        out="$out $(ratio "${R[$p/tls/$1/$4]:-}" "${R[$p/clear/$1/$4]:-}") |"
    done
    echo "$out"
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "## sockchat-server and redis-server, clear text and TLS (issue 19)"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $CORES cores, ${cpu:-unknown CPU}, Linux $(uname -r); $(openssl version)"
echo "- load average (1, 5, 15 min) before: $load_start; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- certificate: self-signed ECDSA P-256; clients do not verify and do not resume: every connection a full handshake"
echo "- warm-up ${WARM} s, measured ${DUR} s; $repeat run(s) each, the median by rate shown; pool --workers $POOL_WORKERS"
[ $quick = 1 ] && echo "- **--quick run: short and small, for a smoke test only**"
echo
printf '| workload | measure |'
for p in $PEERS; do printf ' %s | %s TLS |' "$p" "$p"; done
echo
printf '|---|---|'
for p in $PEERS; do printf -- '---:|---:|'; done
echo
for n in $SIZES; do
    row "rr$n" "rr $n client(s)" "replies/s" rps
    row "rr$n" "rr $n client(s)" "p50 latency (us)" p50_us
    row "rr$n" "rr $n client(s)" "p99 latency (us)" p99_us
done
for n in $FANS; do
    row "fan$n" "fanout $n receivers" "deliveries/s" dps
    row "fan$n" "fanout $n receivers" "p50 latency (us)" p50_us
    row "fan$n" "fanout $n receivers" "p99 latency (us)" p99_us
    row "fan$n" "fanout $n receivers" "exactly once, in order" in_order
done
row hold "hold $HOLD" "server KB per connection" kb_per_conn
row hold "hold $HOLD" "seconds to connect all" connect_s
row hold "hold $HOLD" "still answering" answered
[ $have_redis = 1 ] && row rb "redis-benchmark PING, 10 clients" "requests/s" rps
echo
echo "### TLS / clear text"
echo
printf '| workload | measure |'
for p in $PEERS; do printf ' %s |' "$p"; done
echo
printf '|---|---|'
for p in $PEERS; do printf -- '---:|'; done
echo
for n in $SIZES; do
    rrow "rr$n" "rr $n client(s)" "replies/s" rps
    rrow "rr$n" "rr $n client(s)" "p50 latency" p50_us
done
for n in $FANS; do rrow "fan$n" "fanout $n receivers" "deliveries/s" dps; done
rrow hold "hold $HOLD" "server KB per connection" kb_per_conn
rrow hold "hold $HOLD" "seconds to connect all" connect_s
[ $have_redis = 1 ] && rrow rb "redis-benchmark PING" "requests/s" rps
echo
echo "Bench outputs and server logs: $logs"

# Exit status: 0 when every run against our servers was clean (all
# connections served, no protocol error, exactly-once delivery), over TLS
# and in clear text. Speed is judged by people, not here.
status=0
for p in $MODES; do
    for c in clear tls; do
        for name in $(for n in $SIZES; do echo "rr$n"; done) $(for n in $FANS; do echo "fan$n"; done); do
            for k in $(seq "$repeat"); do
                if [ "${R[$p/$c/$name.$k/rc]:-}" != 0 ]; then
                    note "$p $c $name run $k: not clean (exit ${R[$p/$c/$name.$k/rc]:-none}, see $logs/$p.$c.$name.$k.*)"
                    status=1
                fi
            done
        done
        if [ "${R[$p/$c/hold/rc]:-}" != 0 ]; then
            note "$p $c hold: not clean (exit ${R[$p/$c/hold/rc]:-none}, see $logs/$p.$c.hold.*)"
            status=1
        fi
    done
done
exit $status
