#!/usr/bin/env bash
# compare.sh: sockchat-server against its peers, same load generator, one run.
#
# Starts each server on 127.0.0.1 on a free port (a fresh process for every
# workload, so each hold starts from the server's idle RSS), waits until the
# port is listening (read from /proc/net/tcp, no probe connection and no fixed
# sleep), runs sockchat-bench, stops the server by its PID, and prints
# Markdown: the machine, one table of absolute figures, and the targets of
# issue 5 and of issue 17 as ratios. Every bench output is kept in the log
# directory.
#
#   bench/compare.sh [--quick] [--bin DIR] [--logs DIR] [--nice N] [--repeat N]
#                    [--only PEERS] [--workloads LIST]
#   bench/compare.sh --cluster [--quick] [--bin DIR] [--logs DIR] [--nice N] [--repeat N]
#   bench/compare.sh --tls [--quick] [--bin DIR] [--logs DIR] [--nice N] [--repeat N]
#
# --cluster: instead of the peers below, sockchat-server through 1, 2 and 3
# cluster nodes on one redis-server against one server without Redis
# (issue 18): bench/cluster.sh, whose --help says what it runs.
# --tls: instead, threads, pool and redis-server each in clear text and over
# TLS, and the ratio (issue 19): bench/tls.sh, whose --help says what it runs.
#
# Peers: sockchat-server --mode single|threads|pool (--rate 0 --quiet), each
# spoken to in our framed dialect (columns single, threads, pool) and in the
# plain one (single/plain, threads/plain, pool/plain: rr sends "/ping TOKEN"
# lines, fanout says plain chat lines; single/plain runs rr only and is left
# out of --quick); the tutorial's thread-per-client Python server
# (tests/interop); redis-server (PING, PUBLISH/SUBSCRIBE); ncat --chat.
# A missing peer is skipped and said so.
# Workloads: rr with 10 and 100 clients, and 1,000 for threads, pool (both
# dialects) and redis (not in --quick); fanout to 10 and 100 receivers;
# fanbusy (below); hold (our servers in the framed dialect). Every rr and
# fanout row set has the rate, p50, p90 and p99 latency; rr also the least and
# most served connection as a share of the mean (1.00 / 1.00 is fair).
# --quick: short runs and small counts, a smoke test for CI (well under 60 s).
# Pool mode runs with --workers = cores - 1 (at least 1): the load generator
# runs on the same machine and needs a core of its own; on 2 cores, two pool
# workers plus the generator oversubscribe the CPUs and measure the scheduler.
# (redis, the reference, serves from one thread too.)
# --nice N: run servers and load generator at that niceness (root may give a
# negative one) so other work on a shared machine disturbs the figures less.
# --repeat N: every rr and fanout run N times (default 3; 1 with --quick), in
# rounds: round k runs every peer before round k+1 starts. The table shows
# each peer's median run by rate (of an even count, the slower of the middle
# two): the rate is the median, and the latencies and every other figure come
# from that same run; a "range" row gives the lowest and highest rate of the
# runs. On this kind of shared VM a run of a few seconds lands at one of two
# levels, for every server alike, so one run cannot tell 0.9x from 1.0x.
# Issue 5's targets are ratios of each peer's fastest run (what a server can
# do when nothing interferes, as that issue was judged); issue 17's are
# ratios of the median runs. hold runs once: memory does not jitter.
# A full run is about 35 runs of ~7 s per round: about 14 minutes with 3.
# --only PEERS: a comma list of the peers above (e.g. pool,pool/plain,redis).
# --workloads LIST: a comma list of rr10, rr100, rr1000, fan10, fan100,
# fanbusy, hold; "rr" and "fan" name every size. Targets whose runs were
# left out say "no data".
# Rooms (issue 16): threads and pool also run "fanbusy", the fan-out to BIG
# receivers in #main while 10 other rooms of 10 chat at 20 messages/s each
# (sockchat-bench --busy-rooms); it must lose nothing, leak nothing between
# rooms, and keep at least 0.9x the same run's fan-out alone.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin="$root/build/bin"
for a in "$@"; do
    [ "$a" = --cluster ] && exec "$here/cluster.sh" "$@"
    [ "$a" = --tls ] && exec "$here/tls.sh" "$@"
