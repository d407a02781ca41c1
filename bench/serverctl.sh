# shellcheck shell=bash
# serverctl.sh: starting and stopping the servers a benchmark measures, for
# bench/compare.sh, before-after.sh, cluster.sh and tls.sh (sourced, not
# run); and the options the last two share. No probe
# connection and no fixed sleep: a port counts as ready once the kernel
# lists it as listening.

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# True once something listens on 127.0.0.1:$1 (state 0A in /proc/net/tcp).
listening() {
    local hex
    hex=$(printf '%04X' "$1")
    grep -q "^ *[0-9]*: 0100007F:$hex 00000000:0000 0A" /proc/net/tcp
}

wait_port() { # PORT PID: polls for up to 10 s, 1 when PID died first
    local _
    for _ in $(seq 200); do
        listening "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# Reads "listening on ADDR:PORT" from a file a server is writing.
port_from() { # FILE PID
    local _ p
    for _ in $(seq 200); do
        p=$(sed -n 's/^listening on .*:\([0-9][0-9]*\).*/\1/p' "$1" | head -1)
        [ -n "$p" ] && { echo "$p"; return 0; }
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

stop_pid() { # PID: SIGTERM, up to 5 s to exit, then SIGKILL
    local _
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 100); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# The options of a script compare.sh hands its run to (cluster.sh for
# --cluster, tls.sh for --tls): sets bin, logs, quick, nice and repeat
# ("" for the script's default), BENCH and SERVER, checked built. NAME for
# the messages, FLAG the option compare.sh passes on. Exits 64 on an
# option not for it, 69 when a binary is missing, 0 after --help (the
# script's header comment).
# shellcheck disable=SC2034,SC2154 # the caller's root; the globals are its
sub_options() { # NAME FLAG ARGS...
    local name=$1 flag=$2 f
    shift 2
    bin="$root/build/bin" logs="" quick=0 nice=0 repeat=""
    while [ $# -gt 0 ]; do
        case "$1" in
        "$flag") ;;
        --quick) quick=1 ;;
        --bin) bin=$2; shift ;;
        --logs) logs=$2; shift ;;
        --nice) nice=$2; shift ;;
        --repeat) repeat=$2; shift ;;
        -h | --help) sed -n '2,/^set -u$/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "$name: unknown option (or not for $flag): $1" >&2; exit 64 ;;
        esac
        shift
    done
    BENCH="$bin/sockchat-bench"
    SERVER="$bin/sockchat-server"
    for f in "$BENCH" "$SERVER"; do
        if [ ! -x "$f" ]; then
            echo "$name: $f: not built (cmake --build build)" >&2
            exit 69
        fi
    done
}
