#!/usr/bin/env bash
# client-bench.sh: how fast the curses client ingests a flood, and at what cost.
#
# Runs sockchat in tmux (200x50) against a private sockchat-server, pushes
# messages into the room from another connection (sockchat-bench push), and
# reports: messages/s ingested (from the first send until the last message is
# on the screen), the client's CPU time and RSS (now and peak, from /proc),
# and the time from the last send until it shows (capture-pane polled every
# 20 ms, with a deadline). A client that fell behind is disconnected by the
# server as "too slow": that is reported as a failure.
#
#   bench/client-bench.sh [--bin DIR] [--messages N] [--rate N] [--mode M]
#
# --rate: messages per second pushed (default 10000, the issue's target;
# 0 = as fast as the server acknowledges). --mode: the server's (pool).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin="$root/build/bin"
messages=100000
rate=10000
mode=pool
while [ $# -gt 0 ]; do
    case "$1" in
    --bin) bin=$2; shift ;;
    --messages) messages=$2; shift ;;
    --rate) rate=$2; shift ;;
    --mode) mode=$2; shift ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "client-bench.sh: unknown option: $1" >&2; exit 64 ;;
    esac
    shift
done
for f in sockchat sockchat-server sockchat-bench; do
    if [ ! -x "$bin/$f" ]; then
        echo "client-bench.sh: $bin/$f: not built" >&2
        exit 69
    fi
done
command -v tmux >/dev/null || { echo "client-bench.sh: tmux not installed" >&2; exit 69; }

work=$(mktemp -d /tmp/sockchat-client-bench.XXXXXX)
# TLS is on by default (issue 19): the key a server makes on first start is
# kept in this run's directory, not in the home directory.
unset STATE_DIRECTORY
export XDG_STATE_HOME="$work/state"
session="sockchat-bench-$$"
server_pid=""
client_pid=""
cleanup() {
    local rc=$?
    tmux kill-session -t "$session" 2>/dev/null
    # A client whose terminal vanished must not linger: end it by its PID.
    if [ -n "$client_pid" ] && kill -0 "$client_pid" 2>/dev/null; then
        sleep 0.2
        kill -TERM "$client_pid" 2>/dev/null
    fi
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    # Keep the logs of a failed run for a look.
    if [ $rc = 0 ]; then rm -rf "$work"; else echo "logs: $work" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
fail() { echo "client-bench.sh: $*" >&2; exit 1; }

# polls CMD until it succeeds or SECONDS pass; 1 on time-out.
poll() { # SECONDS CMD...
    local end=$(($(now_ms) + $1 * 1000))
    shift
    until "$@"; do
        [ "$(now_ms)" -lt $end ] || return 1
        sleep 0.02
    done
}

"$bin/sockchat-server" --bind 127.0.0.1 --port 0 --mode "$mode" --rate 0 --quiet \
    </dev/null >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
has_port() { grep -q '^listening on' "$work/server.out"; }
poll 10 has_port || fail "server did not start: $(cat "$work/server.err")"
port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\).*/\1/p' "$work/server.out" | head -1)

tmux new-session -d -s "$session" -x 200 -y 50 \
    "exec env TERM=screen-256color '$bin/sockchat' 127.0.0.1 $port --nick viewer"
client_pid=$(tmux display -p -t "$session" '#{pane_pid}')
screen() { tmux capture-pane -p -t "$session"; }
connected() { screen | grep -q 'connected to .* as viewer'; }
poll 10 connected || fail "client did not connect: $(screen)"

# /proc/PID/stat fields 14 and 15: user and system CPU in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$client_pid/stat"; }
status_kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$client_pid/status"; }
hz=$(getconf CLK_TCK)

cpu0=$(cpu_ticks)
rss0=$(status_kb VmRSS)
t0=$(now_ms)
"$bin/sockchat-bench" -p "$port" -m "$messages" -r "$rate" -W 256 -d 600 -t 30 push \
    >"$work/push.txt" 2>&1
push_rc=$?
result=$(grep '^RESULT ' "$work/push.txt")
val() { echo "$result" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
run=$(val run)
last=$(val last_seq)
last_sent=$(val last_sent_ms)
[ $push_rc = 0 ] && [ -n "$run" ] || fail "push failed: $(cat "$work/push.txt")"

# The last message on screen: the client shows "<time> viewer-or-nick: fan RUN SEQ".
on_screen() { screen | grep -q "fan $run $last\b"; }
if poll 30 on_screen; then
    t_seen=$(now_ms)
    shown=yes
else
    t_seen=$(now_ms)
    shown=no
fi
cpu1=$(cpu_ticks)
rss1=$(status_kb VmRSS)
hwm=$(status_kb VmHWM)
dropped=no
grep -q 'too slow' "$work/server.err" && dropped=yes

secs=$(awk -v a="$t_seen" -v b="$t0" 'BEGIN { printf "%.3f", (a - b) / 1000 }')
ingest=$(awk -v n="$messages" -v s="$secs" 'BEGIN { printf("%.0f", (s > 0) ? n / s : 0) }')
cpu=$(awk -v a="$cpu1" -v b="$cpu0" -v hz="$hz" 'BEGIN { printf "%.2f", (a - b) / hz }')
cpu_pct=$(awk -v c="$cpu" -v s="$secs" 'BEGIN { printf("%.0f", (s > 0) ? 100 * c / s : 0) }')
lag=$((t_seen - last_sent))

echo "## sockchat (curses client) under a flood"
echo
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
echo "- client in tmux 200x50, server --mode $mode --rate 0, pushed by sockchat-bench push at ${rate} msg/s (0 = flat out)"
echo
echo "| measure | value |"
echo "|---|---:|"
echo "| messages pushed | $messages |"
echo "| pushing took (s) | $(val send_s) |"
echo "| first send to last on screen (s) | $secs |"
echo "| messages/s ingested | $ingest |"
echo "| last sent to on screen (ms) | $lag |"
echo "| last message on screen | $shown |"
echo "| client CPU time (s) | $cpu ($cpu_pct% of one core) |"
echo "| client RSS before / after (KB) | $rss0 / $rss1 |"
echo "| client peak RSS (KB) | $hwm |"
echo "| dropped by the server as too slow | $dropped |"
echo
echo "RESULT workload=client messages=$messages rate=$rate seconds=$secs ingest_mps=$ingest lag_ms=$lag shown=$shown cpu_s=$cpu rss0_kb=$rss0 rss_kb=$rss1 hwm_kb=$hwm dropped=$dropped"
[ $shown = yes ] && [ $dropped = no ]