done
logs=""
quick=0
nice=0
repeat=""
only=""
only_work=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --bin) bin=$2; shift ;;
    --logs) logs=$2; shift ;;
    --nice) nice=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    --only) only=$2; shift ;;
    --workloads) only_work=$2; shift ;;
    -h | --help) sed -n '2,/^set -u$/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option: $1" >&2; exit 64 ;;
    esac
    shift
done

# Every peer, in table order: ours in both dialects, then the others.
ALL_PEERS="single single/plain threads threads/plain pool pool/plain python redis ncat"
ALL_WORK="rr rr10 rr100 rr1000 fan fan10 fan100 fanbusy hold"
listed() { # ITEM LIST: true when ITEM is in the comma list LIST
    case ",$2," in *",$1,"*) return 0 ;; esac
    return 1
}
# check_list OPTION LIST KNOWN: exits 64 naming the first item not known.
check_list() {
    local item
    for item in ${2//,/ }; do
        case " $3 " in
        *" $item "*) ;;
        *) echo "compare.sh: $1: unknown name: $item (one of: $3)" >&2; exit 64 ;;
        esac
    done
}
check_list --only "$only" "$ALL_PEERS"
check_list --workloads "$only_work" "$ALL_WORK"

BENCH="$bin/sockchat-bench"
SERVER="$bin/sockchat-server"
POOL_WORKERS=$(($(nproc) > 1 ? $(nproc) - 1 : 1))
PYSERVER="$root/tests/interop/server-multi-threaded.py"
for f in "$BENCH" "$SERVER"; do
    if [ ! -x "$f" ]; then
        echo "compare.sh: $f: not built (cmake --build build)" >&2
        exit 69
    fi
done
[ -n "$logs" ] || logs=$(mktemp -d /tmp/sockchat-compare.XXXXXX)
mkdir -p "$logs"
# TLS is on by default (issue 19): the key a server makes on first start is
# kept in this run's directory, not in the home directory.
unset STATE_DIRECTORY
export XDG_STATE_HOME="$logs/state"
# Each held connection is a descriptor here and one in the server.
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# HUGE: issue 17's rr target at 1,000 clients; its rows say "no data" in
# --quick, which does not run it.
HUGE=1000
if [ $quick = 1 ]; then
    WARM=0.2 DUR=1 SMALL=10 BIG=10 HOLD=200 NCHOLD=200 BUSY=(-B 2 -S 3 -R 20) HELD=1 SINGLE_T=1
    : "${repeat:=1}"
else
    WARM=1 DUR=5 SMALL=10 BIG=100 HOLD=10000 NCHOLD=1000 BUSY=(-B 10 -S 10 -R 20) HELD=2 SINGLE_T=2
    : "${repeat:=3}"
fi
case "$repeat" in
'' | *[!0-9]* | 0) echo "compare.sh: --repeat: a count of at least 1" >&2; exit 64 ;;
esac

declare -A R # R[peer/workload/key] = value, from the RESULT lines
server_pid=""

# Seconds since the script started, for the log; the load before we start
# says whether other work shared the machine.
t_start=$(date +%s.%N)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
note() { printf '[%6.1fs] %s\n' "$(awk -v a="$(date +%s.%N)" -v b="$t_start" 'BEGIN{print a-b}')" "$*" >&2; }

# free_port, listening, wait_port, port_from, stop_pid
# shellcheck source=bench/serverctl.sh
. "$here/serverctl.sh"

