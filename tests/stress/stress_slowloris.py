#!/usr/bin/env python3
"""Stress 3, slowloris: many clients each send part of a line and stall,
while 10 normal clients measure /ping round trips.

Fails if the /ping p99 of the normal clients exceeds 10 ms (scaled by
SOCKCHAT_TEST_TIMEOUT; not enforced under sanitizers), if a ping is lost, or
if the server stops answering.

usage: stress_slowloris.py SERVER_BINARY [--mode M] [--size F]
--size 1 is the full size (1,000 stalled clients); CI runs the default 0.2."""

import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from chatlib import (SCALE, T_SHORT, TIMEOUT_SCALE, Conn, percentile,  # noqa: E402
                     raise_nofile, run_tests, sanitizer_of)

FULL_STALLED = 1000
DEFAULT_SIZE = 0.2
NORMAL = 10
PINGS = 200  # per normal client
WARM_ROUNDS = 20
P99_MS = 10.0


def _partial(i):
    """What stalled client i sends: a first complete line (a connection whose
    first bytes hold no LF is the tutorial's raw dialect, where one read is
    one message), then part of a line, never finished."""
    kind = i % 4
    if kind == 0:
        return b"HELLO sockchat/1 loris%d\nMSG 1 an unfinished message" % i
    if kind == 1:
        return b"HELLO sockchat/1 loris%d\nMSG 1 a long unfinished one " % i + b"z" * 3000
    if kind == 2:
        return b"/ping hi\na plain line that never ends " + b"y" * 1000
    return b"/ping hi\n\r"  # then a lone CR


def test_slowloris(ctx):
    ctx.require_multi()
    have = raise_nofile()
    size = (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE
    stalled_n = max(20, int(FULL_STALLED * size))
    stalled_n = min(stalled_n, have - 100)
    san = sanitizer_of(ctx.binary)
    # --max-per-addr 0: the stalled connections are all 127.0.0.1.
    with ctx.server("--quiet", "--max-clients", str(stalled_n + NORMAL + 50), "--max-per-addr",
                    "0") as srv:
        normal = [srv.framed(f"normal{i}") for i in range(NORMAL)]
        stalled = []
        for i in range(stalled_n):
            c = srv.connect()
            c.send(_partial(i))
            stalled.append(c)
        # Connections are accepted in order: once a client connected after
        # the stalled ones is welcomed, all of them have been accepted.
        last = srv.framed("last", timeout=T_SHORT * 3)
        last.sync(timeout=T_SHORT * 3)
        for c in normal:
            c.sync(timeout=T_SHORT * 3)
        rtts = []
        rnd = random.Random(3)
        # The first rounds (not measured) let the server finish reading the
        # stalled clients' first bytes, which is not what is measured here.
        for k in range(-WARM_ROUNDS, PINGS):
            order = list(range(NORMAL))
            rnd.shuffle(order)
            for j in order:
                c = normal[j]
                tok = f"k{k}n{j}"
                t0 = time.perf_counter()
                c.msg(f"/ping {tok}")
                m = c.wait_type("PONG", pred=lambda m, tok=tok: m.text == tok.encode())
                if k >= 0:
                    rtts.append((time.perf_counter() - t0) * 1000)
        # A trickle more on the stalled ones must not wake anything up wrongly.
        for c in stalled[:50]:
            try:
                c.send(b"x")
            except OSError:
                pass
        assert srv.alive()
        fds = srv.fd_count()
        p50, p99, worst = percentile(rtts, 50), percentile(rtts, 99), max(rtts)
        limit = P99_MS * TIMEOUT_SCALE
        print(f"  {stalled_n} stalled clients ({fds} server fds, RSS {srv.rss_kb()} kB); "
              f"{len(rtts)} /ping from {NORMAL} clients: p50 {p50:.3f} ms, p99 {p99:.3f} ms, "
              f"max {worst:.3f} ms (limit p99 {limit:.1f} ms"
              f"{', not enforced under a sanitizer' if san else ''})")
        assert fds >= stalled_n, f"server holds {fds} fds for {stalled_n} stalled clients"
        if not san:
            assert p99 <= limit, f"/ping p99 {p99:.3f} ms over {limit:.1f} ms"
        for c in stalled:
            c.close()
        for c in normal:
            c.close()


if __name__ == "__main__":
    run_tests(globals())
