# serverctl.sh: starting and stopping the servers a benchmark measures, for
# bench/compare.sh and bench/before-after.sh (sourced, not run). No probe
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