stop_server() {
    [ -n "$server_pid" ] || return 0
    stop_pid "$server_pid"
    server_pid=""
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

# A peer's name in file names: "threads/plain" -> "threads-plain".
file_of() { echo "${1//\//-}"; }

# start PEER: starts one server, sets server_pid and port; 1 on failure.
# X/plain is the same server as X: the dialect is the client's choice.
start() {
    local peer=$1 f
    f=$(file_of "$1")
    local out="$logs/$f.server.out" err="$logs/$f.server.err"
    port=""
    case "$peer" in
    single* | threads* | pool*)
        local extra=() mode=${peer%/plain}
        [ "$mode" = pool ] && extra=(--workers "$POOL_WORKERS")
        # --max-per-addr 0: every load connection comes from 127.0.0.1.
        nice -n "$nice" "$SERVER" --bind 127.0.0.1 --port 0 --mode "$mode" --rate 0 --quiet \
            --max-clients $((HOLD + 100)) --max-per-addr 0 "${extra[@]}" </dev/null >"$out" 2>"$err" &
        server_pid=$!
        port=$(port_from "$out" $server_pid) || return 1
        ;;
    python)
        # The tutorial prints every message: that is part of its cost.
        nice -n "$nice" python3 "$PYSERVER" 127.0.0.1 0 </dev/null >/dev/null 2>"$err" &
        server_pid=$!
        port=$(port_from "$err" $server_pid) || return 1
        ;;
    redis)
        port=$(free_port)
        nice -n "$nice" redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
            --maxclients $((HOLD + 100)) --protected-mode no </dev/null >"$out" 2>"$err" &
        server_pid=$!
        ;;
    ncat)
        # ncat uses select(): it cannot go past FD_SETSIZE (1024) descriptors.
        port=$(free_port)
        nice -n "$nice" ncat --chat --max-conns $((NCHOLD + 10)) -l 127.0.0.1 "$port" </dev/null \
            >"$out" 2>"$err" &
        server_pid=$!
        ;;
    esac
    wait_port "$port" $server_pid
}

# run PEER NAME DIALECT WORKLOAD [bench options...]: one fresh server, one run.
# An option "PID" is replaced by the server's PID (for hold's RSS). The
# RESULT line's figures go to R[PEER/NAME/*], the line itself to
# R[PEER/NAME/result].
run() {
    local peer=$1 name=$2 dialect=$3 work=$4 f
    shift 4
    f=$(file_of "$peer")
    if ! start "$peer"; then
        note "$peer: server did not start (see $logs/$f.server.err)"
        stop_server
        R[$peer/$name/rc]=no-start # a run that did not happen is not clean
        return
    fi
    local log="$logs/$f.$name.txt" args=() a
    for a in "$@"; do
        [ "$a" = PID ] && a=$server_pid
        args+=("$a")
    done
    note "$peer $name: sockchat-bench -p $port -D $dialect ${args[*]} $work"
    nice -n "$nice" "$BENCH" -p "$port" -D "$dialect" --label "$peer" "${args[@]}" "$work" >"$log" 2>&1
    local rc=$?
    stop_server
    local line kv
    line=$(grep '^RESULT ' "$log" | tail -1)
    R[$peer/$name/rc]=$rc
    R[$peer/$name/result]=$line
    for kv in $line; do
        case "$kv" in *=*) R[$peer/$name/${kv%%=*}]=${kv#*=} ;; esac
    done
}

rr_opts=(-w "$WARM" -d "$DUR")
sizes=$SMALL
[ $BIG != $SMALL ] && sizes="$SMALL $BIG"
rr_sizes=$sizes # with 1,000 clients too, for the peers of issue 17's targets
[ $quick = 0 ] && rr_sizes="$sizes $HUGE"
have() { command -v "$1" >/dev/null 2>&1; }

