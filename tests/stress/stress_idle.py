#!/usr/bin/env python3
"""Issue 5's idle connections in --mode threads: how many pages of its
64 KiB stack each client thread touches.

N sockchat/2 clients join (HELLO, WELCOME, ROOM, history, the log's join
line) and answer a PING, then sit idle. A page of a thread's stack, once
touched, stays in the server's RSS for as long as the connection lives, so
the deepest point of that path decides most of what an idle connection
costs (issue 5: at most 12 KB each at 10,000). The top of each stack holds
glibc's thread descriptor and TLS (about 4.2 KiB), so the path has under
4 KiB before it touches a third page, which is 4 KiB more per connection:
one such regression took 10,000 connections from 10.4 to 15.1 KB each.

Reads the Rss of every 64 KiB stack mapping in /proc/PID/smaps and fails
if the median thread touched more than 8 KiB. Skipped in pool mode (no
thread per client) and under sanitizers (their stacks are 1 MiB).

usage: stress_idle.py SERVER_BINARY [--mode M] [--size F]
--size 1 is the full size (N = 1000); CI runs the default 0.1 (100)."""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from chatlib import SCALE, Skip, raise_nofile, run_tests, sanitizer_of  # noqa: E402

FULL_N = 1000
DEFAULT_SIZE = 0.1
STACK_BYTES = 64 * 1024  # serve_stack_size() outside sanitizer builds
LIMIT_KB = 8  # two pages: the descriptor and TLS, and the path's frames
MAP_RE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+)")


def _stack_rss_kb(pid):
    """Rss (KiB) of each writable 64 KiB mapping: the client threads'
    stacks (the guard page is a mapping of its own)."""
    out, size = [], 0
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = MAP_RE.match(line)
            if m:
                size = int(m.group(2), 16) - int(m.group(1), 16) if "w" in m.group(3) else 0
            elif line.startswith("Rss:") and size == STACK_BYTES:
                out.append(int(line.split()[1]))
    return out


def test_idle_stack_pages(ctx):
    if ctx.mode != "threads":
        raise Skip("only --mode threads has a stack per client")
    if sanitizer_of(ctx.binary):
        raise Skip("sanitizer builds give each thread a 1 MiB stack")
    raise_nofile()
    size = (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE
    n = max(10, int(FULL_N * size))
    with ctx.server("--rate", "0", "--max-per-addr", "0", "--quiet") as srv:
        clients = []
        try:
            for i in range(n):
                c = srv.framed(f"idle{i}", version=2)
                c.sync()  # WELCOME, ROOM, history, PING -> PONG: all of the join
                clients.append(c)
            rss = sorted(_stack_rss_kb(srv.pid))
        finally:
            for c in clients:
                c.close()
    hist = {kb: rss.count(kb) for kb in sorted(set(rss))}
    print(f"{n} idle connections: stack Rss KiB -> threads {hist}")
    assert len(rss) >= n, f"found {len(rss)} 64 KiB stacks for {n} client threads"
    median = rss[len(rss) // 2]
    assert median <= LIMIT_KB, (
        f"the median client thread touched {median} KiB of its stack (limit {LIMIT_KB}): "
        f"the join path got deeper; -fstack-usage and the frames on its way "
        f"(session_feed, room_join, log_event) tell where")


if __name__ == "__main__":
    run_tests(globals())