# Which peers take part, in table order; a missing one is said once.
peers=()
for p in $ALL_PEERS; do
    if [ -n "$only" ]; then
        listed "$p" "$only" || continue
    elif [ $quick = 1 ] && [ "$p" = single/plain ]; then
        continue # the smoke test is for threads and pool
    fi
    case "$p" in
    python)
        if [ ! -f "$PYSERVER" ] || ! have python3; then
            note "python: $PYSERVER or python3 missing, skipped"
            continue
        fi
        ;;
    redis)
        have redis-server || { note "redis-server missing (apt-get install redis-server), skipped"; continue; }
        ;;
    ncat)
        have ncat || { note "ncat missing (apt-get install ncat), skipped"; continue; }
        ;;
    esac
    peers+=("$p")
done

# workloads PEER: the runs PEER takes part in, in table order. single serves
# one client at a time: it has no room to fan out to.
workloads() {
    local n
    case "$1" in
    single | single/plain) for n in $sizes; do echo "rr$n"; done ;;
    threads | pool | threads/plain | pool/plain | redis)
        for n in $rr_sizes; do echo "rr$n"; done
        for n in $sizes; do echo "fan$n"; done
        case "$1" in
        threads | pool) printf '%s\n' fanbusy hold ;;
        redis) echo hold ;;
        esac
        ;;
    python)
        for n in $sizes; do echo "rr$n"; done
        echo hold
        ;;
    ncat)
        for n in $sizes; do echo "fan$n"; done
        echo hold
        ;;
    esac
}

# wanted NAME: true when --workloads names NAME or its kind (rr10: rr).
wanted() {
    [ -z "$only_work" ] || listed "$1" "$only_work" || listed "${1%%[0-9]*}" "$only_work"
}

# measure PEER NAME [K]: workload NAME against PEER, as repetition K (none
# for hold, which runs once).
measure() {
    local p=$1 name=$2 k=${3:-} dialect
    case "$p" in
    */plain) dialect=plain ;;
    single | threads | pool) dialect=framed ;;
    python) dialect=raw ;;
    redis) dialect=resp ;;
    ncat) dialect=ncat ;;
    esac
    local label=$name${k:+.$k}
    case "$name" in
    rr*)
        case "$p" in
        # single serves one client at a time: the others wait in the backlog
        # until the ready deadline, and the table shows how many were served.
        single*) run "$p" "$label" $dialect rr -c "${name#rr}" -t $SINGLE_T "${rr_opts[@]}" ;;
        # listen(5) in the tutorial: at most 4 connects in flight.
        python) run "$p" "$label" $dialect rr -c "${name#rr}" -W 4 "${rr_opts[@]}" ;;
        *) run "$p" "$label" $dialect rr -c "${name#rr}" -t 10 "${rr_opts[@]}" ;;
        esac
        ;;
    # Rooms: the same fan-out in #main while other rooms chat (issue 16).
    fanbusy) run "$p" "$label" $dialect fanout -c "$BIG" "${BUSY[@]}" "${rr_opts[@]}" ;;
    fan*)
        # ncat's listen backlog is small: at most 8 connects in flight.
        if [ "$p" = ncat ]; then
            run "$p" "$label" $dialect fanout -c "${name#fan}" -W 8 "${rr_opts[@]}"
        else
            run "$p" "$label" $dialect fanout -c "${name#fan}" "${rr_opts[@]}"
        fi
        ;;
    hold)
        case "$p" in
        python) run "$p" hold $dialect hold -c $HOLD -d $HELD -W 4 -t 120 -P PID ;;
        ncat) run "$p" hold $dialect hold -c $NCHOLD -d $HELD -W 8 -t 60 -P PID ;;
        *) run "$p" hold $dialect hold -c $HOLD -d $HELD -W 64 -t 120 -P PID ;;
        esac
        ;;
    esac
}

for k in $(seq "$repeat"); do
    for p in "${peers[@]}"; do
        for w in $(workloads "$p"); do
            [ "$w" != hold ] && wanted "$w" && measure "$p" "$w" "$k"
        done
    done
done

# Held connections last: 10,000 threads leave the machine busy for a while.
if wanted hold; then
    for p in "${peers[@]}"; do
        workloads "$p" | grep -qx hold && measure "$p" hold
    done
fi

# copy PEER NAME K TO: the figures of run K of NAME into R[PEER/TO/*].
copy() {
    local kv
    for kv in ${R[$1/$2.$3/result]:-}; do
        case "$kv" in *=*) R[$1/$4/${kv%%=*}]=${kv#*=} ;; esac
    done
}

# summarize PEER NAME KEY: over the repetitions of NAME, the median run by
# KEY (of an even count, the slower of the middle two) goes into
# R[PEER/NAME/*], all its figures: rate and latencies come from the same run.
# The fastest goes into R[PEER/NAME.max/*] (issue 5's targets), and "lowest
# highest runs" of KEY into R[PEER/NAME/range].
summarize() {
    local p=$1 name=$2 key=$3 k v bad=0 check
    local -a runs=() sorted=()
    # A run that was not clean makes the whole row unclean.
    for k in $(seq "$repeat"); do
        v=${R[$p/$name.$k/rc]:-}
        [ -n "$v" ] || continue
        [ "${R[$p/$name/rc]:-0}" = 0 ] && R[$p/$name/rc]=$v
        [ "$v" = 0 ] || bad=$((bad + 1))
        v=${R[$p/$name.$k/$key]:-}
        [ -n "$v" ] && runs+=("$v $k")
    done
    R[$p/$name/unclean]=$bad
    [ ${#runs[@]} -gt 0 ] || return 0
    mapfile -t sorted < <(printf '%s\n' "${runs[@]}" | sort -n)
    v=${sorted[(${#sorted[@]} - 1) / 2]}
    copy "$p" "$name" "${v#* }" "$name"
    v=${sorted[-1]}
    copy "$p" "$name" "${v#* }" "$name.max"
    R[$p/$name/range]="${sorted[0]% *} ${v% *} ${#sorted[@]}"
    # Exactly-once, in order, is judged on every run, not on the median one.
    for check in in_order busy_complete; do
        bad=0
        for k in $(seq "$repeat"); do
            v=${R[$p/$name.$k/$check]:-}
            [ -n "$v" ] && [ "$v" != yes ] && bad=$((bad + 1))
        done
        [ $bad = 0 ] || R[$p/$name/$check]="no in $bad of $repeat runs"
    done
    return 0
}
for p in "${peers[@]}"; do
    for w in $(workloads "$p"); do
        case "$w" in
        rr*) summarize "$p" "$w" rps ;;
        fan*) summarize "$p" "$w" dps ;;
        esac
    done
done
# shellcheck disable=SC2317 # used by the functions trow calls by name
get() { echo "${R[$1]:-}"; }

# ---- report ---------------------------------------------------------------

# num VALUE: sets num_out to VALUE with thousands separators, "-" when
# empty. Pure shell, no subshell: the table has hundreds of cells.
num() {
    local s o=""
    [ -n "$1" ] || { num_out="-"; return; }
    printf -v s '%.0f' "$1"
    while [ ${#s} -gt 3 ]; do
        o=",${s: -3}$o"
        s=${s:0:${#s}-3}
    done
    num_out=$s$o
}

# cell PEER NAME KEY: sets cell_out to one cell: the figure, with a note
# when the run was not clean.
cell() {
    local k="$1/$2" v rc ready conns note=""
    v=${R[$k/$3]:-}
    rc=${R[$k/rc]:-}
    [ -n "$rc" ] || { cell_out="n/a"; return; }
    # The fairness pair: least and most served connection over the mean.
    [ "$3" = conn_share ] && [ -n "${R[$k/conn_min]:-}" ] && v="${R[$k/conn_min]} / ${R[$k/conn_max]:-}"
    [ -n "$v" ] || { cell_out="failed"; return; }
    ready=${R[$k/ready]:-}
    conns=${R[$k/conns]:-${R[$k/receivers]:-}}
    case "$3" in
    kb_per_conn | connect_s) printf -v v '%.1f' "$v" ;;
    in_order | busy_complete | conn_share) ;;
    *) num "$v" && v=$num_out ;;
    esac
    if [ -n "$ready" ] && [ -n "$conns" ] && [ "$ready" != "$conns" ]; then
        note=" ($ready of $conns served)"
    elif [ "${R[$k/unclean]:-0}" != 0 ]; then
        note=" (not clean in ${R[$k/unclean]} of $repeat runs)"
    elif [ "$rc" != 0 ]; then
        note=" (errors: ${R[$k/errors]:-})"
    fi
    cell_out=$v$note
}

ratio() { # A B: A/B with two decimals, "-" if either is missing
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-";
        else printf "%.2f", a / b }'
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "## sockchat-server against its peers"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) cores, ${cpu:-unknown CPU}, Linux $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
echo "- load average (1, 5, 15 min) before: $load_start; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- load generator: sockchat-bench on the same machine, one thread; warm-up ${WARM} s, measured ${DUR} s; niceness $nice"
echo "- single, threads, pool: our framed dialect; single/plain, threads/plain, pool/plain: the same servers in the plain dialect (a \`/ping TOKEN\` line per request, plain chat lines)"
[ "$repeat" -gt 1 ] &&
    echo "- rr and fanout: each run $repeat times, in rounds (round k ran every peer before round k+1); each cell is the median run by rate (of an even count, the slower of the middle two): the rate, its latencies and the other figures all come from that one run; the range row is the lowest and highest rate of the runs"
echo "- pool mode: --workers $POOL_WORKERS (cores - 1, the default: the load generator has a core of its own)"
[ $quick = 1 ] && echo "- **--quick run: short and small, for a smoke test only**"
[ -n "$only$only_work" ] && echo "- only: peers ${only:-all}; workloads ${only_work:-all}"
echo
printf '| workload | measure |'
for p in "${peers[@]}"; do printf ' %s |' "$p"; done
echo
printf '|---|---|'
for p in "${peers[@]}"; do printf -- '---:|'; done
echo
# row NAME LABEL MEASURE KEY: a row, unless no peer ran NAME.
row() {
    local p out ran=0
    out="| $2 | $3 |"
    for p in "${peers[@]}"; do
        [ -n "${R[$p/$1/rc]:-}" ] && ran=1
        cell "$p" "$1" "$4"
        out="$out $cell_out |"
    done
    [ $ran = 0 ] || echo "$out"
}
# The range of the rate over the repetitions: "min-max" in thousands, and
# how many runs had a figure when some had none.
spread() { # PEER NAME
    local v lo hi n
    v=${R[$1/$2/range]:-}
    [ -n "$v" ] || { echo "n/a"; return; }
    read -r lo hi n <<<"$v"
    lo=${lo%.*} hi=${hi%.*}
    v="$(((lo + 500) / 1000))k-$(((hi + 500) / 1000))k"
    [ "$n" = "$repeat" ] || v="$v ($n of $repeat runs)"
    echo "$v"
}
srow() { # NAME LABEL MEASURE
    [ "$repeat" -gt 1 ] || return 0
    local p out ran=0
    out="| $2 | $3 |"
    for p in "${peers[@]}"; do
        [ -n "${R[$p/$1/range]:-}" ] && ran=1
        out="$out $(spread "$p" "$1") |"
    done
    [ $ran = 0 ] || echo "$out"
}
latency_rows() { # NAME LABEL
    row "$1" "$2" "p50 latency (us)" p50_us
    row "$1" "$2" "p90 latency (us)" p90_us
    row "$1" "$2" "p99 latency (us)" p99_us
}
for n in $rr_sizes; do
    row "rr$n" "rr $n clients" "replies/s" rps
    srow "rr$n" "rr $n clients" "range of $repeat runs"
    latency_rows "rr$n" "rr $n clients"
    row "rr$n" "rr $n clients" "least / most served connection, over the mean" conn_share
done
for n in $sizes; do
    row "fan$n" "fanout $n receivers" "deliveries/s" dps
    srow "fan$n" "fanout $n receivers" "range of $repeat runs"
    latency_rows "fan$n" "fanout $n receivers"
    row "fan$n" "fanout $n receivers" "exactly once, in order" in_order
done
busy="fanout $BIG receivers, ${BUSY[1]} other rooms busy"
row fanbusy "$busy" "deliveries/s" dps
srow fanbusy "$busy" "range of $repeat runs"
latency_rows fanbusy "$busy"
row fanbusy "$busy" "busy rooms' deliveries" busy_deliveries
row fanbusy "$busy" "every room's messages once, in order, only there" busy_complete
row hold "hold $HOLD (ncat $NCHOLD)" "still answering" answered
row hold "hold $HOLD (ncat $NCHOLD)" "server KB per connection" kb_per_conn
row hold "hold $HOLD (ncat $NCHOLD)" "server threads" threads
row hold "hold $HOLD (ncat $NCHOLD)" "seconds to connect all" connect_s
echo
echo "Bench outputs: $logs"
echo

# Targets of issue 5, for threads and pool (framed), on the fastest runs.
verdict() { # VALUE OP LIMIT
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "-" || v == "") { print "no data"; exit }
        ok = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0); print ok ? "met" : "**missed**" }'
}
echo "### Targets (issue 5), as ratios of the fastest runs of this run"
echo
echo "| target | needed | threads | pool |"
echo "|---|---|---|---|"
trow() { # LABEL OP LIMIT then a function computing the value for a mode
    local label=$1 op=$2 lim=$3 f=$4 m v out
    out="| $label | $op $lim |"
    for m in threads pool; do
        v=$($f $m)
        out="$out $v ($(verdict "$v" "$op" "$lim")) |"
    done
    echo "$out"
}
for n in $sizes; do
    eval "rr_redis_$n() { ratio \"\$(get \$1/rr$n.max/rps)\" \"\$(get redis/rr$n.max/rps)\"; }"
    eval "rr_py_$n() { ratio \"\$(get \$1/rr$n.max/rps)\" \"\$(get python/rr$n.max/rps)\"; }"
    eval "fan_redis_$n() { ratio \"\$(get \$1/fan$n.max/dps)\" \"\$(get redis/fan$n.max/dps)\"; }"
done
# shellcheck disable=SC2317 # called by name through trow
p99_redis() { ratio "$(get "$1/rr$BIG.max/p99_us")" "$(get "redis/rr$BIG.max/p99_us")"; }
# shellcheck disable=SC2317 # called by name through trow
fan_ncat() { ratio "$(get "$1/fan$SMALL.max/dps")" "$(get "ncat/fan$SMALL.max/dps")"; }
# shellcheck disable=SC2317 # called by name through trow
hold_kb() { local v; v=$(get "$1/hold/kb_per_conn"); echo "${v:--}"; }
# shellcheck disable=SC2317 # called by name through trow
hold_missing() {
    local a c
    a=$(get "$1/hold/answered")
    c=$(get "$1/hold/conns")
    [ -n "$a" ] && [ -n "$c" ] && echo $((c - a)) || echo -
}
# shellcheck disable=SC2317 # called by name through trow
in_order() {
    local n bad=0 ran=0
    for n in $sizes; do
        [ -n "$(get "$1/fan$n/rc")" ] || continue # not run (--only, --workloads)
        ran=1
        [ "$(get "$1/fan$n/in_order")" = yes ] || bad=$((bad + 1))
    done
    [ "$ran" = 1 ] && echo "$bad" || echo -
}
trow "rr $SMALL: replies/s vs redis PING" ">=" 0.9 rr_redis_$SMALL
[ $BIG != $SMALL ] && trow "rr $BIG: replies/s vs redis PING" ">=" 0.9 rr_redis_$BIG
trow "rr $SMALL: replies/s vs Python threaded" ">=" 5 rr_py_$SMALL
[ $BIG != $SMALL ] && trow "rr $BIG: replies/s vs Python threaded" ">=" 5 rr_py_$BIG
trow "rr $BIG: p99 vs redis p99" "<=" 1 p99_redis
trow "fanout $SMALL: deliveries/s vs redis pub/sub" ">=" 1 fan_redis_$SMALL
[ $BIG != $SMALL ] && trow "fanout $BIG: deliveries/s vs redis pub/sub" ">=" 1 fan_redis_$BIG
trow "fanout $SMALL: deliveries/s vs ncat --chat" ">=" 2 fan_ncat
# shellcheck disable=SC2317 # called by name through trow
fan_busy() { ratio "$(get "$1/fanbusy.max/dps")" "$(get "$1/fan$BIG.max/dps")"; }
trow "fanout $BIG in one room, ${BUSY[1]} others busy: vs alone" ">=" 0.9 fan_busy
trow "hold $HOLD: server KB per connection" "<=" 12 hold_kb
trow "hold $HOLD: connections not answering" "<=" 0 hold_missing
trow "fanout runs not exactly-once in order" "<=" 0 in_order
echo

# Targets of issue 17, our server in both dialects against redis, on the
# median runs: the fastest run flatters a server whose runs swing.
echo "### Targets (issue 17), as ratios of the median runs of this run"
echo
echo "| target | needed | framed | plain |"
echo "|---|---|---|---|"
vs_redis() { # PEER NAME KEY: PEER's median figure over redis's
    ratio "${R[$1/$2/$3]:-}" "${R[redis/$2/$3]:-}"
}
t17row() { # LABEL OP LIMIT MODE NAME KEY
    local out v p
    out="| $4, $1 | $2 $3 |"
    for p in "$4" "$4/plain"; do
        v=$(vs_redis "$p" "$5" "$6")
        out="$out $v ($(verdict "$v" "$2" "$3")) |"
    done
    echo "$out"
}
t17row "rr $BIG: p99 vs redis p99" "<=" 1.2 pool rr$BIG p99_us
t17row "rr $HUGE: p99 vs redis p99" "<=" 1.2 pool rr$HUGE p99_us
t17row "rr $HUGE: replies/s vs redis PING" ">=" 0.95 pool rr$HUGE rps
t17row "fanout $SMALL: deliveries/s vs redis pub/sub" ">=" 0.7 threads fan$SMALL dps
[ $BIG != $SMALL ] && t17row "fanout $BIG: deliveries/s vs redis pub/sub" ">=" 0.7 threads fan$BIG dps
t17row "rr $BIG: replies/s vs redis PING" ">=" 0.8 threads rr$BIG rps
[ $quick = 1 ] && echo && echo "(rr $HUGE does not run in --quick: no data.)"

# Exit status: 0 when every run against threads and pool, in either dialect,
# was clean (all connections served, no protocol error, exactly-once
# delivery). Targets are performance and are judged above, not here: a
# shared CI machine is noisy.
status=0
for m in "${peers[@]}"; do
    case "$m" in threads* | pool*) ;; *) continue ;; esac
    for name in $(workloads "$m"); do
        wanted "$name" || continue
        if [ "${R[$m/$name/rc]:-}" != 0 ]; then
            note "$m $name: not clean (exit ${R[$m/$name/rc]:-none}, see $logs/$(file_of "$m").$name*.txt)"
            status=1
        fi
    done
done
exit $status
